import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  Cors,
  EndpointType,
  type IResource,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  AccountPrincipal,
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  type IPrincipal,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ERROR_CODES, GATEWAY_ERROR_CODES } from '../../shared/manifest/error-codes.js';
import type { HttpFunctionKey } from '../../shared/manifest/functions.js';
import { ROUTE_LIST, type RouteSpec, WEBHOOK_PATH } from '../../shared/manifest/routes.js';
import { acknowledge } from '../nag.js';

const ACCOUNT_ID = /^\d{12}$/;

export { WEBHOOK_PATH };

/** Who may call the API: account ids and IAM principal ARNs, as in the `allowedPrincipals` setting. */
export interface ApiCallers {
  readonly accountIds: readonly string[];
  readonly principalArns: readonly string[];
}

/** Splits `allowedPrincipals`; an empty list means the deploying account. */
export function apiCallersFrom(allowedPrincipals: readonly string[], ownAccount: string): ApiCallers {
  if (allowedPrincipals.length === 0) return { accountIds: [ownAccount], principalArns: [] };
  return {
    accountIds: allowedPrincipals.filter((principal) => ACCOUNT_ID.test(principal)),
    principalArns: allowedPrincipals.filter((principal) => !ACCOUNT_ID.test(principal)),
  };
}

/** The principals of {@link ApiCallers}, for resource policies. */
export function callerPrincipals(callers: ApiCallers): IPrincipal[] {
  return [
    ...callers.accountIds.map((accountId) => new AccountPrincipal(accountId)),
    ...callers.principalArns.map((arn) => new ArnPrincipal(arn)),
  ];
}

/** The `execute-api:/<stage>/<METHOD>/<path>` resource of a route, in any stage, path parameters as `*`. */
function executeApiResource(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return `execute-api:/*/${route.method}${route.path.replace(/\{\w+\}/g, '*')}`;
}

export interface WebhookThrottling {
  /** Steady requests per second of `POST /webhooks/fingerprint`. */
  readonly rateLimit: number;
  /** Burst above the steady rate. */
  readonly burstLimit: number;
}

export interface ServiceApiProps {
  /** The API Gateway stage, also the last segment of the URL's path. */
  readonly stageName: string;
  /** Serves `POST /enrich`, `GET /events/{requestId}`, `GET /v4/events/{event_id}` and `DELETE /visitors/{visitorId}`. */
  readonly enrichFunction: IFunction;
  /** Serves `GET /visitors/{visitorId}`, `GET /events` and `GET /v4/events`. */
  readonly queryFunction: IFunction;
  /** Serves `POST /webhooks/fingerprint`, the one route without IAM authorization. */
  readonly webhookFunction: IFunction;
  /** The webhook route's own throttling, apart from the stage's. */
  readonly webhookThrottling: WebhookThrottling;
  /**
   * Source address ranges (CIDR) the webhook route is admitted from; the resource policy denies it to any
   * other source.
   * @default none: any source (each delivery still needs its HMAC signature)
   */
  readonly webhookAllowedSourceCidrs?: readonly string[];
  /** The only callers the resource policy lets through. */
  readonly callers: ApiCallers;
  /** Steady requests per second for the whole stage. */
  readonly throttlingRateLimit: number;
  /** Burst above the steady rate for the whole stage. */
  readonly throttlingBurstLimit: number;
  readonly accessLogRetention: RetentionDays;
  /**
   * Whether access log lines carry the request path (`$context.path`), whose segments are visitorIds and
   * requestIds. Off, they carry only the resource template (`$context.resourcePath`), which names the route
   * but no identifier.
   * @default true
   */
  readonly accessLogPaths?: boolean;
  /**
   * What happens to the access log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Browser origins allowed to call the API.
   * @default none: CORS off
   */
  readonly corsAllowOrigins?: readonly string[];
  /**
   * A regional AWS WAF web ACL to associate with the stage.
   * @default none
   */
  readonly webAclArn?: string;
}

