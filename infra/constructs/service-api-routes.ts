import {
  AuthorizationType,
  type IModel,
  type IRequestValidator,
  type IResource,
  type LambdaIntegration,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { HttpFunctionKey } from '../../shared/manifest/functions.js';
import { ROUTE_LIST } from '../../shared/manifest/routes.js';
import { acknowledge } from '../nag.js';

export interface RouteWiring {
  /** The proxy integration of each function behind the API. */
  readonly integrations: Record<HttpFunctionKey, LambdaIntegration>;
  /** Validates path parameters, and bodies that have a model. */
  readonly validator: IRequestValidator;
  /** The model of a `json-object` body: a JSON object, its fields left to the handler. */
  readonly jsonObjectBody: IModel;
}

/**
 * Adds a method for each route of the manifest. Proxy integrations: the handlers route on
 * `${httpMethod} ${resource}`, so these resource paths are their routes (the manifest's route keys).
 */
export function addRoutes(api: RestApi, wiring: RouteWiring): void {
  for (const route of ROUTE_LIST) {
    const resource = route.path
      .split('/')
      .slice(1)
      .reduce<IResource>((parent, part) => parent.getResource(part) ?? parent.addResource(part), api.root);
    const parameters = route.pathParams;
    const method = resource.addMethod(route.method, wiring.integrations[route.function], {
      ...(route.auth === 'public' && { authorizationType: AuthorizationType.NONE }),
      // The webhook body is checked by its handler, after the signature over its exact bytes.
      ...(route.body !== 'signed-bytes' && { requestValidator: wiring.validator }),
      ...(parameters.length > 0 && {
        requestParameters: Object.fromEntries(
          parameters.map((name) => [`method.request.path.${name}`, true]),
        ),
      }),
      // `$default` validates whatever the Content-Type, so a body cannot skip the check by its header.
      ...(route.body === 'json-object' && { requestModels: { $default: wiring.jsonObjectBody } }),
    });
    if (route.auth === 'public') {
      acknowledge(method, {
        id: 'AwsSolutions-APIG4',
        reason:
          'Fingerprint delivers webhooks unsigned by AWS, so IAM cannot apply: the handler refuses any delivery without a valid HMAC-SHA256 FPJS-Event-Signature (and, when enabled, basic auth), before reading it. The route has its own throttling.',
      });
    }
  }
}
