import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ENRICH_HTTP_ENV } from '../../functions/enrich/http-env.js';
import type { ENRICH_QUEUE_ENV } from '../../functions/enrich/queue-env.js';
import type { QUERY_ENV } from '../../functions/query/env.js';
import type { WEBHOOK_ENV } from '../../functions/webhook/env.js';
import { consumerConcurrencyFor } from '../../shared/config/consumer-concurrency.js';
import type { EnvSchema } from '../../shared/config/env.js';
import { FUNCTIONS, type FunctionKey } from '../../shared/manifest/functions.js';
import { WEBHOOK_PATH } from '../../shared/manifest/routes.js';
import { isDevStage, type ServiceConfig } from '../config.js';
import { EnrichQueue } from '../constructs/enrich-queue.js';
import { EventTable } from '../constructs/event-table.js';
import { FingerprintSecret } from '../constructs/fingerprint-secret.js';
import { Monitoring } from '../constructs/monitoring.js';
import { apiCallersFrom, callerPrincipals, ServiceApi } from '../constructs/service-api.js';
import { ServiceFunction } from '../constructs/service-function.js';

/** Each function's environment schema, by type (the manifest's `envSchema` says where each lives). */
export interface FunctionEnvSchemas {
  enrichHttp: EnvSchema<typeof ENRICH_HTTP_ENV>;
  enrichQueue: EnvSchema<typeof ENRICH_QUEUE_ENV>;
  query: EnvSchema<typeof QUERY_ENV>;
  webhook: EnvSchema<typeof WEBHOOK_ENV>;
}

export interface EnrichmentStackProps extends StackProps {
  readonly config: ServiceConfig;
}

/** A function's timeout and memory, as the service manifest declares them (with the reasons for each). */
function sizeOf(key: FunctionKey): { memorySize: number; timeout: Duration } {
  return { memorySize: FUNCTIONS[key].memoryMb, timeout: Duration.seconds(FUNCTIONS[key].timeoutSeconds) };
}

/**
 * The whole service: table, secret, functions, enrich queue, API, alarms and dashboard. Stateful resources
 * (table, queues, secret, logs) are destroyed with a dev stage and retained by any other.
 */
export class EnrichmentStack extends Stack {
  public readonly eventTable: EventTable;
  public readonly fingerprintSecret: FingerprintSecret;
  public readonly webhookSecret: FingerprintSecret;
  /** The keys that open sealed client results; readable by the enrich functions only. */
  public readonly sealedKeysSecret: FingerprintSecret;
  public readonly enrichQueue: EnrichQueue;
  public readonly api: ServiceApi;
  public readonly monitoring: Monitoring;
  public readonly functions: {
    readonly enrichHttp: ServiceFunction<FunctionEnvSchemas['enrichHttp']>;
    readonly enrichQueue: ServiceFunction<FunctionEnvSchemas['enrichQueue']>;
    readonly query: ServiceFunction<FunctionEnvSchemas['query']>;
    readonly webhook: ServiceFunction<FunctionEnvSchemas['webhook']>;
  };

