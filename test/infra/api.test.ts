import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEnrichBody } from '../../functions/enrich/input.js';
import { API_ROUTES } from '../../local/api-gateway.js';
import { toHttpError } from '../../shared/http/errors.js';
import { ROUTE_LIST } from '../../shared/manifest/routes.js';
import {
  FULL_CONTEXT,
  logicalIdOf,
  onlyResourceOf,
  resourcesOf,
  type SynthesizedApp,
  synthesize,
} from './support.js';

let dev: SynthesizedApp;
let full: SynthesizedApp;

beforeAll(() => {
  dev = synthesize();
  full = synthesize(FULL_CONTEXT);
});

/** `METHOD /path` for every method of the API, with the resource it is on. */
function routes(app: SynthesizedApp): Map<string, Record<string, unknown>> {
  const paths = new Map<string, string>();
  const resources = resourcesOf(app.template, 'AWS::ApiGateway::Resource');
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const resource = resources[id];
    if (resource === undefined) return '';
    const parent = resource.Properties.ParentId as { Ref?: string };
    const path = `${parent.Ref === undefined ? '' : pathOf(parent.Ref)}/${resource.Properties.PathPart as string}`;
    paths.set(id, path);
    return path;
  };
  const result = new Map<string, Record<string, unknown>>();
  for (const method of Object.values(resourcesOf(app.template, 'AWS::ApiGateway::Method'))) {
    const resourceId = method.Properties.ResourceId as { Ref?: string };
    const path = resourceId.Ref === undefined ? '/' : pathOf(resourceId.Ref);
    result.set(`${method.Properties.HttpMethod as string} ${path}`, method.Properties);
  }
  return result;
}

function integratedFunction(method: Record<string, unknown>): unknown {
  const uri = (method.Integration as { Uri: { 'Fn::Join': [string, unknown[]] } }).Uri['Fn::Join'][1];
  return uri.find((part) => typeof part === 'object' && part !== null && 'Fn::GetAtt' in part);
}

const WEBHOOK_ROUTE = 'POST /webhooks/fingerprint';

describe('API routes', () => {
  it('serves exactly the manifest’s routes, as the handlers and the local server route them', () => {
    expect([...routes(dev).keys()].sort()).toEqual([
      'DELETE /visitors/{visitorId}',
      'GET /events',
      'GET /events/{requestId}',
      'GET /v4/events',
      'GET /v4/events/{event_id}',
      'GET /visitors/{visitorId}',
      'POST /enrich',
      WEBHOOK_ROUTE,
    ]);
    expect([...routes(dev).keys()].sort()).toEqual(ROUTE_LIST.map((route) => route.key).sort());
    expect(API_ROUTES.map((route) => `${route.method} ${route.resource} → ${route.function}`).sort()).toEqual(
      ROUTE_LIST.map((route) => `${route.key} → ${route.function}`).sort(),
    );
  });

  it('requires IAM auth on every method but the webhook, which Fingerprint cannot sign with SigV4', () => {
    for (const [route, method] of routes(dev)) {
      const expected = route === WEBHOOK_ROUTE ? 'NONE' : 'AWS_IAM';
      expect({ route, auth: method.AuthorizationType }).toEqual({ route, auth: expected });
    }
  });

  it('sends the routes that need the Fingerprint client to the enrich function, the webhook to its own, and the reads to the query function', () => {
    const arnOf = (key: 'enrichHttp' | 'query' | 'webhook') => ({
      'Fn::GetAtt': [logicalIdOf(dev, dev.stack.functions[key].function), 'Arn'],
    });
    const expected: Record<string, unknown> = {
      'POST /enrich': arnOf('enrichHttp'),
      'GET /events/{requestId}': arnOf('enrichHttp'),
      'DELETE /visitors/{visitorId}': arnOf('enrichHttp'),
      'GET /v4/events/{event_id}': arnOf('enrichHttp'),
      'GET /events': arnOf('query'),
      'GET /v4/events': arnOf('query'),
      'GET /visitors/{visitorId}': arnOf('query'),
      [WEBHOOK_ROUTE]: arnOf('webhook'),
    };
    for (const [route, method] of routes(dev)) {
      expect((method.Integration as { Type: string }).Type).toBe('AWS_PROXY');
      expect({ route, target: integratedFunction(method) }).toEqual({ route, target: expected[route] });
    }
  });

  it('leaves the webhook body to its handler, which checks the signature over its exact bytes first', () => {
    const webhook = routes(dev).get(WEBHOOK_ROUTE);
    expect(webhook?.RequestValidatorId).toBeUndefined();
    expect(webhook?.RequestModels).toBeUndefined();
  });

  it('validates request bodies and parameters', () => {
    dev.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const enrich = routes(dev).get('POST /enrich');
    expect(enrich?.RequestValidatorId).toBeDefined();
    expect(enrich?.RequestModels).toEqual({ $default: { Ref: expect.any(String) } });
    const [, model] = onlyResourceOf(dev.template, 'AWS::ApiGateway::Model');
    expect(model.Properties.Schema).toMatchObject({ type: 'object' });
    for (const route of ['GET /visitors/{visitorId}', 'DELETE /visitors/{visitorId}']) {
      expect(routes(dev).get(route)?.RequestParameters).toEqual({ 'method.request.path.visitorId': true });
    }
    expect(routes(dev).get('GET /events/{requestId}')?.RequestParameters).toEqual({
      'method.request.path.requestId': true,
    });
  });
});

