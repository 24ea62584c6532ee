import path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { FUNCTION_BUNDLING, REPOSITORY_ROOT } from '../bundling.js';
import { acknowledge } from '../nag.js';

export { ESM_REQUIRE_BANNER } from '../bundling.js';

/**
 * The house runtime: the newest Node.js Lambda offers (cdk-nag's AwsSolutions-L1 asks for the latest). The
 * bundles target it too (`FUNCTION_BUNDLING.target`).
 */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** `NodejsFunction` takes the output format as its own enum, whose values are esbuild's names. */
const OUTPUT_FORMATS = { esm: OutputFormat.ESM, cjs: OutputFormat.CJS } as const;

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
  public readonly function: NodejsFunction;
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

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(REPOSITORY_ROOT, props.entry),
      handler: 'handler',
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
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: path.join(REPOSITORY_ROOT, 'package-lock.json'),
      // The options the benchmark and the bundle-size test measure (`infra/bundling.ts`).
      bundling: {
        format: OUTPUT_FORMATS[FUNCTION_BUNDLING.format],
        target: FUNCTION_BUNDLING.target,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourcemap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        externalModules: [...FUNCTION_BUNDLING.external],
        banner: FUNCTION_BUNDLING.banner,
        forceDockerBundling: false,
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
