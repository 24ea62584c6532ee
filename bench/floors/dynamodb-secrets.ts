/**
 * The floor of the webhook and enrich HTTP functions: the two AWS SDK clients they cannot do without (DynamoDB
 * for the events; Secrets Manager for the webhook's signing secret or the Fingerprint key), created once at
 * module scope with the default configuration, and a trivial handler making the AWS calls of their first call.
 * A cached enrichment (`call: 'read'`) reads one item. A first delivery reads the secret, then makes the calls
 * ADR 7 requires of every write: a strongly consistent read of the visitor's erasure record, the conditional
 * write of a new event, and the same read again.
 */
import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const { TABLE_NAME = '', FINGERPRINT_WEBHOOK_SECRET_ID } = process.env;

export const handler = async (event: { requestId: string; visitorId?: string; call?: 'read' }) => {
  if (event.call === 'read') {
    return dynamodb.send(
      new GetItemCommand({ TableName: TABLE_NAME, Key: { requestId: { S: event.requestId } } }),
    );
  }
  const visitorId = event.visitorId ?? '';
  const readErasure = () =>
    dynamodb.send(
      new BatchGetItemCommand({
        RequestItems: {
          [TABLE_NAME]: {
            Keys: [{ requestId: { S: `erasure#${createHash('sha256').update(visitorId).digest('hex')}` } }],
            ConsistentRead: true,
          },
        },
      }),
    );
  await secrets.send(new GetSecretValueCommand({ SecretId: FINGERPRINT_WEBHOOK_SECRET_ID }));
  await readErasure();
  await dynamodb.send(
    new PutItemCommand({
      TableName: TABLE_NAME,
      Item: { requestId: { S: event.requestId }, visitorId: { S: visitorId }, timestamp: { N: '0' } },
      ConditionExpression: 'attribute_not_exists(requestId)',
    }),
  );
  return readErasure();
};