/**
 * The REST API: Lambda proxy routes behind IAM (SigV4) authorization, a resource policy limited to the
 * configured callers, stage throttling, JSON access logs, X-Ray, and errors shaped like the handlers' own
 * (`{"error": {"code", "message"}}`) even when API Gateway answers by itself. The one exception to IAM is
 * Fingerprint's webhook route, authenticated by its handler and throttled on its own.
 */
export class ServiceApi extends Construct {
  public readonly api: RestApi;
  public readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    const corsOrigins = props.corsAllowOrigins ?? [];

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.api = new RestApi(this, 'Api', {
      // Named after the stack, so each stage's metrics (dimension ApiName) stay apart within an account.
      restApiName: Stack.of(this).stackName,
      description: 'Fingerprint event enrichment: resolve, store and serve identification events.',
      endpointTypes: [EndpointType.REGIONAL],
      policy: resourcePolicy(props.callers, corsOrigins.length > 0, props.webhookAllowedSourceCidrs ?? []),
      // The account-wide API Gateway logging role is not this stack's to own; access logs need no role.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      ...(corsOrigins.length > 0 && {
        defaultCorsPreflightOptions: {
          allowOrigins: [...corsOrigins],
          allowMethods: ['GET', 'POST', 'DELETE'],
          allowHeaders: [...Cors.DEFAULT_HEADERS, 'X-Amz-Content-Sha256'],
        },
      }),
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(props.accessLogPaths ?? true),
        tracingEnabled: true,
        // Execution logs would need the account-wide logging role, and data traces would log request bodies.
        loggingLevel: MethodLoggingLevel.OFF,
        dataTraceEnabled: false,
        methodOptions: {
          // Anyone can reach the webhook route, so it gets a bucket of its own: a flood of forged deliveries
          // is throttled there and cannot use up the stage's limit for the IAM routes.
          [`${WEBHOOK_PATH}/POST`]: {
            throttlingRateLimit: props.webhookThrottling.rateLimit,
            throttlingBurstLimit: props.webhookThrottling.burstLimit,
            loggingLevel: MethodLoggingLevel.OFF,
            dataTraceEnabled: false,
          },
        },
      },
    });

    addGatewayResponses(this.api, corsOrigins);

    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const enrichBody = this.api.addModel('EnrichRequest', {
      contentType: 'application/json',
      description:
        'A POST /enrich body: a JSON object. Its fields are checked by the handler, which names them.',
      schema: { type: JsonSchemaType.OBJECT },
    });

    // Proxy integrations: the handlers route on `${httpMethod} ${resource}`, so these resource paths are
    // their routes (the manifest's route keys).
    const integrations: Record<HttpFunctionKey, LambdaIntegration> = {
      enrichHttp: new LambdaIntegration(props.enrichFunction, { proxy: true, allowTestInvoke: false }),
      query: new LambdaIntegration(props.queryFunction, { proxy: true, allowTestInvoke: false }),
      webhook: new LambdaIntegration(props.webhookFunction, { proxy: true, allowTestInvoke: false }),
    };
    for (const route of ROUTE_LIST) {
      const resource = route.path
        .split('/')
        .slice(1)
        .reduce<IResource>(
          (parent, part) => parent.getResource(part) ?? parent.addResource(part),
          this.api.root,
        );
      const parameters = route.pathParams;
      const method = resource.addMethod(route.method, integrations[route.function], {
        ...(route.auth === 'public' && { authorizationType: AuthorizationType.NONE }),
        // The webhook body is checked by its handler, after the signature over its exact bytes.
        ...(route.body !== 'signed-bytes' && { requestValidator: validator }),
        ...(parameters.length > 0 && {
          requestParameters: Object.fromEntries(
            parameters.map((name) => [`method.request.path.${name}`, true]),
          ),
        }),
        // `$default` validates whatever the Content-Type, so a body cannot skip the check by its header.
        ...(route.body === 'json-object' && { requestModels: { $default: enrichBody } }),
      });
      if (route.auth === 'public') {
        acknowledge(method, {
          id: 'AwsSolutions-APIG4',
          reason:
            'Fingerprint delivers webhooks unsigned by AWS, so IAM cannot apply: the handler refuses any delivery without a valid HMAC-SHA256 FPJS-Event-Signature (and, when enabled, basic auth), before reading it. The route has its own throttling.',
        });
      }
    }

    if (props.webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      const webhookSources =
        (props.webhookAllowedSourceCidrs ?? []).length > 0
          ? 'admitted by the resource policy only from the webhookAllowedSourceCidrs ranges, '
          : '';
      acknowledge(this.api.deploymentStage, {
        id: 'AwsSolutions-APIG3',
        reason: `Every route but one requires SigV4 and the resource policy admits only the configured principals to them. The exception, POST /webhooks/fingerprint, is public by design (Fingerprint cannot sign with SigV4): it is ${webhookSources}throttled by a bucket of its own, and its handler refuses any delivery without a valid HMAC-SHA256 signature before reading it. A WAF web ACL can be attached with the wafWebAclArn setting.`,
      });
    }
    acknowledge(this.api.deploymentStage, {
      id: 'AwsSolutions-APIG6',
      reason:
        'JSON access logs record every request (caller, route, status, latencies, error); execution logs would need the account-wide API Gateway logging role, which this stack does not take over.',
    });
    for (const method of this.api.methods) {
      if (method.httpMethod === 'OPTIONS') {
        // CORS preflights cannot carry a signature: API Gateway answers them itself (a mock integration).
        acknowledge(
          method,
          {
            id: 'AwsSolutions-APIG4',
            reason:
              'A CORS preflight cannot be signed; it is answered by API Gateway and reaches no function.',
          },
          {
            id: 'AwsSolutions-COG4',
            reason:
              'A CORS preflight cannot be signed; it is answered by API Gateway and reaches no function.',
          },
        );
      } else if (method.resource.path === WEBHOOK_PATH) {
        acknowledge(method, {
          id: 'AwsSolutions-COG4',
          reason:
            'The caller is Fingerprint, which authenticates each delivery with an HMAC signature (and optional basic auth) checked by the handler; there are no Cognito users.',
        });
      } else {
        acknowledge(method, {
          id: 'AwsSolutions-COG4',
          reason:
            'Callers are AWS workloads, authorized by IAM (SigV4) and the API resource policy; there are no Cognito users.',
        });
      }
    }
  }

  /** The invoke URL of the stage. */
  get url(): string {
    return this.api.url;
  }
}

