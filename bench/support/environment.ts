import { FUNCTION_ENTRIES, type FunctionKey } from '../../infra/bundling.js';
import { logicalIdOf, resourcesOf, synthesize } from '../../infra/synthesize.js';

/** What the stack gives a function: its variables (literals, or references to the stack's resources) and memory. */
export interface DeployedFunction {
  variables: Record<string, unknown>;
  memorySize: number;
}

export interface Deployment {
  functions: Record<FunctionKey, DeployedFunction>;
  /** The enrich queue's event source: how many consumers it runs at most. */
  queueMaxConcurrency: number;
}

/**
 * The functions as `cdk deploy` would configure them with cdk.json's settings, read from the synthesized
 * template: the benchmark then runs what the stack deploys (every variable, the queue consumer's share of the
 * upstream rate), and a variable the stack adds reaches it without anyone remembering to copy it here.
 */
export function deployment(): Deployment {
  const app = synthesize({});
  const lambdas = resourcesOf(app.template, 'AWS::Lambda::Function');
  const functions = Object.fromEntries(
    (Object.keys(FUNCTION_ENTRIES) as FunctionKey[]).map((key) => {
      const resource = lambdas[logicalIdOf(app, app.stack.functions[key].function)];
      if (resource === undefined) throw new Error(`The stack has no ${key} function`);
      const environment = resource.Properties.Environment as
        | { Variables: Record<string, unknown> }
        | undefined;
      return [
        key,
        { variables: environment?.Variables ?? {}, memorySize: Number(resource.Properties.MemorySize) },
      ];
    }),
  ) as Record<FunctionKey, DeployedFunction>;
  const mappings = Object.values(resourcesOf(app.template, 'AWS::Lambda::EventSourceMapping'));
  const scaling = mappings[0]?.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  if (mappings.length !== 1 || scaling?.MaximumConcurrency === undefined) {
    throw new Error('Expected one event source mapping with a maximum concurrency');
  }
  return { functions, queueMaxConcurrency: scaling.MaximumConcurrency };
}

/** Where the benchmark's stand-ins listen, and what they hold. */
export interface LocalResources {
  dynamodb: string;
  /** Secrets Manager and SQS (`bench/support/fake-aws.ts`). */
  aws: string;
  fingerprint: string;
  tableName: string;
}

/** Secret ids the local Secrets Manager answers, by the variable that names them. */
export const LOCAL_SECRET_IDS: Record<string, string> = {
  FINGERPRINT_SECRET_ID: 'fingerprint/secret-api-key',
  FINGERPRINT_WEBHOOK_SECRET_ID: 'fingerprint/webhook-secret',
  FINGERPRINT_SEALED_KEYS_SECRET_ID: 'fingerprint/sealed-keys',
};

/**
 * A function's environment in the benchmark: the deployed variables, with each reference to a stack resource
 * replaced by its local stand-in, static credentials, and the AWS and Fingerprint endpoints on loopback. Built
 * from nothing rather than from `process.env`, so no setting of the machine running the benchmark (a profile,
 * a region, `NODE_OPTIONS`) leaks into what is measured.
 */
export function functionEnvironment(
  deployed: DeployedFunction,
  local: LocalResources,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(deployed.variables)) {
    if (typeof value === 'string') {
      variables[name] = value;
      continue;
    }
    const stand = standIn(name, local);
    if (stand === undefined) {
      throw new Error(`${name} refers to a stack resource the benchmark has no stand-in for: add one here`);
    }
    variables[name] = stand;
  }
  return {
    PATH: process.env.PATH ?? '',
    // This machine's Node.js may be older than the runtime's; the SDK's notice about it is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
    AWS_SECRET_ACCESS_KEY: 'benchmark-secret',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.memorySize),
    AWS_ENDPOINT_URL_DYNAMODB: local.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: local.aws,
    AWS_ENDPOINT_URL_SQS: local.aws,
    ...variables,
    // Only the functions that call Fingerprint read it.
    ...('FINGERPRINT_SECRET_ID' in variables && { FINGERPRINT_BASE_URL: local.fingerprint }),
    ...overrides,
  };
}

function standIn(name: string, local: LocalResources): string | undefined {
  if (name === 'TABLE_NAME') return local.tableName;
  if (name === 'DEAD_LETTER_QUEUE_URL') return `${local.aws}/123456789012/enrich-dlq`;
  return LOCAL_SECRET_IDS[name];
}
