import {
  AccountPrincipal,
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  type IPrincipal,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { ROUTE_LIST, type Route } from '../../shared/manifest/routes.js';

/*
 * The API's resource policy, built from the manifest's routes: a route declared `iam` is denied to everyone
 * but the configured callers, a `public` one admitted to anyone.
 */

const ACCOUNT_ID = /^\d{12}$/;

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
function executeApiResource(route: Pick<Route, 'method' | 'path'>): string {
  return `execute-api:/*/${route.method}${route.path.replace(/\{\w+\}/g, '*')}`;
}

/**
 * Allows `execute-api:Invoke` to the configured callers and denies the IAM routes to everyone else. For
 * callers in this account the Allow only delegates to their IAM policies; a caller in another account needs
 * both. The public routes (the webhook, and CORS preflights when CORS is on) are allowed to anyone: without
 * IAM the caller is anonymous, and an anonymous call needs an explicit Allow and no Deny. With
 * `webhookSourceCidrs`, an explicit Deny refuses the webhook route from any other source address, whoever
 * the caller (a Deny wins over every Allow).
 */
export function resourcePolicy(
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