/**
 * Allows `execute-api:Invoke` to the configured callers and denies the IAM routes to everyone else. For
 * callers in this account the Allow only delegates to their IAM policies; a caller in another account needs
 * both. The public routes (the webhook, and CORS preflights when CORS is on) are allowed to anyone: without
 * IAM the caller is anonymous, and an anonymous call needs an explicit Allow and no Deny. With
 * `webhookSourceCidrs`, an explicit Deny refuses the webhook route from any other source address, whoever
 * the caller (a Deny wins over every Allow).
 */
function resourcePolicy(
  callers: ApiCallers,
  cors: boolean,
  webhookSourceCidrs: readonly string[],
): PolicyDocument {
  const notACaller: Record<string, Record<string, string[]>> = {};
  if (callers.accountIds.length > 0) {
    notACaller.StringNotEquals = { 'aws:PrincipalAccount': [...callers.accountIds] };
  }
  if (callers.principalArns.length > 0) {
    notACaller.ArnNotLike = { 'aws:PrincipalArn': [...callers.principalArns] };
  }
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'AllowConfiguredCallers',
        effect: Effect.ALLOW,
        principals: callerPrincipals(callers),
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new PolicyStatement({
        sid: 'DenyEveryoneElse',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ROUTE_LIST.filter((route) => route.auth === 'iam').map(executeApiResource),
        conditions: notACaller,
      }),
      new PolicyStatement({
        sid: 'AllowPublicRoutes',
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [
          ...ROUTE_LIST.filter((route) => route.auth === 'public').map(executeApiResource),
          ...(cors ? ['execute-api:/*/OPTIONS/*'] : []),
        ],
      }),
      ...(webhookSourceCidrs.length > 0
        ? [
            new PolicyStatement({
              sid: 'DenyWebhookFromOtherSources',
              effect: Effect.DENY,
              principals: [new AnyPrincipal()],
              actions: ['execute-api:Invoke'],
              resources: ROUTE_LIST.filter((route) => route.function === 'webhook').map(executeApiResource),
              conditions: { NotIpAddress: { 'aws:SourceIp': [...webhookSourceCidrs] } },
            }),
          ]
        : []),
    ],
  });
}

