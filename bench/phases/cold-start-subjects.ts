/**
 * The cold-start phase's subjects: each function's first call, and the same calls made by its floor (only the
 * AWS SDK clients that call needs), so that the two start apart and can be compared.
 */
import { randomBytes } from 'node:crypto';
import { SIGNATURE_HEADER, signatureHeaderFor } from '../../functions/webhook/signature.js';
import type { FunctionKey } from '../../infra/bundling.js';
import { buildApiEvent } from '../../local/harness/lambda-events.js';
import { buildSqsEvent } from '../../local/harness/sqs-events.js';
import type { WebhookReceipt } from '../../shared/manifest/api-types.js';
import type { Bundles } from '../bundles.js';
import { type ColdStartResult, type ColdStartSubject, measureColdStarts } from '../cold-start.js';
import { bundleFile, FUNCTIONS, fixture, log, type runtimes, WEBHOOK_SIGNING_SECRET } from '../settings.js';
import { FLOOR_OF } from '../targets.js';
import type { BenchSetup } from './setup.js';

/**
 * The cold-start phase: every function and its floor started `runs` times on each runtime, interleaved (keys
 * `<runtime label>:<subject key>`).
 */
export function measureColdStartPhase(
  setup: BenchSetup,
  nodes: ReturnType<typeof runtimes>,
  runs: number,
): Promise<Record<string, ColdStartResult>> {
  log(
    `cold starts: ${runs} fresh processes per bundle and runtime (${nodes.runtimes.map((node) => node.version).join(', ')}), interleaved, every endpoint over TLS`,
  );
  const subjects = nodes.runtimes.flatMap((node) =>
    coldStartSubjects(setup.bundles, setup.tlsEnv, setup.data).map((subject) => ({
      ...subject,
      key: `${node.label}:${subject.key}`,
      execPath: node.execPath,
    })),
  );
  return measureColdStarts(subjects, runs, (round) => {
    if (round % 5 === 0) log(`  round ${round}/${runs}`);
  });
}

export function coldStartSubjects(
  bundles: Bundles,
  env: (key: FunctionKey) => Record<string, string>,
  data: { requestId: string; visitorId: string },
): Omit<ColdStartSubject, 'execPath'>[] {
  const { requestId, visitorId } = data;
  const answer = (
    result: unknown,
  ): { statusCode: number; body: string; headers?: Record<string, string> } => {
    if (typeof result !== 'object' || result === null || !('statusCode' in result) || !('body' in result)) {
      throw new Error(`Not an API Gateway answer: ${JSON.stringify(result)}`);
    }
    return result as { statusCode: number; body: string };
  };
  const has = (key: string) => (result: unknown) =>
    typeof result === 'object' && result !== null && key in result;
  const subjects: Record<FunctionKey, Omit<ColdStartSubject, 'key' | 'file' | 'env' | 'execPath'>> = {
    // Each function's first call is the one it serves most: a history page, a cached read, a delivery.
    query: {
      event: buildApiEvent({ method: 'GET', resource: '/events', query: { visitorId } }),
      check: (result) => answer(result).statusCode === 200,
    },
    enrichHttp: {
      event: buildApiEvent({ method: 'POST', resource: '/enrich', body: JSON.stringify({ requestId }) }),
      check: (result) =>
        answer(result).statusCode === 200 && answer(result).body.includes('"source":"cache"'),
    },
    enrichQueue: {
      event: buildSqsEvent([JSON.stringify({ requestId })]),
      check: (result) =>
        has('batchItemFailures')(result) &&
        Array.isArray((result as { batchItemFailures: unknown[] }).batchItemFailures) &&
        (result as { batchItemFailures: unknown[] }).batchItemFailures.length === 0,
    },
    webhook: {
      // A delivery of its own for every process: one given an event stored by an earlier process would time
      // the replay's path, answered 200 all the same.
      event: signedWebhook,
      check: (result) => answer(result).statusCode === 200 && storedByThisDelivery(answer(result).body),
    },
  };
  // Each function's floor makes that function's first calls, so functions sharing a floor bundle start it apart.
  const floors: Record<FunctionKey, Omit<ColdStartSubject, 'key' | 'file' | 'env' | 'execPath'>> = {
    query: { event: { visitorId }, check: has('Items') },
    enrichHttp: { event: { requestId, call: 'read' }, check: has('Item') },
    enrichQueue: { event: { requestId, call: 'read' }, check: has('Item') },
    webhook: {
      // The same calls as the function's delivery (ADR 7's erasure reads around a conditional write), and like
      // its deliveries a new item in every process, outside the histories the other calls read: a conditional
      // write of an item that exists takes another path.
      event: () => ({
        requestId: `${Date.now()}.floor${randomBytes(6).toString('base64url')}`,
        visitorId: 'BenchmarkFloorVisitor',
      }),
      check: has('Responses'),
    },
  };
  return [
    ...FUNCTIONS.map((key) => ({
      key,
      file: bundleFile(bundles.functions[key]),
      env: env(key),
      ...subjects[key],
    })),
    ...FUNCTIONS.map((key) => ({
      key: `floor:${key}`,
      file: bundleFile(bundles.floors[FLOOR_OF[key]]),
      env: env(key),
      ...floors[key],
    })),
  ];
}

/**
 * A new delivery of Fingerprint's example v4 webhook, signed as Fingerprint signs deliveries. Its event_id is new,
 * in Fingerprint's shape `<epoch ms>.<random>` (48 random bits: two starts of a run will not share one, and a
 * start that did would fail its check). Its timestamp is now, since an expired or stale event would not be
 * written. Its visitor is the example's, apart from the histories the read routes serve.
 */
function signedWebhook() {
  const payload = fixture('v4/webhook/webhook_event.json');
  const now = Date.now();
  const eventId = `${now}.${randomBytes(6).toString('base64url')}`;
  const body = JSON.stringify({ ...payload, event_id: eventId, timestamp: now });
  const event = buildApiEvent({ method: 'POST', resource: '/webhooks/fingerprint', body });
  const signature = signatureHeaderFor(Buffer.from(body, 'utf8'), [WEBHOOK_SIGNING_SECRET]);
  return { ...event, headers: { ...event.headers, [SIGNATURE_HEADER]: signature } };
}

/**
 * Whether the webhook's answer says this delivery stored its event: `stored` without a `reason`. A replay is
 * answered 200 and `stored: true` too, with `reason: "alreadyStored"`; that and every other reason took
 * another path than a delivery's.
 */
function storedByThisDelivery(body: string): boolean {
  let receipt: Partial<WebhookReceipt>;
  try {
    receipt = JSON.parse(body) as Partial<WebhookReceipt>;
  } catch {
    return false;
  }
  return receipt.stored === true && receipt.reason === undefined;
}
