/**
 * The DynamoDB floor: the one AWS SDK client a first call of the query function or of either enrich function
 * needs, created the way the functions create theirs (once, at module scope, default configuration), and a
 * trivial handler making that call: a Query of an index (a history page), or with `call: 'read'` a GetItem (a
 * cached enrichment). Built with the functions' esbuild options but no source map (`bench/bundles.ts`), it is
 * what no such function can be smaller or start faster than.
 */
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';

const dynamodb = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME;

export const handler = async (event: { visitorId?: string; requestId?: string; call?: 'read' }) =>
  event.call === 'read'
    ? dynamodb.send(
        new GetItemCommand({ TableName: tableName, Key: { requestId: { S: event.requestId ?? '' } } }),
      )
    : dynamodb.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byVisitor',
          KeyConditionExpression: 'visitorId = :visitorId',
          ExpressionAttributeValues: { ':visitorId': { S: event.visitorId ?? '' } },
          ScanIndexForward: false,
          Limit: 21,
        }),
      );
