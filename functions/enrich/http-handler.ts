import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { AppError, NotFoundError } from '../../shared/domain/errors.js';
import { bodyText } from '../../shared/http/body.js';
import { httpHandler, jsonResponse } from '../../shared/http/middleware.js';
import { queryParams, requestIdOf, visitorIdOf } from '../../shared/http/request.js';
import { ENRICH_HTTP_ROUTES, errorShapeIn, type RouteKeyOf } from '../../shared/manifest/routes.js';
import type { LogAttributes, Logger } from '../../shared/observability/logger.js';
import { deadlineFor } from '../../shared/runtime/deadline.js';
import { lazily } from '../../shared/runtime/lazy.js';
import { ANSWER_SOURCES, type AnswerSource, type EnrichDeps, enrich } from './enrich.js';
import { readEvent } from './read-through.js';
import { enrichInputParsers, parseEnrichRequest } from './request.js';

/** The header of `GET /events/{requestId}` that says which source answered: `cache` or `fingerprint`. */
export const EVENT_SOURCE_HEADER = 'X-Event-Source';

/** What this deployment allows the routes to do (the function's environment). */
export interface EnrichHttpSettings {
  /**
   * `READ_THROUGH_ENABLED`: resolve a cache miss of `GET /events/{requestId}` and `GET /v4/events/{event_id}`
   * through the Server API.
   */
  readThrough: boolean;
  /**
   * `STORE_UPSTREAM_EVENTS`: `GET /v4/events/{event_id}` answers Fingerprint's own copy of an event when it has
   * one; off, it always renders the event from the normalized view, as the stored items then do not keep it.
   * @default true
   */
  storeUpstream?: boolean;
  /** `UPSTREAM_ERASURE_ENABLED`: `DELETE /visitors/{visitorId}?upstream=true` may delete at Fingerprint. */
  upstreamErasure: boolean;
  /** `CORS_ALLOW_ORIGINS`. @default none */
  corsAllowOrigins?: readonly string[];
}

/** The enrich HTTP handler's ports and its deployment settings. */
export interface EnrichHttpHandlerDeps extends EnrichDeps {
  logger: Logger;
  settings: EnrichHttpSettings;
}

/** The v4 rendering, loaded by the first `GET /v4/events/{event_id}` (docs/performance.md). */
const v4Rendering = lazily(() => import('../../shared/fingerprint/v4-event.js'));
/** Erasure, loaded by the first `DELETE /visitors/{visitorId}`. */
const erasureUseCase = lazily(() => import('./erase.js'));

type Route = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Builds the handler of the routes that need the Fingerprint client: `POST /enrich`, `GET /events/{requestId}`
 * and `GET /v4/events/{event_id}` (read-through) and `DELETE /visitors/{visitorId}` (erasure). `http.ts` calls it once at module scope with
 * ports built from the environment (the Lambda); the local server calls it with ports of its own.
 */
export function createEnrichHttpHandler(deps: EnrichHttpHandlerDeps) {
  const { logger, settings } = deps;

  /**
   * INFO when the answer called Fingerprint (and stored what it got); an answer from the cache is a plain read,
   * which the API's access log records, as it does the query routes' reads.
   */
  const logAnswer = (message: string, fields: { source: AnswerSource } & LogAttributes) => {
    if (fields.source === ANSWER_SOURCES.cache) logger.debug(message, fields);
    else logger.info(message, fields);
  };

  /** The routes, by API Gateway resource template: exactly the manifest's routes of this function. */
  const routes: Record<RouteKeyOf<'enrichHttp'>, Route> = {
    'POST /enrich': async (event, context) => {
      const input = await parseEnrichRequest(bodyText(event));
      const result = await enrich(input, deps, { deadline: deadlineFor(context) });
      logAnswer('Enriched', {
        kind: input.kind,
        source: result.source,
        events: result.events.length,
        stored: result.stored,
        skipped: result.skipped.count,
        complete: result.complete,
        suppressed: result.suppressed,
      });
      return jsonResponse(200, result);
    },

    'GET /events/{requestId}': async (event, context) => {
      const requestId = await requestIdOf(event.pathParameters?.requestId);
      const result = await readEvent(requestId, deps, {
        deadline: deadlineFor(context),
        readThrough: settings.readThrough,
      });
      logAnswer('Event read', { source: result.source });
      // The body stays the NormalizedEvent the route always answered; the source travels in a header.
      return jsonResponse(200, result.event, { [EVENT_SOURCE_HEADER]: result.source });
    },

    // Fingerprint's own v4 route, from the cache (read-through, the coalescer and erasure as above).
    'GET /v4/events/{event_id}': async (event, context) => {
      const { parseV4EventRequest } = await enrichInputParsers();
      const { eventId } = parseV4EventRequest(event.pathParameters?.event_id, queryParams(event));
      const result = await readEvent(eventId, deps, {
        deadline: deadlineFor(context),
        readThrough: settings.readThrough,
      });
      logAnswer('Event read', { source: result.source });
      const { renderV4Event, toV4Event } = await v4Rendering();
      const v4Event =
        (settings.storeUpstream ?? true) ? toV4Event(result.event) : renderV4Event(result.event);
      return jsonResponse(200, v4Event, { [EVENT_SOURCE_HEADER]: result.source });
    },

    'DELETE /visitors/{visitorId}': async (event, context) => {
      const visitorId = await visitorIdOf(event.pathParameters?.visitorId);
      const { parseEraseQuery } = await enrichInputParsers();
      const { upstream } = parseEraseQuery(queryParams(event));
      const { eraseVisitor } = await erasureUseCase();
      const { erasure, upstreamError } = await eraseVisitor({ visitorId, upstream }, deps, {
        deadline: deadlineFor(context),
        upstreamErasure: settings.upstreamErasure,
      });
      const outcome = erasure.upstream.requested ? erasure.upstream.outcome : 'notRequested';
      // An erasure is an audit event: who asked is in the API's access log under the same request id.
      if (upstreamError === undefined) {
        logger.info('Visitor erased', {
          deleted: erasure.deleted,
          erasedAt: erasure.erasedAt,
          upstream: outcome,
        });
      } else {
        logger.warn('Visitor erased from the cache, but not at Fingerprint', {
          deleted: erasure.deleted,
          erasedAt: erasure.erasedAt,
          upstream: outcome,
          errorCode: upstreamError instanceof AppError ? upstreamError.code : 'Internal',
          error: upstreamError,
        });
      }
      return jsonResponse(200, erasure);
    },
  };

  return httpHandler(
    logger,
    async (event, context) => {
      const route: Route | undefined =
        routes[`${event.httpMethod} ${event.resource}` as RouteKeyOf<'enrichHttp'>];
      if (route === undefined) {
        throw new NotFoundError(`No route ${event.httpMethod} ${event.resource}.`);
      }
      return route(event, context);
    },
    {
      corsAllowOrigins: settings.corsAllowOrigins,
      errorShape: errorShapeIn(ENRICH_HTTP_ROUTES),
    },
  );
}
