import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  UpstreamBadResponseError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../shared/domain/errors.js';
import { toHttpError } from '../../shared/http/errors.js';
import { seededRandom } from '../support/chance.js';
import { parseLogLines } from '../support/log-lines.js';
import {
  type Exchange,
  type PrismProcess,
  type RecordingProxy,
  requestProblems,
  responseViolations,
  startPrism,
  startRecordingProxy,
} from '../support/prism.js';
import { API_KEY, captureOutput, type Service, startService } from '../support/service.js';
import { lowerCaseHeaders, OpenApiValidator } from './openapi.js';

/**
 * The real enrich handler (`POST /enrich`, dynalite behind it) against Stoplight Prism in dynamic mode: every
 * answer is random data generated from Fingerprint's official document (json-schema-faker), i.e. anything the
 * document allows. Over a few hundred enrichments per version (requestId, linkedId and visitorId alike):
 * - no answer is a 500: an answer the document allows never crashes the service;
 * - every 502 names its cause (a field, an id or a setting), not a generic "unexpected response";
 * - every answer, 200s first, conforms to our own `openapi/openapi.json` (documented status and body);
 * - an upstream 200 is not blamed on Fingerprint (rate limited, unavailable, timed out) and not asked again:
 *   retrying an answer that cannot change cannot help;
 * - Prism finds nothing wrong with any request the handler's client sent.
 *
 * Random data is mostly data the product must refuse (an answer for another event id, timestamps centuries
 * away), which would hide everything else an event carries. So half of Prism's answers are pinned by the proxy
 * to what a real server guarantees and the schema allows: the ids the request named and a timestamp within
 * the retention; everything else stays random. The other half stays raw.
 *
 * Prism runs without `--seed`: with one, it answers the same body to every request of an operation, so all
 * the enrichments would test one answer. The inputs are seeded; when an assertion fails, its message carries
 * one example per kind of failure, with the upstream answer that caused it.
 */

type ApiVersion = 'v3' | 'v4';

/** Enrichments per kind of id and version: enough to meet most optional fields in the random answers. */
const ENRICHMENTS_PER_KIND = 70;
/** Enrichments in flight at once. Prism is the bottleneck (about 0.2 s of CPU per answer). */
const CONCURRENCY = 6;
const INPUT_SEED = 11;
/** Share of Prism's answers the proxy pins to the ids asked for and a plausible timestamp. */
const PINNED_SHARE = 0.5;
/** Starting Prism on a busy 2-core machine, then a few hundred enrichments. */
const TIMEOUT_MS = 300_000;
const DAY_MS = 86_400_000;

const KINDS = ['requestId', 'linkedId', 'visitorId'] as const;
type Kind = (typeof KINDS)[number];

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Text a linkedId may hold: reserved URL characters, spaces, non-ASCII letters, an emoji. */
const LINKED_ID_CHARACTERS = `${ALPHANUMERIC}-_.~ #&/?=+%:@ü߷中😀`;

