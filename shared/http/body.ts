import type { APIGatewayProxyEvent } from 'aws-lambda';

/** The request body as text, decoding the base64 API Gateway uses for binary media types. */
export function bodyText(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): string | null {
  if (event.body === null || !event.isBase64Encoded) return event.body;
  return Buffer.from(event.body, 'base64').toString('utf8');
}
