/**
 * The query function's floor: the one AWS SDK client it cannot do without, created the way the function creates
 * its own (once, at module scope, default configuration), and a trivial handler making the one call its routes
 * need, a Query of an index. Built with the functions' esbuild options (`infra/bundling.ts`), it is what no
 * query function can be smaller or start faster than.
 */
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';

const dynamodb = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME;

export const handler = async (event: { visitorId: string }) =>
  dynamodb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'byVisitor',
      KeyConditionExpression: 'visitorId = :visitorId',
      ExpressionAttributeValues: { ':visitorId': { S: event.visitorId } },
      ScanIndexForward: false,
      Limit: 21,
    }),
  );
