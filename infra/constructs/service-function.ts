import path from 'node:path';
import { AssetHashType, DockerImage, type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { BUNDLE_FILE, bundleFunction, REPOSITORY_ROOT } from '../bundling.js';
import { acknowledge } from '../nag.js';

/**
 * The house runtime: the newest Node.js Lambda offers (cdk-nag's AwsSolutions-L1 asks for the latest). The
 * bundles target it too (`FUNCTION_BUNDLING.target`).
 */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/**
 * A function's environment typed from its Zod env schema: every variable the schema requires is required
 * here, so a missing one is a compile error in `infra/`; variables with a default stay optional.
 */
export type FunctionEnvironment<S extends z.core.$ZodType> = { [K in keyof z.input<S>]: string };

export interface ServiceFunctionProps<S extends z.core.$ZodType> {
  /** The handler's file, relative to the repository root, e.g. `functions/query/http.ts`. */
  readonly entry: string;
  readonly description: string;
  /** Memory in MB; CPU grows with it, so it is chosen per function rather than defaulted. */
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Environment typed from the function's env schema (`functions/<name>/env.ts`, loaded by `shared/config/env.ts`). */
  readonly environment: FunctionEnvironment<S>;
  readonly logRetention: RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A Lambda function with the house defaults: Node.js 24 on arm64, an ESM bundle built locally by the
 * project's esbuild (never Docker), minified with source maps and the AWS SDK bundled, an explicit log group
 * with retention, X-Ray tracing, and a role of its own that can write only to that log group until a grant
 * adds exactly what the function uses.
 */
export class ServiceFunction<S extends z.core.$ZodType> extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps<S>) {
    super(scope, id);
    this.timeout = props.timeout;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // A role of our own instead of the default one, which carries the AWS managed basic execution policy
    // (logs on every log group of the account).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new LambdaFunction(this, 'Function', {
      code: bundledCode(props.entry),
      handler: `${path.basename(BUNDLE_FILE, '.mjs')}.handler`,
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      environment: {
        ...definedOnly(props.environment),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    // The X-Ray statement is in the role's default policy, created by the log group grant above.
    acknowledge(this.role.node.findChild('DefaultPolicy'), {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    acknowledge(
      this.function,
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously only (API Gateway proxy, SQS event source mapping): a dead-letter target applies to asynchronous invocations. Queue failures land in the enrich queue DLQ.',
      },
      {
        id: 'Serverless-LambdaAsyncFailureDestination',
        reason:
          'Invoked synchronously only (API Gateway proxy, SQS event source mapping): there are no asynchronous invocations to route on failure.',
      },
    );
  }
}

function definedOnly(environment: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/**
 * The function's code: `entry` bundled by the project's esbuild, in this process, with the options the
 * benchmark and the bundle-size test measure (`bundleFunction`), chunks included. Never Docker: the image is
 * a placeholder that local bundling always makes unused (a failed build throws). The asset is hashed from the
 * output, as `NodejsFunction` hashes its own.
 */
function bundledCode(entry: string): Code {
  return Code.fromAsset(REPOSITORY_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('dummy'),
      // Never run (local bundling always answers), but part of the key under which CDK caches a bundled asset:
      // without the entry in it, every function of the stack would get the first one's code.
      command: ['esbuild', '--bundle', entry],
      local: {
        tryBundle(outputDir: string): boolean {
          bundleFunction(entry, outputDir);
          return true;
        },
      },
    },
  });
}
