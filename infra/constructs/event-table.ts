import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LIMITER_KEY_PREFIX } from '../../shared/store/dynamodb-rate-limiter.js';
import { LEASE_KEY_PREFIX } from '../../shared/store/dynamodb-request-coalescer.js';
import { EVENT_TABLE_SCHEMA, projectedAttributes } from '../../shared/store/schema.js';

const ATTRIBUTE_TYPES = { S: AttributeType.STRING, N: AttributeType.NUMBER } as const;

export interface EventTableProps {
  /** What happens to the table (and its data) when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Whether CloudFormation and the API refuse to delete the table. */
  readonly deletionProtection: boolean;
}

/**
 * The events table, built from the shared key schema (`shared/store/schema.ts`): on-demand, encrypted with
 * the AWS managed key, point-in-time recovery, TTL on the schema's attribute, and the history indexes.
 *
 * Its grants are the store's exact operations, so each function gets only what it calls.
 */
export class EventTable extends Construct {
  public readonly table: Table;
  /** ARNs of the history indexes, the only ones the store queries. */
  public readonly indexArns: string[];

  constructor(scope: Construct, id: string, props: EventTableProps) {
    super(scope, id);
    const { partitionKey, ttlAttribute, indexes } = EVENT_TABLE_SCHEMA;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: partitionKey.name, type: ATTRIBUTE_TYPES[partitionKey.type] },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ttlAttribute,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    for (const index of Object.values(indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey.name, type: ATTRIBUTE_TYPES[index.partitionKey.type] },
        sortKey: { name: index.sortKey.name, type: ATTRIBUTE_TYPES[index.sortKey.type] },
        // The normalized view only: the upstream's copy of an event stays on the table (schema.ts).
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: projectedAttributes(index.indexName),
      });
    }
    // Stateful: the logical id is pinned so that moving this construct never replaces the table.
    (this.table.node.defaultChild as CfnTable).overrideLogicalId('EventTable');

    this.indexArns = Object.values(indexes).map((index) => `${this.table.tableArn}/index/${index.indexName}`);
  }

  /** Reading one event by requestId (`GetItem`): the cache lookup and pagination keys. */
  grantGetEvent(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /**
   * Reading the upstream copies of a page of events (`BatchGetItem`, `GET /v4/events`): the indexes do not hold
   * them, so they are read from the table by key.
   */
  grantReadUpstreamCopies(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:BatchGetItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** Reading histories (`Query`) on the history indexes, never on the table itself. */
  grantQueryHistories(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: this.indexArns });
  }

  /**
   * Erasing a visitor: `Query` on the `byVisitor` index only, for the keys of its events (the deletes
   * themselves are `BatchWriteItem`, see {@link grantStoreEvents}).
   */
  grantFindVisitorEvents(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${EVENT_TABLE_SCHEMA.indexes.byVisitor.indexName}`],
    });
  }

  /**
   * Storing a webhook's event only when its requestId is new: a conditional `PutItem`, and a strongly
   * consistent `GetItem` of the stored identity when it is not (`DynamoDbWebhookEventStore.putEventIfAbsent`);
   * reading the erasure records the write checks before and after it (`BatchGetItem`), and `DeleteItem` of the
   * event just written when an erasure recorded meanwhile covers it (ADR 7).
   */
  grantPutNewEvent(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /**
   * Storing and erasing events (`BatchWriteItem` of puts and deletes: IAM authorizes both under that one
   * action, so no `PutItem` or `DeleteItem`), and reading the erasure records every write checks before and
   * after it (`BatchGetItem`, ADR 7).
   */
  grantStoreEvents(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** Recording a visitor's erasure (a conditional `PutItem` of its erasure record, ADR 7). */
  grantRecordErasures(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /**
   * The fleet's shared budget of Fingerprint calls and the leases that coalesce concurrent fetches (see
   * docs/adr/0008-fleet-upstream-budget.md): single-item reads and conditional writes, allowed only on items
   * whose key starts with `limiter#` or `lease#`, so this grant reaches no event.
   */
  grantUpstreamBudget(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': {
          'dynamodb:LeadingKeys': [`${LIMITER_KEY_PREFIX}*`, `${LEASE_KEY_PREFIX}*`],
        },
      },
    });
  }
}
