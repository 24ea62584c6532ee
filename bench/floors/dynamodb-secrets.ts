/**
 * The webhook function's floor: the two AWS SDK clients it cannot do without (Secrets Manager for the signing
 * secret, DynamoDB for the events), created once at module scope with the default configuration, and a trivial
 * handler making the calls a first delivery needs: read the secret, write the event.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const { TABLE_NAME, FINGERPRINT_WEBHOOK_SECRET_ID } = process.env;

export const handler = async (event: { requestId: string; visitorId: string }) => {
  await secrets.send(new GetSecretValueCommand({ SecretId: FINGERPRINT_WEBHOOK_SECRET_ID }));
  return dynamodb.send(
    new PutItemCommand({
      TableName: TABLE_NAME,
      Item: { requestId: { S: event.requestId }, visitorId: { S: event.visitorId }, timestamp: { N: '0' } },
    }),
  );
};
