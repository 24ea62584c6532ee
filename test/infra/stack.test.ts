import { Match } from 'aws-cdk-lib/assertions';
import { FilterPattern } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { ENRICH_HTTP_ENV } from '../../functions/enrich/http-env.js';
import { ENRICH_QUEUE_ENV } from '../../functions/enrich/queue-env.js';
import { QUERY_ENV } from '../../functions/query/env.js';
import { WEBHOOK_ENV } from '../../functions/webhook/env.js';
import type { FunctionEnvironment } from '../../infra/constructs/service-function.js';
import { consumerConcurrencyFor } from '../../shared/config/consumer-concurrency.js';
import { envSchema } from '../../shared/config/env.js';
import {
  EVENT_TABLE_SCHEMA,
  projectedAttributes,
  TTL_ATTRIBUTE,
  UPSTREAM_ATTRIBUTE,
} from '../../shared/store/schema.js';
import {
  FULL_CONTEXT,
  logicalIdOf,
  onlyResourceOf,
  resourcesOf,
  type SynthesizedApp,
  synthesize,
  type TemplateResource,
} from './support.js';

const enrichHttpEnvSchema = envSchema(ENRICH_HTTP_ENV);
const enrichQueueEnvSchema = envSchema(ENRICH_QUEUE_ENV);
const queryEnvSchema = envSchema(QUERY_ENV);
const webhookEnvSchema = envSchema(WEBHOOK_ENV);

const IMPORTED_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fingerprint/api-key-AbC123';
const IMPORTED_WEBHOOK_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fingerprint/webhook-XyZ789';
const IMPORTED_SEALED_KEYS_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fingerprint/sealed-keys-QwE456';

let dev: SynthesizedApp;
let full: SynthesizedApp;
let imported: SynthesizedApp;

beforeAll(() => {
  dev = synthesize();
  full = synthesize(FULL_CONTEXT);
  imported = synthesize({
    fingerprintSecretArn: IMPORTED_SECRET_ARN,
    webhookSecretArn: IMPORTED_WEBHOOK_SECRET_ARN,
    sealedKeysSecretArn: IMPORTED_SEALED_KEYS_SECRET_ARN,
  });
});

type FunctionKey = 'enrichHttp' | 'enrichQueue' | 'query' | 'webhook';
const FUNCTION_KEYS: FunctionKey[] = ['enrichHttp', 'enrichQueue', 'query', 'webhook'];

function functionResource(app: SynthesizedApp, key: FunctionKey): TemplateResource {
  const resource = resourcesOf(app.template, 'AWS::Lambda::Function')[
    logicalIdOf(app, app.stack.functions[key].function)
  ];
  if (resource === undefined) throw new Error(`No function ${key}`);
  return resource;
}

function environmentOf(app: SynthesizedApp, key: FunctionKey): Record<string, unknown> {
  return (functionResource(app, key).Properties.Environment as { Variables: Record<string, unknown> })
    .Variables;
}

/** The statements of a function's role policies. */
function statementsOf(
  app: SynthesizedApp,
  key: FunctionKey,
): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  const roleId = logicalIdOf(app, app.stack.functions[key].role);
  return Object.values(resourcesOf(app.template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: never[] }).Statement);
}

/** The seats of the fleet's upstream budget and the leases of coalesced fetches (ADR 0008). */
const UPSTREAM_BUDGET_PERMISSIONS = [
  'dynamodb:BatchGetItem on EventTable',
  'dynamodb:GetItem on EventTable',
  'dynamodb:PutItem on EventTable',
  'dynamodb:UpdateItem on EventTable',
  'dynamodb:DeleteItem on EventTable',
];