describe('API resource policy', () => {
  function statements(app: SynthesizedApp): Record<string, unknown>[] {
    const [, api] = onlyResourceOf(app.template, 'AWS::ApiGateway::RestApi');
    return (api.Properties.Policy as { Statement: Record<string, unknown>[] }).Statement;
  }

  it('admits only the deploying account when no principals are configured', () => {
    expect(statements(dev)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Principal: {
          AWS: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root'],
            ],
          },
        },
      }),
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'execute-api:Invoke',
        Principal: { AWS: '*' },
        Condition: { StringNotEquals: { 'aws:PrincipalAccount': [{ Ref: 'AWS::AccountId' }] } },
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Principal: { AWS: '*' },
        Resource: 'execute-api:/*/POST/webhooks/fingerprint',
      }),
    ]);
    expect(statements(dev)[2]).not.toHaveProperty('Condition');
  });

  it('denies every IAM route to everyone else, and leaves only the webhook (and CORS preflights) to anonymous callers', () => {
    for (const app of [dev, full]) {
      const [, deny, publicRoutes] = statements(app);
      expect([deny?.Resource].flat().sort()).toEqual(
        [
          'execute-api:/*/POST/enrich',
          'execute-api:/*/GET/events',
          'execute-api:/*/GET/events/*',
          'execute-api:/*/GET/v4/events',
          'execute-api:/*/GET/v4/events/*',
          'execute-api:/*/GET/visitors/*',
          'execute-api:/*/DELETE/visitors/*',
        ].sort(),
      );
      // An anonymous call (no SigV4) needs an explicit Allow; the Deny above never covers these.
      expect([publicRoutes?.Resource].flat().sort()).toEqual(
        app === full
          ? ['execute-api:/*/OPTIONS/*', 'execute-api:/*/POST/webhooks/fingerprint']
          : ['execute-api:/*/POST/webhooks/fingerprint'],
      );
    }
  });

  it('admits the webhook only from webhookAllowedSourceCidrs when set, whoever the caller', () => {
    expect(statements(dev).map((statement) => statement.Sid)).not.toContain('DenyWebhookFromOtherSources');
    const deny = statements(full).find((statement) => statement.Sid === 'DenyWebhookFromOtherSources');
    expect(deny).toEqual({
      Sid: 'DenyWebhookFromOtherSources',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*/POST/webhooks/fingerprint',
      Condition: { NotIpAddress: { 'aws:SourceIp': [...FULL_CONTEXT.webhookAllowedSourceCidrs] } },
    });
    // Only the webhook: the IAM routes and CORS preflights are not limited by source address.
    const others = statements(full).filter((statement) => statement !== deny);
    expect(JSON.stringify(others)).not.toContain('aws:SourceIp');
  });

  it('admits exactly the configured accounts and roles and denies everyone else', () => {
    const [allow, deny] = statements(full);
    expect(allow?.Principal).toEqual({
      AWS: [
        'arn:aws:iam::444455556666:role/orders-service',
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] },
      ],
    });
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Condition: {
        StringNotEquals: { 'aws:PrincipalAccount': ['111122223333'] },
        ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::444455556666:role/orders-service'] },
      },
    });
  });
});

