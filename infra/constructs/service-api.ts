import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  Cors,
  EndpointType,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WEBHOOK_PATH } from '../../shared/manifest/routes.js';
import { acknowledge } from '../nag.js';
import { type ApiCallers, resourcePolicy } from './service-api-policy.js';
import { addGatewayResponses } from './service-api-responses.js';
import { addRoutes } from './service-api-routes.js';

export { type ApiCallers, apiCallersFrom, callerPrincipals } from './service-api-policy.js';
export { WEBHOOK_PATH };

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

    addRoutes(this.api, {
      integrations: {
        enrichHttp: new LambdaIntegration(props.enrichFunction, { proxy: true, allowTestInvoke: false }),
        query: new LambdaIntegration(props.queryFunction, { proxy: true, allowTestInvoke: false }),
        webhook: new LambdaIntegration(props.webhookFunction, { proxy: true, allowTestInvoke: false }),
      },
      validator,
      jsonObjectBody: enrichBody,
    });

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
