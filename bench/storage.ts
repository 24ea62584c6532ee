/**
 * `npx tsx bench/storage.ts`: what keeping the upstream's own copy of a v4 event (`STORE_UPSTREAM_EVENTS`)
 * costs per stored event, for each of Fingerprint's official v4 examples: the item's size and write units with
 * and without the compressed copy, the index entries (which never hold it), and the CPU of compressing and
 * decompressing it. The items are built by the store's own `toItem` and marshalled as the store writes them;
 * sizes follow DynamoDB's documented rules (`bench/support/item-size.ts`). See docs/storage.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { REPOSITORY_ROOT } from '../infra/bundling.js';
import { upstreamV4Of } from '../shared/domain/upstream.js';
import { normalizeV4Event, normalizeWebhook } from '../shared/fingerprint/normalize.js';
import { toItem } from '../shared/store/dynamodb-event-item.js';
import { expiresAtFor, UPSTREAM_ATTRIBUTE } from '../shared/store/schema.js';
import {
  decodeUpstreamV4,
  encodeUpstreamV4,
  UPSTREAM_FORMAT_V4_BROTLI,
} from '../shared/store/upstream-codec.js';
import { eventWriteCost } from './support/item-size.js';
import { table } from './support/table.js';

const FIXTURES = path.join(REPOSITORY_ROOT, 'test', 'fixtures', 'fingerprint', 'v4');
const ROUNDS = 500;

const fixture = (file: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Record<string, unknown>;

const examples: [string, () => ReturnType<typeof normalizeV4Event>[]][] = [
  ['GET /v4/events/{id}', () => [normalizeV4Event(fixture('events/get_event_200.json'))]],
  ['… with bot info', () => [normalizeV4Event(fixture('events/get_event_with_bot_info_200.json'))]],
  ['… with ruleset', () => [normalizeV4Event(fixture('events/get_event_ruleset_200.json'))]],
  [
    'GET /v4/events (search item)',
    () =>
      (fixture('events/search/get_event_search_200.json').events as unknown[])
        .filter((event) => typeof event === 'object' && event !== null && 'identification' in event)
        .map(normalizeV4Event),
  ],
  ['v4 webhook', () => [normalizeWebhook(fixture('webhook/webhook_event.json'))]],
];

/** Mean microseconds of `run` over {@link ROUNDS} rounds, after a warm-up. */
function micros(run: () => unknown): number {
  for (let round = 0; round < 50; round++) run();
  const started = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) run();
  return Number(process.hrtime.bigint() - started) / ROUNDS / 1000;
}

const rows: string[][] = [];
for (const [name, normalize] of examples) {
  for (const event of normalize()) {
    const upstream = upstreamV4Of(event);
    if (upstream === undefined) throw new Error(`${name}: no upstream copy attached`);
    const expiresAt = expiresAtFor(event.timestamp, 90);
    const withCopy = marshall(toItem(event, expiresAt, true), { removeUndefinedValues: true });
    const without = marshall(toItem(event, expiresAt, false), { removeUndefinedValues: true });
    const blob = withCopy[UPSTREAM_ATTRIBUTE]?.B;
    if (blob === undefined) throw new Error(`${name}: the copy was not kept`);
    const a = eventWriteCost(withCopy);
    const b = eventWriteCost(without);
    rows.push([
      name,
      String(Buffer.byteLength(JSON.stringify(upstream))),
      String(blob.byteLength),
      String(b.bytes),
      String(a.bytes),
      String(b.indexBytes),
      `${b.writeUnits} → ${a.writeUnits}`,
      micros(() => encodeUpstreamV4(upstream)).toFixed(0),
      micros(() => decodeUpstreamV4(UPSTREAM_FORMAT_V4_BROTLI, blob)).toFixed(0),
    ]);
  }
}

console.log(
  table(
    [
      'v4 example',
      'JSON bytes',
      'Brotli bytes',
      'item without',
      'item with',
      'index entry',
      'write units (table + indexes)',
      'compress µs',
      'decompress µs',
    ],
    rows,
  ),
);
