import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ERROR_CODES } from '../../shared/domain/errors.js';
import { acknowledge } from '../nag.js';

/** A function to watch, with the name it has on the dashboard and in alarm descriptions. */
export interface MonitoredFunction {
  readonly label: string;
  readonly function: IFunction;
}

export interface MonitoringProps {
  readonly api: RestApi;
  readonly functions: readonly MonitoredFunction[];
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly table: ITable;
  /**
   * The webhook function's log group: its `WebhookNotConfigured` answers are counted from it, alarmed on
   * their own and kept out of the API's 5xx alarm.
   */
  readonly webhookLogGroup: ILogGroup;
  /**
   * Subscribes this address to the alarm topic (the recipient confirms by e-mail).
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when the oldest enrich request has waited this long. Transient failures are retried every
   * visibility timeout, so this should exceed `visibility timeout × maxReceiveCount` to mean "falling behind".
   * @default Duration.hours(1)
   */
  readonly oldestMessageAgeThreshold?: Duration;
  /**
   * Alarm when the API answers this many 5xx within 5 minutes.
   * @default 5
   */
  readonly apiServerErrorThreshold?: number;
  /**
   * Alarm when the API's p99 latency stays above this for 15 minutes.
   * @default Duration.seconds(10)
   */
  readonly apiP99LatencyThreshold?: Duration;
}

const PERIOD = Duration.minutes(5);
/** The namespace of the metrics this stack derives from its logs. */
export const METRIC_NAMESPACE = 'FingerprintEnrichment';