describe('API stage', () => {
  it('throttles the whole stage with the configured rate and burst', () => {
    dev.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ]),
    });
  });

  it('throttles the public webhook route with a bucket of its own', () => {
    for (const [app, rate, burst] of [
      [dev, 50, 100],
      [synthesize({ webhookThrottleRateLimit: 200, webhookThrottleBurstLimit: 300 }), 200, 300],
    ] as const) {
      app.template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            HttpMethod: 'POST',
            ResourcePath: '/~1webhooks~1fingerprint',
            ThrottlingRateLimit: rate,
            ThrottlingBurstLimit: burst,
          }),
        ]),
      });
    }
  });

  it('writes one JSON access log line per request, with the caller, to a log group with retention', () => {
    const [, stage] = onlyResourceOf(dev.template, 'AWS::ApiGateway::Stage');
    const setting = stage.Properties.AccessLogSetting as { Format: string; DestinationArn: unknown };
    const fields = JSON.parse(setting.Format);
    expect(fields).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      userArn: '$context.identity.userArn',
      responseLatency: '$context.responseLatency',
    });
    const logGroupId = dev.stack.getLogicalId(
      dev.stack.api.accessLogGroup.node.defaultChild as Parameters<typeof dev.stack.getLogicalId>[0],
    );
    expect(JSON.stringify(setting.DestinationArn)).toContain(logGroupId);
    dev.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
    });
  });

  it('keeps visitorIds and requestIds out of the access log when accessLogPathsEnabled is false', () => {
    const formatOf = (app: typeof dev) => {
      const [, stage] = onlyResourceOf(app.template, 'AWS::ApiGateway::Stage');
      return (stage.Properties.AccessLogSetting as { Format: string }).Format;
    };
    expect(JSON.parse(formatOf(dev))).toMatchObject({
      path: '$context.path',
      resourcePath: '$context.resourcePath',
    });

    const format = formatOf(synthesize({ accessLogPathsEnabled: false }));

    const fields = JSON.parse(format) as Record<string, string>;
    expect(fields.resourcePath).toBe('$context.resourcePath');
    expect(fields).not.toHaveProperty('path');
    // No variable of the line holds a path or its parameters (query strings included).
    expect(format).not.toMatch(/\$context\.path|\$input\.params|querystring|\$context\.requestOverride/i);
  });

  it('traces with X-Ray and never logs request bodies', () => {
    const [, stage] = onlyResourceOf(dev.template, 'AWS::ApiGateway::Stage');
    expect(stage.Properties.TracingEnabled).toBe(true);
    const settings = stage.Properties.MethodSettings as Record<string, unknown>[];
    expect(settings).toHaveLength(2);
    for (const setting of settings)
      expect(setting).toMatchObject({ DataTraceEnabled: false, LoggingLevel: 'OFF' });
  });

  it("answers errors of its own in the handlers' JSON shape", () => {
    const responses = Object.values(resourcesOf(dev.template, 'AWS::ApiGateway::GatewayResponse'));
    const byType = new Map(
      responses.map((response) => [response.Properties.ResponseType, response.Properties]),
    );
    expect([...byType.keys()].sort()).toEqual(
      [
        'ACCESS_DENIED',
        'BAD_REQUEST_BODY',
        'DEFAULT_4XX',
        'DEFAULT_5XX',
        'MISSING_AUTHENTICATION_TOKEN',
        'THROTTLED',
      ].sort(),
    );
    const badBody = byType.get('BAD_REQUEST_BODY')?.ResponseTemplates as Record<string, string> | undefined;
    const body = JSON.parse(badBody?.['application/json'] ?? '');
    // Exactly what the handler answers for the same body.
    const handlerAnswer = (() => {
      try {
        parseEnrichBody('[]');
      } catch (error) {
        return toHttpError(error).body;
      }
      return undefined;
    })();
    expect(body).toEqual(handlerAnswer);
    expect(body).toEqual({ error: { code: 'ValidationFailed', message: expect.any(String), field: 'body' } });
    expect(badBody?.['application/json']).toMatch(/^[\x20-\x7e]+$/);
    for (const response of responses) {
      expect(response.Properties.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Content-Type': "'application/json'",
      });
      // With the one dynamic value replaced by a JSON string, every template is a JSON error body.
      const template =
        (response.Properties.ResponseTemplates as Record<string, string>)['application/json'] ?? '';
      const rendered = JSON.parse(template.replace('$context.error.messageString', '"Forbidden"'));
      expect(rendered.error.code).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    }
  });

  it('keeps CORS off unless origins are configured', () => {
    expect([...routes(dev).keys()].filter((route) => route.startsWith('OPTIONS'))).toEqual([]);
    const preflights = [...routes(full)].filter(([route]) => route.startsWith('OPTIONS'));
    expect(preflights.length).toBeGreaterThan(0);
    for (const [, method] of preflights) {
      expect(method.AuthorizationType).toBe('NONE');
      expect(JSON.stringify(method.Integration)).toContain("'https://console.example.com'");
    }
  });

  it('associates the configured WAF web ACL with the stage', () => {
    dev.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    full.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: FULL_CONTEXT.wafWebAclArn,
      ResourceArn: Match.anyValue(),
    });
  });

  it('names the API after its stack, so two stages in one account keep their metrics apart', () => {
    dev.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'FingerprintEnrichment-dev' });
    full.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'FingerprintEnrichment-prod' });
  });
});