  constructor(scope: Construct, id: string, props: EnrichmentStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: 'Fingerprint event enrichment: resolves identification events, stores and serves them.',
      terminationProtection: !isDevStage(config.stage),
      ...stackProps,
    });
    const dev = isDevStage(config.stage);
    const statefulRemoval = dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.eventTable = new EventTable(this, 'EventTable', {
      removalPolicy: statefulRemoval,
      deletionProtection: !dev,
    });
    this.fingerprintSecret = new FingerprintSecret(this, 'FingerprintSecret', {
      removalPolicy: statefulRemoval,
      ...(config.fingerprintSecretArn !== undefined && { existingSecretArn: config.fingerprintSecretArn }),
    });
    this.webhookSecret = new FingerprintSecret(this, 'WebhookSecret', {
      removalPolicy: statefulRemoval,
      logicalId: 'WebhookSecret',
      description:
        'Fingerprint webhook signing secret: put it as a plain string, or as {"secrets": ["<current>", "<next or previous>"], "basicAuth": {"username": "...", "password": "..."}}. See docs/deploy.md.',
      ...(config.webhookSecretArn !== undefined && { existingSecretArn: config.webhookSecretArn }),
    });
    this.sealedKeysSecret = new FingerprintSecret(this, 'SealedKeysSecret', {
      removalPolicy: statefulRemoval,
      logicalId: 'SealedKeysSecret',
      description:
        'Fingerprint Sealed Client Results encryption keys: put a JSON list of base64 keys, ["<key>"], or during a rotation ["<new>", "<old>"]. Empty: sealed results are refused. See docs/deploy.md.',
      ...(config.sealedKeysSecretArn !== undefined && { existingSecretArn: config.sealedKeysSecretArn }),
    });
    this.enrichQueue = new EnrichQueue(this, 'EnrichQueue', {
      consumerTimeout: sizeOf('enrichQueue').timeout,
      // The upstream limit is held by the budget every instance shares in the event table; this only keeps
      // the number of consumers waiting for room in it in proportion to FINGERPRINT_MAX_RPS.
      maxConcurrency: consumerConcurrencyFor(config.fingerprintMaxRps),
      removalPolicy: statefulRemoval,
    });

    const common = {
      TABLE_NAME: this.eventTable.table.tableName,
      EVENT_TTL_DAYS: String(config.eventTtlDays),
      LOG_LEVEL: config.logLevel,
    };
    const fingerprint = {
      FINGERPRINT_SECRET_ID: this.fingerprintSecret.secret.secretArn,
      FINGERPRINT_REGION: config.fingerprintRegion,
      FINGERPRINT_API_VERSION: config.fingerprintApiVersion,
      FINGERPRINT_MAX_RPS: String(config.fingerprintMaxRps),
      FINGERPRINT_HISTORY_DAYS: String(config.fingerprintHistoryDays),
      SECRET_CACHE_SECONDS: String(config.secretCacheSeconds),
      FINGERPRINT_SEALED_KEYS_SECRET_ID: this.sealedKeysSecret.secret.secretArn,
      STORE_UPSTREAM_EVENTS: String(config.storeUpstreamEvents),
      ...(config.fingerprintBaseUrl !== undefined && { FINGERPRINT_BASE_URL: config.fingerprintBaseUrl }),
    };
    // API Gateway answers the preflights; the functions behind the IAM routes add CORS headers to the answers.
    const cors =
      config.corsAllowOrigins.length > 0 ? { CORS_ALLOW_ORIGINS: config.corsAllowOrigins.join(',') } : {};
    const functionDefaults = {
      logRetention,
      logRemovalPolicy: statefulRemoval,
    };

    const enrichHttp = new ServiceFunction<FunctionEnvSchemas['enrichHttp']>(this, 'EnrichHttp', {
      ...functionDefaults,
      entry: FUNCTIONS.enrichHttp.entry,
      ...sizeOf('enrichHttp'),
      description:
        'POST /enrich, GET /events/{requestId}, GET /v4/events/{event_id}, DELETE /visitors/{visitorId}: resolves, reads through and erases events',
      environment: {
        ...common,
        ...fingerprint,
        ...cors,
        READ_THROUGH_ENABLED: String(config.readThroughEnabled),
        UPSTREAM_ERASURE_ENABLED: String(config.upstreamErasureEnabled),
      },
    });
    const enrichQueueConsumer = new ServiceFunction<FunctionEnvSchemas['enrichQueue']>(
      this,
      'EnrichQueueConsumer',
      {
        ...functionDefaults,
        entry: FUNCTIONS.enrichQueue.entry,
        ...sizeOf('enrichQueue'),
        description: 'Enrich queue consumer: resolves and stores events under the upstream rate limit',
        environment: {
          ...common,
          ...fingerprint,
          DEAD_LETTER_QUEUE_URL: this.enrichQueue.deadLetterQueue.queueUrl,
          QUEUE_MAX_CONCURRENCY: String(this.enrichQueue.maxConcurrency),
        },
      },
    );
    const query = new ServiceFunction<FunctionEnvSchemas['query']>(this, 'Query', {
      ...functionDefaults,
      entry: FUNCTIONS.query.entry,
      ...sizeOf('query'),
      description: 'GET /visitors/{visitorId}, GET /events, GET /v4/events: serves cached events',
      environment: { ...common, ...cors, STORE_UPSTREAM_EVENTS: String(config.storeUpstreamEvents) },
    });
    const webhook = new ServiceFunction<FunctionEnvSchemas['webhook']>(this, 'Webhook', {
      ...functionDefaults,
      entry: FUNCTIONS.webhook.entry,
      ...sizeOf('webhook'),
      description:
        'POST /webhooks/fingerprint: verifies Fingerprint webhook deliveries and stores their events',
      environment: {
        ...common,
        FINGERPRINT_WEBHOOK_SECRET_ID: this.webhookSecret.secret.secretArn,
        WEBHOOK_BASIC_AUTH_ENABLED: String(config.webhookBasicAuthEnabled),
        WEBHOOK_MAX_EVENT_AGE_SECONDS: String(config.webhookMaxEventAgeSeconds),
        SECRET_CACHE_SECONDS: String(config.secretCacheSeconds),
        STORE_UPSTREAM_EVENTS: String(config.storeUpstreamEvents),
      },
    });
    this.functions = { enrichHttp, enrichQueue: enrichQueueConsumer, query, webhook };

    for (const enrich of [enrichHttp, enrichQueueConsumer]) {
      this.fingerprintSecret.secret.grantRead(enrich.function);
      this.sealedKeysSecret.secret.grantRead(enrich.function);
      this.eventTable.grantGetEvent(enrich.function);
      this.eventTable.grantStoreEvents(enrich.function);
      // One budget of upstream calls for every instance of both, and the leases of coalesced fetches.
      this.eventTable.grantUpstreamBudget(enrich.function);
    }
    // Erasure: the erasure record, the keys of a visitor's events from its index, then deletes
    // (BatchWriteItem, granted above).
    this.eventTable.grantRecordErasures(enrichHttp.function);
    this.eventTable.grantFindVisitorEvents(enrichHttp.function);
    this.eventTable.grantGetEvent(query.function);
    this.eventTable.grantQueryHistories(query.function);
    this.eventTable.grantReadUpstreamCopies(query.function);
    // The webhook stores an event only if its requestId is new (a conditional PutItem), and reads the stored
    // identity only when it is not: no batch writes, deletes, queries or API key.
    this.eventTable.grantPutNewEvent(webhook.function);
    this.webhookSecret.secret.grantRead(webhook.function);
    this.enrichQueue.attachConsumer(enrichQueueConsumer);

    const callers = apiCallersFrom(config.allowedPrincipals, Aws.ACCOUNT_ID);
    if (config.allowedPrincipals.length > 0) {
      for (const principal of callerPrincipals(callers)) this.enrichQueue.grantSend(principal);
    }

    this.api = new ServiceApi(this, 'Api', {
      stageName: config.stage,
      enrichFunction: enrichHttp.function,
      queryFunction: query.function,
      webhookFunction: webhook.function,
      webhookThrottling: {
        rateLimit: config.webhookThrottleRateLimit,
        burstLimit: config.webhookThrottleBurstLimit,
      },
      webhookAllowedSourceCidrs: config.webhookAllowedSourceCidrs,
      callers,
      throttlingRateLimit: config.apiThrottleRateLimit,
      throttlingBurstLimit: config.apiThrottleBurstLimit,
      accessLogRetention: logRetention,
      accessLogPaths: config.accessLogPathsEnabled,
      logRemovalPolicy: statefulRemoval,
      corsAllowOrigins: config.corsAllowOrigins,
      ...(config.wafWebAclArn !== undefined && { webAclArn: config.wafWebAclArn }),
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api.api,
      functions: [
        { label: 'EnrichHttp', function: enrichHttp.function },
        { label: 'EnrichQueueConsumer', function: enrichQueueConsumer.function },
        { label: 'Query', function: query.function },
        { label: 'Webhook', function: webhook.function },
      ],
      webhookLogGroup: webhook.logGroup,
      queue: this.enrichQueue.queue,
      deadLetterQueue: this.enrichQueue.deadLetterQueue,
      table: this.eventTable.table,
      ...(config.alarmEmail !== undefined && { alarmEmail: config.alarmEmail }),
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Invoke URL of the API stage', value: this.api.url });
    new CfnOutput(this, 'EnrichQueueUrl', { value: this.enrichQueue.queue.queueUrl });
    new CfnOutput(this, 'EnrichQueueArn', { value: this.enrichQueue.queue.queueArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.enrichQueue.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: this.enrichQueue.deadLetterQueue.queueArn });
    new CfnOutput(this, 'EventTableName', { value: this.eventTable.table.tableName });
    new CfnOutput(this, 'FingerprintSecretArn', {
      description: 'Put the Fingerprint secret API key here (docs/deploy.md)',
      value: this.fingerprintSecret.secret.secretArn,
    });
    new CfnOutput(this, 'SealedKeysSecretArn', {
      description: 'Put the Sealed Client Results encryption keys here, as a JSON list (docs/deploy.md)',
      value: this.sealedKeysSecret.secret.secretArn,
    });
    new CfnOutput(this, 'WebhookUrl', {
      description: 'Set this as the webhook URL in the Fingerprint dashboard (docs/deploy.md)',
      value: `${this.api.url}${WEBHOOK_PATH.slice(1)}`,
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      description: 'Put the webhook signing secret here (docs/deploy.md)',
      value: this.webhookSecret.secret.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.monitoring.dashboard.dashboardName}`,
    });
  }
}
