/**
 * The floor of the webhook and enrich HTTP functions: the two AWS SDK clients they cannot do without (DynamoDB
 * for the events; Secrets Manager for the webhook's signing secret or the Fingerprint key), created once at
 * module scope with the default configuration, and a trivial handler making the calls of their first call: a
 * first delivery reads the secret and writes the event; a cached enrichment (`call: 'read'`) reads one item.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const { TABLE_NAME, FINGERPRINT_WEBHOOK_SECRET_ID } = process.env;

export const handler = async (event: { requestId: string; visitorId?: string; call?: 'read' }) => {
  if (event.call === 'read') {
    return dynamodb.send(
      new GetItemCommand({ TableName: TABLE_NAME, Key: { requestId: { S: event.requestId } } }),
    );
  }
  await secrets.send(new GetSecretValueCommand({ SecretId: FINGERPRINT_WEBHOOK_SECRET_ID }));
  return dynamodb.send(
    new PutItemCommand({
      TableName: TABLE_NAME,
      Item: {
        requestId: { S: event.requestId },
        visitorId: { S: event.visitorId ?? '' },
        timestamp: { N: '0' },
      },
    }),
  );
};
