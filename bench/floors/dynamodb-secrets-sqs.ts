/**
 * The queue consumer's floor: the three AWS SDK clients it cannot do without (DynamoDB for the events,
 * Secrets Manager for the Fingerprint key, SQS for the dead-letter queue), created once at module scope with
 * the default configuration, and a trivial handler that can make one call with each. A cached enrichment, the
 * call the benchmark times, is a DynamoDB read.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const sqs = new SQSClient({});
const { TABLE_NAME, FINGERPRINT_SECRET_ID, DEAD_LETTER_QUEUE_URL } = process.env;

export const handler = async (event: { requestId: string; call?: 'secret' | 'deadLetter' }) => {
  if (event.call === 'secret')
    return secrets.send(new GetSecretValueCommand({ SecretId: FINGERPRINT_SECRET_ID }));
  if (event.call === 'deadLetter') {
    return sqs.send(
      new SendMessageCommand({ QueueUrl: DEAD_LETTER_QUEUE_URL, MessageBody: event.requestId }),
    );
  }
  return dynamodb.send(
    new GetItemCommand({ TableName: TABLE_NAME, Key: { requestId: { S: event.requestId } } }),
  );
};