function idGenerator(random: () => number) {
  const pick = (alphabet: string, length: number) => {
    const characters = [...alphabet];
    return Array.from({ length }, () => characters[Math.floor(random() * characters.length)]).join('');
  };
  return {
    requestId: () =>
      random() < 0.8
        ? `${1_700_000_000_000 + Math.floor(random() * 100_000_000_000)}.${pick(ALPHANUMERIC, 6)}`
        : pick(ALPHANUMERIC, 20),
    visitorId: () => pick(ALPHANUMERIC, 20),
    linkedId: () => pick(LINKED_ID_CHARACTERS, 1 + Math.floor(random() * 40)),
    maxEvents: () => 1 + Math.floor(random() * 5),
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What a real server guarantees about an answer, applied to Prism's random one: the event asked for has the
 * id asked for, a search returns events matching its filter, and every event is within the retention (the
 * last 30 days). All of it is schema-valid: the document types these fields as strings and int64 ms.
 */
function pinner(apiVersion: ApiVersion, random: () => number) {
  const timestamp = () => Date.now() - Math.floor(random() * 30 * DAY_MS);
  const pinV4Event = (event: unknown, query: URLSearchParams, eventId?: string) => {
    if (!isObject(event)) return;
    if (eventId !== undefined) event.event_id = eventId;
    event.timestamp = timestamp();
    const visitorId = query.get('visitor_id');
    if (visitorId !== null && isObject(event.identification)) event.identification.visitor_id = visitorId;
    const linkedId = query.get('linked_id');
    if (linkedId !== null) event.linked_id = linkedId;
  };
  const pinV3Identification = (
    data: unknown,
    fields: { requestId?: string; visitorId?: string | null; linkedId?: string | null },
  ) => {
    if (!isObject(data)) return;
    const ms = timestamp();
    data.timestamp = ms;
    data.time = new Date(ms).toISOString();
    if (fields.requestId !== undefined) data.requestId = fields.requestId;
    if (fields.visitorId !== undefined && fields.visitorId !== null) data.visitorId = fields.visitorId;
    if (fields.linkedId !== undefined && fields.linkedId !== null) data.linkedId = fields.linkedId;
  };
  const identificationOf = (event: unknown) =>
    isObject(event) && isObject(event.products) && isObject(event.products.identification)
      ? event.products.identification.data
      : undefined;

  return ({ route, query }: { route: string; query: URLSearchParams }, body: unknown): unknown => {
    if (random() >= PINNED_SHARE || !isObject(body)) return undefined;
    const id = decodeURIComponent(route.split('/').at(-1) ?? '');
    if (apiVersion === 'v4') {
      if (route === '/events') {
        for (const event of Array.isArray(body.events) ? body.events : []) pinV4Event(event, query);
      } else if (route.startsWith('/events/')) {
        pinV4Event(body, query, id);
      } else return undefined;
    } else if (route === '/events/search') {
      // Every v3 history (visitorId, linkedId or both) searches here (ADR 0009).
      for (const event of Array.isArray(body.events) ? body.events : []) {
        pinV3Identification(identificationOf(event), {
          visitorId: query.get('visitor_id'),
          linkedId: query.get('linked_id'),
        });
      }
    } else if (route.startsWith('/events/')) {
      pinV3Identification(identificationOf(body), { requestId: id });
    } else return undefined;
    return body;
  };
}

/**
 * The messages a caller gets when the error's own message is withheld: they say something failed, not what.
 * Read from the product's table, so that the suite follows it.
 */
const GENERIC_MESSAGES = new Set(
  [new UpstreamBadResponseError('x'), new UpstreamUnavailableError('x'), new UpstreamTimeoutError('x')].map(
    (error) => toHttpError(error).body.error.message,
  ),
);

/**
 * A 502 names its cause when it is not generic and points at something: a field, a setting or an id.
 * `answers` are the bodies Fingerprint answered, whose own top-level fields count as named.
 */
function namesCause(message: string, id: string, answers: readonly string[]): boolean {
  if (GENERIC_MESSAGES.has(message)) return false;
  return (
    message.includes(id) ||
    /\bFINGERPRINT_[A-Z_]+\b/.test(message) ||
    // A field of the answer, e.g. `identification.visitor_id`, `products.identification.data.visitorId`.
    /\b[A-Za-z_]+(?:\.[A-Za-z_\d]+|\[\d+\])+\b/.test(message) ||
    /\bfield\b/i.test(message) ||
    namesTopLevelField(message, answers)
  );
}

/**
 * Whether the message says what is wrong with a top-level field of one of the answers, e.g. "timestamp must
 * be …" of a v4 event, whose path is the bare name. A word that merely equals a field (a "proxy" in the text)
 * or sits in a route (`GET /v4/events/{event_id}`) does not count.
 */
function namesTopLevelField(message: string, answers: readonly string[]): boolean {
  const text = message.replace(/\S*\/\S*/g, ' ');
  return answers.some((answer) => {
    const parsed = safeParse(answer);
    if (!isObject(parsed)) return false;
    return Object.keys(parsed).some((field) => {
      const name = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`(?<![\\w.])${name} (?:must|is|has)\\b`).test(text);
    });
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether a v3 answer holds an identification error and no identification data: then Fingerprint itself
 * reports a failure (even `429 Too Many Requests`) with HTTP 200, and blaming it is right.
 */
function embeddedErrorOnly(body: string): boolean {
  const parsed: unknown = JSON.parse(body);
  const events = isObject(parsed) && Array.isArray(parsed.events) ? parsed.events : [parsed];
  return events.some((event) => {
    const identification =
      isObject(event) && isObject(event.products) ? event.products.identification : undefined;
    return (
      isObject(identification) && identification.error !== undefined && identification.data === undefined
    );
  });
}

/** Codes that put the blame on Fingerprint failing, rather than on what it answered. */
const BLAMING_CODES = new Set(['UpstreamRateLimited', 'UpstreamUnavailable', 'UpstreamTimeout']);

interface Outcome {
  id: string;
  request: Json;
  status: number;
  body: { error?: { code: string; message: string } } & Json;
  exchanges: Exchange[];
  problems: string[];
}

/** Numbers, indices and random words out of a problem, so that one kind of failure is one category. */
function categoryOf(problem: string): string {
  return problem
    .replace(/\/\d+(?=\/|\s|$)/g, '/n')
    .replace(/\[\d+\]/g, '[n]')
    .replace(/"[^"]{24,}"/g, '"…"')
    .replace(/\(([A-Za-z]+): [^)]*\)/g, '($1: …)')
    .replace(/\d+ ms\b/g, 'N ms')
    .replace(/\d{4,}/g, 'N');
}

export function describePrismDynamic(apiVersion: ApiVersion): void {
  describe(`POST /enrich against Prism dynamic answers (Server API ${apiVersion})`, () => {
    const validator = new OpenApiValidator();
    const random = seededRandom(INPUT_SEED + (apiVersion === 'v4' ? 0 : 1));
    const ids = idGenerator(random);
    let prism: PrismProcess;
    let proxy: RecordingProxy;
    let service: Service;
    let output: ReturnType<typeof captureOutput>;
    /** Prism's answers of every test in this file, for the premise checked last. */
    const prismAnswers: Exchange[] = [];

    beforeAll(async () => {
      prism = await startPrism({ apiVersion, dynamic: true });
      proxy = await startRecordingProxy({
        apiVersion,
        target: prism.url,
        apiKey: API_KEY,
        rewrite: pinner(apiVersion, random),
      });
      service = await startService({ apiVersion, env: { FINGERPRINT_BASE_URL: proxy.url } });
    }, TIMEOUT_MS);
    afterAll(async () => {
      await service?.stop();
      await proxy?.close();
      await prism?.stop();
    }, TIMEOUT_MS);
    beforeEach(() => {
      proxy.exchanges.length = 0;
      output = captureOutput();
    });
    afterEach(() => {
      output.stop();
      prismAnswers.push(...proxy.exchanges);
    });

    /** The upstream exchanges of one enrichment: those that name its id. */
    const exchangesFor = (id: string): Exchange[] =>
      proxy.exchanges.filter(
        (exchange) =>
          decodeURIComponent(exchange.route).endsWith(`/${id}`) || [...exchange.query.values()].includes(id),
      );

    const enrich = async (kind: Kind): Promise<Outcome> => {
      const id = ids[kind]();
      const request = kind === 'requestId' ? { requestId: id } : { [kind]: id, maxEvents: ids.maxEvents() };
      const response = await service.call('POST', '/enrich', { body: request });
      const body = JSON.parse(response.body) as Outcome['body'];
      const status = response.statusCode;
      const exchanges = exchangesFor(id);
      // One problem per schema error (the validator joins them), so that each is counted on its own.
      const problems = validator
        .check({ method: 'POST', path: '/enrich', status, headers: lowerCaseHeaders(response.headers), body })
        .flatMap((problem) => {
          const [where, errors = ''] = problem.split(/: (.*)/s);
          return errors.split('; ').map((error) => `${where}: ${error}`);
        });
      const code = body.error?.code ?? '';
      const message = body.error?.message ?? '';
      if (status === 500) problems.push(`500 ${code}: ${message}`);
      const answers = exchanges.filter((e) => e.status === 200).map((e) => e.body);
      if (status === 502 && !namesCause(message, id, answers)) {
        problems.push(`502 ${code} does not name its cause: "${message}"`);
      }
      const answered = exchanges.length > 0 && exchanges.every((e) => e.status === 200 && e.delivered);
      if (answered && BLAMING_CODES.has(code) && !exchanges.some((e) => embeddedErrorOnly(e.body))) {
        problems.push(`${status} ${code} blames Fingerprint, which answered 200 with data: "${message}"`);
      }
      const asked = new Map<string, number>();
      for (const exchange of exchanges) asked.set(exchange.url, (asked.get(exchange.url) ?? 0) + 1);
      const repeats = Math.max(0, ...asked.values());
      if (answered && repeats > 1 && !exchanges.some((e) => embeddedErrorOnly(e.body))) {
        problems.push(
          `a 200 answer was asked for again (${repeats} times the same request) before ${status}`,
        );
      }
      return { id, request, status, body, exchanges, problems };
    };

    it.each(KINDS)(
      `${ENRICHMENTS_PER_KIND} enrichments by %s: no 500, every 502 names its cause, every answer documented`,
      async (kind) => {
        const outcomes: Outcome[] = [];
        let started = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (started < ENRICHMENTS_PER_KIND) {
              started++;
              outcomes.push(await enrich(kind));
            }
          }),
        );

        const categories = new Map<string, { count: number; example: string }>();
        for (const outcome of outcomes) {
          for (const problem of outcome.problems) {
            const category = categoryOf(problem);
            const entry = categories.get(category);
            if (entry !== undefined) {
              entry.count++;
              continue;
            }
            const upstream = outcome.exchanges
              .slice(0, 1)
              .map(
                (e) =>
                  `upstream ${e.status}${e.rewritten ? ' (pinned)' : ''} ${e.method} ${e.url.slice(0, 200)}: ${e.body.slice(0, 1_200)}`,
              );
            categories.set(category, {
              count: 1,
              example: [
                `request ${JSON.stringify(outcome.request)}`,
                `answer ${outcome.status} ${JSON.stringify(outcome.body).slice(0, 800)}`,
                ...upstream,
              ].join('\n    '),
            });
          }
        }
        const statuses = new Map<string, number>();
        for (const { status, body } of outcomes) {
          const key = `${status}${body.error ? ` ${body.error.code}` : ''}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        }
        // What the log says about the 5xx answers (a 500's answer only says "Internal error.").
        const logged = new Map<string, number>();
        for (const line of parseLogLines(output.text()).lines) {
          if (line.message !== 'Request failed') continue;
          const error = line.error as { name?: string; message?: string } | undefined;
          const key = categoryOf(`${line.errorCode}: ${error?.name}: ${error?.message}`).slice(0, 400);
          logged.set(key, (logged.get(key) ?? 0) + 1);
        }
        const summary = [
          `answers: ${[...statuses].map(([key, count]) => `${key} ×${count}`).join(', ')}`,
          `upstream calls: ${proxy.exchanges.length} (${proxy.exchanges.filter((e) => e.rewritten).length} pinned)`,
          'logged failures:',
          ...[...logged].map(([key, count]) => `  ${count}× ${key}`),
        ].join('\n');
        const report = [...categories]
          .sort(([, a], [, b]) => b.count - a.count)
          .map(([category, { count, example }]) => `${count}× ${category}\n    ${example}`);

        expect(outcomes).toHaveLength(ENRICHMENTS_PER_KIND);
        expect(proxy.exchanges.length, 'enrichments reached Prism').toBeGreaterThan(0);
        expect(proxy.exchanges.flatMap(requestProblems), 'requests Prism found invalid').toEqual([]);
        expect(report, summary).toEqual([]);
      },
      TIMEOUT_MS,
    );

    // The suite's premise: Prism's answers are schema-valid. Prism checks its own answers against the
    // document; a violation there would be Prism's doing, not the product's. Checked over every answer of
    // the file (the tests above, whatever their outcome, and a few more here).
    it('Prism finds nothing wrong with its own answers', async () => {
      for (let index = 0; index < 10; index++) await enrich('visitorId');
      const answers = [...prismAnswers, ...proxy.exchanges].filter((exchange) => exchange.status !== 0);
      expect(answers.length).toBeGreaterThan(0);
      const violations = answers.flatMap((exchange) =>
        responseViolations(exchange).map((violation) =>
          categoryOf(`${violation.location.join('.')}: ${violation.message}`),
        ),
      );
      expect([...new Set(violations)]).toEqual([]);
    });
  });
}