/** `action on resource` for every permission a function has, with tokens shown as logical ids. */
function permissionsOf(app: SynthesizedApp, key: FunctionKey): string[] {
  const describe = (resource: unknown): string => {
    if (typeof resource === 'string') return resource;
    const text = JSON.stringify(resource);
    const ids = [...text.matchAll(/"(?:Ref|Fn::GetAtt)":\s*(?:\["([^"]+)"|"([^"]+)")/g)].map(
      (m) => m[1] ?? m[2],
    );
    const suffix = text.match(/"(\/index\/[^"]+)"/)?.[1] ?? '';
    return `${ids.join(',')}${suffix}`;
  };
  return statementsOf(app, key)
    .flatMap((statement) => {
      const actions = [statement.Action].flat();
      const resources = [statement.Resource].flat();
      return actions.flatMap((action) => resources.map((resource) => `${action} on ${describe(resource)}`));
    })
    .sort();
}

describe('functions', () => {
  it('run Node.js 24 on arm64, traced, with source maps turned on', () => {
    for (const key of FUNCTION_KEYS) {
      const { Properties } = functionResource(dev, key);
      expect(Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
      });
      expect(environmentOf(dev, key).NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it("have explicit memory and timeouts, the HTTP one below API Gateway's 29 s integration timeout", () => {
    const settings = Object.fromEntries(
      FUNCTION_KEYS.map((key) => {
        const { MemorySize, Timeout } = functionResource(dev, key).Properties;
        return [key, { MemorySize, Timeout }];
      }),
    );
    expect(settings).toEqual({
      enrichHttp: { MemorySize: 512, Timeout: 25 },
      enrichQueue: { MemorySize: 512, Timeout: 60 },
      query: { MemorySize: 1024, Timeout: 10 },
      // Fingerprint gives a delivery 3 s; this bounds a stuck invocation, not a normal one.
      webhook: { MemorySize: 1024, Timeout: 6 },
    });
  });

  it('log JSON to their own log group, kept for the configured retention', () => {
    for (const app of [dev, full]) {
      const retention = app === dev ? 30 : FULL_CONTEXT.logRetentionDays;
      for (const key of FUNCTION_KEYS) {
        const logging = functionResource(app, key).Properties.LoggingConfig as { LogGroup: { Ref: string } };
        expect(logging).toMatchObject({ LogFormat: 'JSON' });
        const logGroup = resourcesOf(app.template, 'AWS::Logs::LogGroup')[logging.LogGroup.Ref];
        expect(logGroup?.Properties.RetentionInDays).toBe(retention);
      }
    }
  });

  it('type each environment from its env schema, so a missing variable does not compile', () => {
    // Checked by tsc (npm run typecheck): required variables are required, defaulted ones optional.
    expectTypeOf<FunctionEnvironment<typeof enrichQueueEnvSchema>>().toEqualTypeOf<{
      TABLE_NAME: string;
      EVENT_TTL_DAYS?: string;
      LOG_LEVEL?: string;
      FINGERPRINT_SECRET_ID: string;
      FINGERPRINT_REGION?: string;
      FINGERPRINT_API_VERSION?: string;
      FINGERPRINT_BASE_URL?: string;
      FINGERPRINT_MAX_RPS?: string;
      FINGERPRINT_HISTORY_DAYS?: string;
      SECRET_CACHE_SECONDS?: string;
      FINGERPRINT_SEALED_KEYS_SECRET_ID?: string;
      STORE_UPSTREAM_EVENTS?: string;
      DEAD_LETTER_QUEUE_URL: string;
      QUEUE_MAX_CONCURRENCY?: string;
    }>();
    // @ts-expect-error TABLE_NAME is required by the query function's schema
    const missing: FunctionEnvironment<typeof queryEnvSchema> = { LOG_LEVEL: 'INFO' };
    expect(missing).not.toHaveProperty('TABLE_NAME');
  });

  it("tell the IAM routes' functions the CORS origins, only when CORS is on", () => {
    for (const key of ['enrichHttp', 'query'] as const) {
      expect(environmentOf(full, key).CORS_ALLOW_ORIGINS).toBe(FULL_CONTEXT.corsAllowOrigins.join(','));
      expect(environmentOf(dev, key)).not.toHaveProperty('CORS_ALLOW_ORIGINS');
    }
    for (const key of ['enrichQueue', 'webhook'] as const) {
      expect(environmentOf(full, key)).not.toHaveProperty('CORS_ALLOW_ORIGINS');
    }
  });

  it('get an environment their own env schema accepts, with the configured settings', () => {
    const schemas = {
      enrichHttp: enrichHttpEnvSchema,
      enrichQueue: enrichQueueEnvSchema,
      query: queryEnvSchema,
      webhook: webhookEnvSchema,
    };
    for (const key of FUNCTION_KEYS) {
      // References (table name, secret ARN, DLQ URL) resolve at deploy time; stand in plausible values.
      const environment = Object.fromEntries(
        Object.entries(environmentOf(full, key)).map(([name, value]) => [
          name,
          typeof value === 'string'
            ? value
            : name.endsWith('_URL')
              ? 'https://sqs.eu-west-1.amazonaws.com/1/q'
              : 'ref',
        ]),
      );
      expect(() =>
        z.strictObject({ ...schemas[key].shape, NODE_OPTIONS: z.string() }).parse(environment),
      ).not.toThrow();
    }
    expect(environmentOf(full, 'enrichQueue')).toMatchObject({
      FINGERPRINT_MAX_RPS: '20',
      FINGERPRINT_HISTORY_DAYS: '90',
      FINGERPRINT_REGION: 'us',
      FINGERPRINT_API_VERSION: 'v4',
      EVENT_TTL_DAYS: '90',
      LOG_LEVEL: 'INFO',
      SECRET_CACHE_SECONDS: '300',
      STORE_UPSTREAM_EVENTS: 'true',
      TABLE_NAME: { Ref: 'EventTable' },
      FINGERPRINT_SECRET_ID: { Ref: 'FingerprintSecret' },
      FINGERPRINT_SEALED_KEYS_SECRET_ID: { Ref: 'SealedKeysSecret' },
      DEAD_LETTER_QUEUE_URL: { Ref: 'EnrichDeadLetterQueue' },
    });
    expect(environmentOf(dev, 'enrichHttp')).toMatchObject({
      FINGERPRINT_SEALED_KEYS_SECRET_ID: { Ref: 'SealedKeysSecret' },
    });
    expect(environmentOf(dev, 'enrichHttp')).toMatchObject({
      READ_THROUGH_ENABLED: 'true',
      UPSTREAM_ERASURE_ENABLED: 'false',
    });
    expect(environmentOf(dev, 'webhook')).toEqual({
      TABLE_NAME: { Ref: 'EventTable' },
      EVENT_TTL_DAYS: '90',
      LOG_LEVEL: 'INFO',
      FINGERPRINT_WEBHOOK_SECRET_ID: { Ref: 'WebhookSecret' },
      WEBHOOK_BASIC_AUTH_ENABLED: 'false',
      WEBHOOK_MAX_EVENT_AGE_SECONDS: '3600',
      SECRET_CACHE_SECONDS: '300',
      STORE_UPSTREAM_EVENTS: 'true',
      NODE_OPTIONS: '--enable-source-maps',
    });
    const switched = synthesize({
      readThroughEnabled: false,
      storeUpstreamEvents: false,
      upstreamErasureEnabled: true,
      webhookBasicAuthEnabled: true,
      webhookMaxEventAgeSeconds: '900',
    });
    expect(environmentOf(switched, 'enrichHttp')).toMatchObject({
      READ_THROUGH_ENABLED: 'false',
      UPSTREAM_ERASURE_ENABLED: 'true',
      STORE_UPSTREAM_EVENTS: 'false',
    });
    expect(environmentOf(switched, 'enrichQueue')).toMatchObject({ STORE_UPSTREAM_EVENTS: 'false' });
    expect(environmentOf(switched, 'webhook')).toMatchObject({
      STORE_UPSTREAM_EVENTS: 'false',
      WEBHOOK_BASIC_AUTH_ENABLED: 'true',
      WEBHOOK_MAX_EVENT_AGE_SECONDS: '900',
    });
  });
});

describe('event table', () => {
  it('is built from the shared key schema', () => {
    const [, table] = onlyResourceOf(dev.template, 'AWS::DynamoDB::Table');
    const { partitionKey, indexes } = EVENT_TABLE_SCHEMA;
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: partitionKey.name, KeyType: 'HASH' }]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      Object.values(indexes).map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: projectedAttributes(index.indexName) },
      })),
    );
  });

  it('projects the normalized view into the indexes, and not the upstream copy', () => {
    const [, table] = onlyResourceOf(dev.template, 'AWS::DynamoDB::Table');
    const indexes = table.Properties.GlobalSecondaryIndexes as {
      Projection: { NonKeyAttributes: string[] };
    }[];
    for (const index of indexes) {
      expect(index.Projection.NonKeyAttributes).not.toContain(UPSTREAM_ATTRIBUTE);
      expect(index.Projection.NonKeyAttributes).toContain(TTL_ATTRIBUTE);
    }
  });

  it("is on-demand and encrypted, with point-in-time recovery and TTL on the schema's attribute", () => {
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: EVENT_TABLE_SCHEMA.ttlAttribute, Enabled: true },
    });
  });
});