/** Alarms to one SNS topic, and a dashboard of the API, the functions, the queues and the table. */
export class Monitoring extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[] = [];
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Fingerprint enrichment alarms',
      enforceSSL: true,
    });
    acknowledge(this.topic, {
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and metric values, no event data. CloudWatch cannot publish to a topic under the AWS managed SNS key, and a customer managed key would add a key policy and a monthly cost for no protected data.',
    });
    if (props.alarmEmail !== undefined) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      acknowledge(subscription, {
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An e-mail subscription: undeliverable notifications show as NumberOfNotificationsFailed, and a dead-letter queue for alarm e-mails would itself go unwatched.',
      });
    }

    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: PERIOD,
      statistic: Stats.MAXIMUM,
    });
    this.addAlarm('DeadLetterQueueNotEmpty', {
      metric: deadLetters,
      threshold: 1,
      description:
        'Enrich requests reached the dead-letter queue (permanent failures, or transient ones past maxReceiveCount). Read the failureReason attribute, fix, then redrive (docs/deploy.md).',
      // SQS stops publishing metrics for a queue idle for 6 hours; ignoring missing data keeps the alarm in
      // ALARM while messages still sit there untouched.
      treatMissingData: TreatMissingData.IGNORE,
    });

    const oldestAge = props.oldestMessageAgeThreshold ?? Duration.hours(1);
    this.addAlarm('EnrichQueueFallingBehind', {
      metric: props.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: Stats.MAXIMUM }),
      threshold: oldestAge.toSeconds(),
      description: `The oldest enrich request has waited more than ${oldestAge.toHumanString()}: the consumers are failing or the queue receives more than FINGERPRINT_MAX_RPS allows.`,
    });

    for (const { label, function: fn } of props.functions) {
      this.addAlarm(`${label}Errors`, {
        metric: fn.metricErrors({ period: PERIOD, statistic: Stats.SUM }),
        threshold: 1,
        description: `The ${label} function failed (crash, timeout or init error): see its log group.`,
      });
      this.addAlarm(`${label}Throttles`, {
        metric: fn.metricThrottles({ period: PERIOD, statistic: Stats.SUM }),
        threshold: 1,
        description: `Invocations of the ${label} function were throttled: the account's concurrency is exhausted.`,
      });
    }

    // Until the webhook secret is set (right after a deployment), every signed request to the public webhook
    // route is a 503 WebhookNotConfigured: counted from the webhook's error log line, alarmed on its own, and
    // left out of the API's 5xx alarm, which anonymous traffic must not be able to fire.
    const webhookNotConfigured = new MetricFilter(this, 'WebhookNotConfiguredFilter', {
      logGroup: props.webhookLogGroup,
      filterPattern: FilterPattern.stringValue('$.errorCode', '=', ERROR_CODES.WebhookNotConfigured),
      metricNamespace: METRIC_NAMESPACE,
      metricName: ERROR_CODES.WebhookNotConfigured,
      metricValue: '1',
    }).metric({ period: PERIOD, statistic: Stats.SUM });
    this.addAlarm('WebhookNotConfigured', {
      metric: webhookNotConfigured,
      threshold: 1,
      description:
        'POST /webhooks/fingerprint answered 503 WebhookNotConfigured: the webhook secret is empty, unreadable or lacks the basicAuth that WEBHOOK_BASIC_AUTH_ENABLED requires. Put the signing secret in it (docs/deploy.md#webhooks); until then no delivery is stored.',
    });

    const serverErrors = props.apiServerErrorThreshold ?? 5;
    this.addAlarm('Api5xx', {
      metric: new MathExpression({
        expression: 'FILL(serverErrors, 0) - FILL(webhookNotConfigured, 0)',
        usingMetrics: {
          serverErrors: props.api.metricServerError({ period: PERIOD, statistic: Stats.SUM }),
          webhookNotConfigured,
        },
        label: '5xx but WebhookNotConfigured',
        period: PERIOD,
      }),
      threshold: serverErrors,
      description: `The API answered at least ${serverErrors} 5xx in 5 minutes, not counting the webhook's 503 WebhookNotConfigured (alarmed on its own); 502 UpstreamAuthFailed means the secret key or region is wrong.`,
    });

    const latency = props.apiP99LatencyThreshold ?? Duration.seconds(10);
    this.addAlarm('ApiP99Latency', {
      metric: props.api.metricLatency({ period: PERIOD, statistic: Stats.p(99) }),
      threshold: latency.toMilliseconds(),
      evaluationPeriods: 3,
      description: `The API's p99 latency stayed above ${latency.toHumanString()} for 15 minutes.`,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Fingerprint event enrichment\nAPI, functions, enrich queue and event table. Operations: docs/deploy.md.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
    this.dashboard.addWidgets(
      graph('API requests', [
        props.api.metricCount({ period: PERIOD, statistic: Stats.SUM, label: 'requests' }),
        props.api.metricClientError({ period: PERIOD, statistic: Stats.SUM, label: '4xx' }),
        props.api.metricServerError({ period: PERIOD, statistic: Stats.SUM, label: '5xx' }),
        webhookNotConfigured.with({ label: '503 WebhookNotConfigured' }),
      ]),
      graph('API latency (ms)', [
        props.api.metricLatency({ period: PERIOD, statistic: Stats.p(50), label: 'p50' }),
        props.api.metricLatency({ period: PERIOD, statistic: Stats.p(99), label: 'p99' }),
        props.api.metricIntegrationLatency({
          period: PERIOD,
          statistic: Stats.p(99),
          label: 'integration p99',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Function invocations',
        props.functions.map(({ label, function: fn }) => fn.metricInvocations({ period: PERIOD, label })),
      ),
      graph(
        'Function errors and throttles',
        props.functions.flatMap(({ label, function: fn }) => [
          fn.metricErrors({ period: PERIOD, label: `${label} errors` }),
          fn.metricThrottles({ period: PERIOD, label: `${label} throttles` }),
        ]),
      ),
      graph(
        'Function duration p99 (ms)',
        props.functions.map(({ label, function: fn }) =>
          fn.metricDuration({ period: PERIOD, statistic: Stats.p(99), label }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph('Enrich queue', [
        props.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, label: 'waiting' }),
        props.queue.metricApproximateNumberOfMessagesNotVisible({ period: PERIOD, label: 'in flight' }),
        deadLetters.with({ label: 'dead letters' }),
      ]),
      graph('Oldest enrich request (s)', [
        props.queue.metricApproximateAgeOfOldestMessage({
          period: PERIOD,
          statistic: Stats.MAXIMUM,
          label: 'age',
        }),
      ]),
      graph('Event table', [
        props.table.metricConsumedReadCapacityUnits({ period: PERIOD, label: 'read units' }),
        props.table.metricConsumedWriteCapacityUnits({ period: PERIOD, label: 'write units' }),
        new MathExpression({
          expression: 'read + write',
          usingMetrics: {
            read: props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: Stats.SUM }),
            write: props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: Stats.SUM }),
          },
          label: 'throttle events',
          period: PERIOD,
        }),
      ]),
    );
  }

  private addAlarm(
    id: string,
    options: {
      metric: IMetric;
      threshold: number;
      description: string;
      evaluationPeriods?: number;
      treatMissingData?: TreatMissingData;
    },
  ): void {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.evaluationPeriods ?? 1,
      treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}