/**
 * One JSON object per request; `$context.error.messageString` is already a quoted JSON string. Without
 * `withPath`, the line has the route's template (`resourcePath`) but not the path with its visitorId or
 * requestId. Query strings are never logged.
 */
const accessLogFormat = (withPath: boolean) =>
  AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      ...(withPath && { path: AccessLogField.contextPath() }),
      status: AccessLogField.contextStatus(),
      protocol: AccessLogField.contextProtocol(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      sourceIp: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      caller: AccessLogField.contextIdentityCaller(),
      userArn: AccessLogField.contextIdentityUserArn(),
      accountId: AccessLogField.contextIdentityAccountId(),
      errorMessage: AccessLogField.contextErrorMessage(),
      errorResponseType: AccessLogField.contextErrorResponseType(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );

/** An error body in the handlers' shape; `message` is a JSON value (a literal or `$context.error.messageString`). */
function errorTemplate(code: string, message: string, field?: string): Record<string, string> {
  const fieldPart = field === undefined ? '' : `,"field":${JSON.stringify(field)}`;
  return {
    'application/json': `{"error":{"code":${JSON.stringify(code)},"message":${message}${fieldPart}}}`,
  };
}

/**
 * Errors API Gateway answers by itself, in the same shape as the handlers' errors. A body rejected by the
 * validator (not JSON, or not an object) is reported exactly as the handler would report it.
 */
function addGatewayResponses(api: RestApi, corsOrigins: readonly string[]): void {
  const headers: Record<string, string> = {
    'Content-Type': "'application/json'",
    'Cache-Control': "'no-store'",
    // One origin can be echoed statically; with several, browsers get the header from the preflight only.
    ...(corsOrigins.length === 1 && { 'Access-Control-Allow-Origin': `'${corsOrigins[0]}'` }),
  };
  const dynamicMessage = '$context.error.messageString';
  const responses = [
    {
      id: 'BadRequestBody',
      type: ResponseType.BAD_REQUEST_BODY,
      templates: errorTemplate(
        ERROR_CODES.ValidationFailed,
        JSON.stringify('The body must be a JSON object such as {"requestId": "..."}.'),
        'body',
      ),
    },
    {
      id: 'AccessDenied',
      type: ResponseType.ACCESS_DENIED,
      templates: errorTemplate(GATEWAY_ERROR_CODES.AccessDenied, dynamicMessage),
    },
    {
      id: 'MissingAuthentication',
      type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
      templates: errorTemplate(
        'MissingAuthentication',
        JSON.stringify(
          'Sign the request with AWS Signature Version 4 (service "execute-api"), and check the method and path: an unknown route is answered this way too.',
        ),
      ),
    },
    {
      id: 'Throttled',
      type: ResponseType.THROTTLED,
      templates: errorTemplate(GATEWAY_ERROR_CODES.Throttled, dynamicMessage),
    },
    {
      id: 'Default4xx',
      type: ResponseType.DEFAULT_4XX,
      templates: errorTemplate(GATEWAY_ERROR_CODES.RequestRejected, dynamicMessage),
    },
    {
      id: 'Default5xx',
      type: ResponseType.DEFAULT_5XX,
      templates: errorTemplate(GATEWAY_ERROR_CODES.GatewayError, dynamicMessage),
    },
  ];
  for (const response of responses) {
    api.addGatewayResponse(response.id, {
      type: response.type,
      responseHeaders: headers,
      templates: response.templates,
    });
  }
}
