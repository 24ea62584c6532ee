/** Lambda contexts and API Gateway REST proxy events, as the tests and the bench hand them to the functions. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** A Lambda context whose remaining time counts down from `remainingMs`. */
export function buildContext(remainingMs = 25_000, functionName = 'enrich'): Context {
  const end = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/25/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** The API Gateway resource template, e.g. `/visitors/{visitorId}`. */
  resource: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  /** Headers besides the defaults (`Content-Type`, `Host`), e.g. a webhook's signature. */
  headers?: Record<string, string>;
  /** The body is base64, as API Gateway passes a binary media type. @default false */
  isBase64Encoded?: boolean;
}

/** An API Gateway REST proxy event as an IAM-authorized call produces it. */
export function buildApiEvent(request: ApiRequest): APIGatewayProxyEvent {
  const path = Object.entries(request.pathParameters ?? {}).reduce(
    (template, [name, value]) => template.replace(`{${name}}`, encodeURIComponent(value)),
    request.resource,
  );
  return {
    httpMethod: request.method,
    resource: request.resource,
    path,
    pathParameters: request.pathParameters ?? null,
    queryStringParameters: request.query ?? null,
    multiValueQueryStringParameters: request.query
      ? Object.fromEntries(Object.entries(request.query).map(([name, value]) => [name, [value]]))
      : null,
    headers: {
      'Content-Type': 'application/json',
      Host: 'abc123.execute-api.us-east-1.amazonaws.com',
      ...request.headers,
    },
    multiValueHeaders: {},
    body: request.body ?? null,
    isBase64Encoded: request.isBase64Encoded ?? false,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      httpMethod: request.method,
      identity: {
        accessKey: 'ASIAEXAMPLE',
        accountId: '123456789012',
        apiKey: null,
        apiKeyId: null,
        caller: 'AROAEXAMPLE:orders-service',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '10.0.0.1',
        user: 'AROAEXAMPLE:orders-service',
        userAgent: 'orders-service/1.0',
        userArn: 'arn:aws:sts::123456789012:assumed-role/orders-service/session',
      },
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: request.resource,
      stage: 'prod',
    },
  };
}