describe('retention by stage', () => {
  const stateful = [
    'EventTable',
    'EnrichQueue',
    'EnrichDeadLetterQueue',
    'FingerprintSecret',
    'WebhookSecret',
    'SealedKeysSecret',
  ];

  it('keeps stable logical ids for the table, the queues and the secret', () => {
    for (const id of stateful) expect(dev.template.toJSON().Resources).toHaveProperty(id);
  });

  it('destroys stateful resources with a dev stage and leaves the table unprotected', () => {
    for (const id of stateful) {
      expect(dev.template.toJSON().Resources[id]).toMatchObject({ DeletionPolicy: 'Delete' });
    }
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    expect(dev.stack.terminationProtection).toBe(false);
  });

  it('retains the table, queues, secret and logs outside dev, and protects the table and the stack', () => {
    const resources = full.template.toJSON().Resources as Record<string, TemplateResource>;
    for (const id of ['EventTable', 'EnrichQueue', 'EnrichDeadLetterQueue']) {
      expect(resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    for (const logGroup of Object.values(resourcesOf(full.template, 'AWS::Logs::LogGroup'))) {
      expect(logGroup.DeletionPolicy).toBe('Retain');
    }
    full.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    expect(full.stack.terminationProtection).toBe(true);
    const staging = synthesize({ stage: 'staging' }).template.toJSON().Resources;
    for (const id of ['FingerprintSecret', 'WebhookSecret', 'SealedKeysSecret']) {
      expect(staging[id]).toMatchObject({ DeletionPolicy: 'Retain' });
    }
  });
});

describe('enrich queue', () => {
  function queue(app: SynthesizedApp, id: 'EnrichQueue' | 'EnrichDeadLetterQueue'): TemplateResource {
    return app.template.toJSON().Resources[id];
  }

  it('encrypts both queues with SSE-SQS and refuses requests without TLS', () => {
    for (const id of ['EnrichQueue', 'EnrichDeadLetterQueue'] as const) {
      expect(queue(dev, id).Properties.SqsManagedSseEnabled).toBe(true);
      dev.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('moves a record to the dead-letter queue after a bounded number of receives', () => {
    expect(queue(dev, 'EnrichQueue').Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['EnrichDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(queue(dev, 'EnrichDeadLetterQueue').Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('hides a received batch for at least 6 times the consumer timeout', () => {
    const timeout = functionResource(dev, 'enrichQueue').Properties.Timeout as number;
    expect(queue(dev, 'EnrichQueue').Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('feeds the consumer in bounded batches and lets it report failures record by record', () => {
    const [, mapping] = onlyResourceOf(dev.template, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['EnrichQueue', 'Arn'] },
      FunctionName: { Ref: logicalIdOf(dev, dev.stack.functions.enrichQueue.function) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
    });
  });

  it('gives the event source and the consumer the same concurrency, derived from FINGERPRINT_MAX_RPS', () => {
    for (const [app, maxRps] of [
      [dev, 5],
      [full, FULL_CONTEXT.fingerprintMaxRps],
    ] as const) {
      const [, mapping] = onlyResourceOf(app.template, 'AWS::Lambda::EventSourceMapping');
      const concurrency = (mapping.Properties.ScalingConfig as { MaximumConcurrency: number })
        .MaximumConcurrency;
      const environment = environmentOf(app, 'enrichQueue');
      expect(concurrency).toBe(consumerConcurrencyFor(maxRps));
      expect(environment.QUEUE_MAX_CONCURRENCY).toBe(String(concurrency));
      // What each consumer instance allows itself, times how many can run: the fleet's ceiling.
      expect(
        (Number(environment.FINGERPRINT_MAX_RPS) / Number(environment.QUEUE_MAX_CONCURRENCY)) * concurrency,
      ).toBe(maxRps);
    }
  });

  it('derives a concurrency that divides the limit, so every consumer gets a whole share', () => {
    expect([2, 5, 7, 20, 100, 1000].map(consumerConcurrencyFor)).toEqual([2, 5, 7, 10, 50, 500]);
    for (const maxRps of [2, 3, 5, 6, 12, 97, 250, 999]) {
      const consumers = consumerConcurrencyFor(maxRps);
      expect(maxRps % consumers).toBe(0);
      expect(consumers).toBeGreaterThanOrEqual(2);
      expect(consumers).toBeLessThanOrEqual(1000);
    }
    expect(() => consumerConcurrencyFor(1)).toThrow(RangeError);
    expect(() => consumerConcurrencyFor(2.5)).toThrow(RangeError);
  });

  it('lets only the configured principals from elsewhere send to the queue', () => {
    const sendGrants = (app: SynthesizedApp) =>
      Object.values(resourcesOf(app.template, 'AWS::SQS::QueuePolicy')).flatMap((policy) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Effect: string; Action: unknown; Principal: unknown }[];
          }
        ).Statement.filter((statement) => statement.Effect === 'Allow'),
      );
    expect(sendGrants(dev)).toEqual([]);
    expect(sendGrants(full)).toEqual([
      expect.objectContaining({
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Principal: {
          AWS: [
            'arn:aws:iam::444455556666:role/orders-service',
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] },
          ],
        },
      }),
    ]);
  });
});

describe('Fingerprint secrets', () => {
  it('creates the API key, webhook and sealed-keys secrets empty: no value or generated value in the template', () => {
    const secrets = resourcesOf(dev.template, 'AWS::SecretsManager::Secret');
    expect(Object.keys(secrets).sort()).toEqual(['FingerprintSecret', 'SealedKeysSecret', 'WebhookSecret']);
    for (const secret of Object.values(secrets)) {
      expect(secret.Properties).not.toHaveProperty('SecretString');
      expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
    }
  });

  it('can use existing secrets, imported by ARN, which the stack neither creates nor owns', () => {
    imported.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(environmentOf(imported, 'enrichHttp').FINGERPRINT_SECRET_ID).toBe(IMPORTED_SECRET_ARN);
    expect(permissionsOf(imported, 'enrichHttp')).toContain(
      `secretsmanager:GetSecretValue on ${IMPORTED_SECRET_ARN}`,
    );
    expect(environmentOf(imported, 'webhook').FINGERPRINT_WEBHOOK_SECRET_ID).toBe(
      IMPORTED_WEBHOOK_SECRET_ARN,
    );
    expect(permissionsOf(imported, 'webhook')).toContain(
      `secretsmanager:GetSecretValue on ${IMPORTED_WEBHOOK_SECRET_ARN}`,
    );
    for (const key of ['enrichHttp', 'enrichQueue'] as const) {
      expect(environmentOf(imported, key).FINGERPRINT_SEALED_KEYS_SECRET_ID).toBe(
        IMPORTED_SEALED_KEYS_SECRET_ARN,
      );
      expect(permissionsOf(imported, key)).toContain(
        `secretsmanager:GetSecretValue on ${IMPORTED_SEALED_KEYS_SECRET_ARN}`,
      );
    }
  });

  it('lets only the enrich functions read the keys of sealed results', () => {
    for (const key of FUNCTION_KEYS) {
      const reads = permissionsOf(dev, key).some((permission) => permission.endsWith(' on SealedKeysSecret'));
      expect(reads).toBe(key === 'enrichHttp' || key === 'enrichQueue');
    }
  });
});

describe('IAM', () => {
  const logsAndTraces = (logGroup: string) => [
    `logs:CreateLogStream on ${logGroup}`,
    `logs:PutLogEvents on ${logGroup}`,
    'xray:PutTelemetryRecords on *',
    'xray:PutTraceSegments on *',
  ];
  const logGroupOf = (key: FunctionKey) => logicalIdOf(dev, dev.stack.functions[key].logGroup);

  it('lets the enrich function read the one secret, read the cache, store and erase events, nothing more', () => {
    expect(permissionsOf(dev, 'enrichHttp')).toEqual(
      [
        ...logsAndTraces(logGroupOf('enrichHttp')),
        'secretsmanager:DescribeSecret on FingerprintSecret',
        'secretsmanager:GetSecretValue on FingerprintSecret',
        // The keys of sealed client results, read on the first sealed result.
        'secretsmanager:DescribeSecret on SealedKeysSecret',
        'secretsmanager:GetSecretValue on SealedKeysSecret',
        'dynamodb:GetItem on EventTable',
        // Puts, and the deletes of an erasure: IAM authorizes both as BatchWriteItem.
        'dynamodb:BatchWriteItem on EventTable',
        // Every write reads the erasure records before and after it (ADR 7).
        'dynamodb:BatchGetItem on EventTable',
        // An erasure records itself first.
        'dynamodb:PutItem on EventTable',
        // An erasure finds a visitor's events on this one index.
        `dynamodb:Query on EventTable/index/${EVENT_TABLE_SCHEMA.indexes.byVisitor.indexName}`,
        ...UPSTREAM_BUDGET_PERMISSIONS,
      ].sort(),
    );
  });

  it('lets both enrich functions touch only limiter# and lease# items for the shared upstream budget', () => {
    for (const key of ['enrichHttp', 'enrichQueue'] as const) {
      // The enrich HTTP function also puts erasure records (ADR 7), unconditionally: the budget's own statement
      // is the one that also updates and deletes.
      const budget = statementsOf(dev, key).filter((statement) =>
        [statement.Action].flat().includes('dynamodb:UpdateItem'),
      );
      expect(budget).toHaveLength(1);
      expect([budget[0]?.Action].flat()).toContain('dynamodb:PutItem');
      expect(budget[0]?.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['limiter#*', 'lease#*'] },
      });
    }
  });

  it('lets the webhook function read its own secret, put new events and read the erasure records only: no batch writes, queries or API key', () => {
    expect(permissionsOf(dev, 'webhook')).toEqual(
      [
        ...logsAndTraces(logGroupOf('webhook')),
        'secretsmanager:DescribeSecret on WebhookSecret',
        'secretsmanager:GetSecretValue on WebhookSecret',
        // A conditional put of a new requestId, and a read of the stored identity when it is not new.
        'dynamodb:PutItem on EventTable',
        'dynamodb:GetItem on EventTable',
        // The erasure records every write checks before and after it, and the undo of a write an erasure covers.
        'dynamodb:BatchGetItem on EventTable',
        'dynamodb:DeleteItem on EventTable',
      ].sort(),
    );
  });

  it('lets the queue consumer do the same, consume its queue and send to the DLQ only', () => {
    expect(permissionsOf(dev, 'enrichQueue')).toEqual(
      [
        ...logsAndTraces(logGroupOf('enrichQueue')),
        'secretsmanager:DescribeSecret on FingerprintSecret',
        'secretsmanager:GetSecretValue on FingerprintSecret',
        // The keys of sealed client results, read on the first sealed result.
        'secretsmanager:DescribeSecret on SealedKeysSecret',
        'secretsmanager:GetSecretValue on SealedKeysSecret',
        'dynamodb:GetItem on EventTable',
        'dynamodb:BatchWriteItem on EventTable',
        'dynamodb:BatchGetItem on EventTable',
        ...UPSTREAM_BUDGET_PERMISSIONS,
        'sqs:ChangeMessageVisibility on EnrichQueue',
        'sqs:DeleteMessage on EnrichQueue',
        'sqs:GetQueueAttributes on EnrichQueue',
        'sqs:GetQueueUrl on EnrichQueue',
        'sqs:ReceiveMessage on EnrichQueue',
        'sqs:GetQueueAttributes on EnrichDeadLetterQueue',
        'sqs:GetQueueUrl on EnrichDeadLetterQueue',
        'sqs:SendMessage on EnrichDeadLetterQueue',
      ].sort(),
    );
  });

  it('lets the query function read events (the upstream copies of a page by BatchGetItem) and query the history indexes only', () => {
    expect(permissionsOf(dev, 'query')).toEqual(
      [
        ...logsAndTraces(logGroupOf('query')),
        'dynamodb:GetItem on EventTable',
        'dynamodb:BatchGetItem on EventTable',
        ...Object.values(EVENT_TABLE_SCHEMA.indexes).map(
          (index) => `dynamodb:Query on EventTable/index/${index.indexName}`,
        ),
      ].sort(),
    );
  });

  it('gives each function a role of its own with no managed policy', () => {
    const roles = Object.values(resourcesOf(dev.template, 'AWS::IAM::Role'));
    expect(roles).toHaveLength(4);
    for (const role of roles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
    }
  });
});

describe('alarms and dashboard', () => {
  function alarms(app: SynthesizedApp): TemplateResource[] {
    return Object.values(resourcesOf(app.template, 'AWS::CloudWatch::Alarm'));
  }

  it('alarms on the DLQ, the oldest message, function errors and throttles, API 5xx and p99 latency', () => {
    const watched = alarms(dev).map((alarm) =>
      alarm.Properties.Metrics === undefined
        ? `${alarm.Properties.Namespace}/${alarm.Properties.MetricName}`
        : 'metric math',
    );
    expect(watched.sort()).toEqual(
      [
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/SQS/ApproximateAgeOfOldestMessage',
        ...FUNCTION_KEYS.flatMap(() => ['AWS/Lambda/Errors', 'AWS/Lambda/Throttles']),
        // The API's 5xx without the webhook's WebhookNotConfigured (below).
        'metric math',
        'AWS/ApiGateway/Latency',
        'FingerprintEnrichment/WebhookNotConfigured',
      ].sort(),
    );
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['EnrichDeadLetterQueue', 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Dimensions: [{ Name: 'ApiName', Value: 'FingerprintEnrichment-dev' }],
    });
  });

  it('counts WebhookNotConfigured answers from the webhook log, alarms on them alone, and keeps them out of the 5xx alarm', () => {
    const [, filter] = onlyResourceOf(dev.template, 'AWS::Logs::MetricFilter');
    expect(filter.Properties).toEqual({
      LogGroupName: { Ref: logicalIdOf(dev, dev.stack.functions.webhook.logGroup) },
      FilterPattern: '{ $.errorCode = "WebhookNotConfigured" }',
      MetricTransformations: [
        { MetricNamespace: 'FingerprintEnrichment', MetricName: 'WebhookNotConfigured', MetricValue: '1' },
      ],
    });
    // The line the filter matches is the one the webhook handler writes (test/integration/webhook-http.test.ts).
    expect(FilterPattern.stringValue('$.errorCode', '=', 'WebhookNotConfigured').logPatternString).toBe(
      filter.Properties.FilterPattern,
    );
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'FingerprintEnrichment',
      MetricName: 'WebhookNotConfigured',
      Statistic: 'Sum',
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp('webhook secret'),
    });
    const api5xx = alarms(dev).find((alarm) => alarm.Properties.Metrics !== undefined);
    const metrics = api5xx?.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Namespace: string; MetricName: string } };
    }[];
    expect(metrics.find((metric) => metric.Expression !== undefined)?.Expression).toBe(
      'FILL(serverErrors, 0) - FILL(webhookNotConfigured, 0)',
    );
    expect(
      Object.fromEntries(
        metrics
          .filter((metric) => metric.MetricStat !== undefined)
          .map((metric) => [
            metric.Id,
            `${metric.MetricStat?.Metric.Namespace}/${metric.MetricStat?.Metric.MetricName}`,
          ]),
      ),
    ).toEqual({
      serverErrors: 'AWS/ApiGateway/5XXError',
      webhookNotConfigured: 'FingerprintEnrichment/WebhookNotConfigured',
    });
    expect(api5xx?.Properties.Threshold).toBe(5);
  });

  it('notifies the alarm topic on alarm and on recovery', () => {
    const [topicId] = onlyResourceOf(dev.template, 'AWS::SNS::Topic');
    for (const alarm of alarms(dev)) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('e-mails the alarms only when an address is configured', () => {
    dev.template.resourceCountIs('AWS::SNS::Subscription', 0);
    full.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: FULL_CONTEXT.alarmEmail,
    });
  });

  it('publishes a dashboard showing every alarm', () => {
    const [, dashboard] = onlyResourceOf(dev.template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('"alarms\\":[');
    for (const metric of [
      'ApproximateAgeOfOldestMessage',
      'ConsumedReadCapacityUnits',
      'Duration',
      '5XXError',
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe('outputs', () => {
  it('export the API and webhook URLs, the queue URLs and ARNs, the table name and the secret ARNs', () => {
    const outputs = dev.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'EnrichQueueUrl',
        'EnrichQueueArn',
        'DeadLetterQueueUrl',
        'EventTableName',
        'FingerprintSecretArn',
        'WebhookUrl',
        'WebhookSecretArn',
        'SealedKeysSecretArn',
        'AlarmTopicArn',
      ]),
    );
    expect(outputs.SealedKeysSecretArn?.Value).toEqual({ Ref: 'SealedKeysSecret' });
    expect(outputs.WebhookSecretArn?.Value).toEqual({ Ref: 'WebhookSecret' });
    expect(JSON.stringify(outputs.WebhookUrl?.Value)).toMatch(/execute-api.*webhooks\/fingerprint/);
    expect(outputs.EnrichQueueUrl?.Value).toEqual({ Ref: 'EnrichQueue' });
    expect(outputs.EnrichQueueArn?.Value).toEqual({ 'Fn::GetAtt': ['EnrichQueue', 'Arn'] });
    expect(outputs.EventTableName?.Value).toEqual({ Ref: 'EventTable' });
    expect(outputs.FingerprintSecretArn?.Value).toEqual({ Ref: 'FingerprintSecret' });
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain('.execute-api.');
  });
});
