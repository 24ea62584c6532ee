/**
 * Sealing events as Fingerprint does for Sealed Client Results, so that tests can hand the service blobs of any
 * content: header `9E 85 DC ED`, 12-byte nonce, AES-256-GCM ciphertext of the raw-deflated JSON, 16-byte tag.
 * Written from the format, not from `shared/fingerprint/sealed.ts`; the tests check that Fingerprint's own
 * SDKs open what this seals.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';

const HEADER = Buffer.from([0x9e, 0x85, 0xdc, 0xed]);

/** A fresh random AES-256 key. */
export const newSealingKey = (): Buffer => randomBytes(32);

/** Seals `plaintext` (JSON text, or bytes as they are) with `key`. */
export function seal(plaintext: string | Buffer, key: Buffer, nonce: Buffer = randomBytes(12)): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(deflateRawSync(plaintext)), cipher.final()]);
  return Buffer.concat([HEADER, nonce, ciphertext, cipher.getAuthTag()]);
}

/** Seals `payload` as JSON and answers the base64 text the JS agent would hand to the browser. */
export const sealJson = (payload: unknown, key: Buffer): string =>
  seal(JSON.stringify(payload), key).toString('base64');

/** Fingerprint's published test vector (`test/fixtures/sealed/README.md`). */
export interface OfficialVector {
  key: string;
  otherKey: string;
  sealedResult: string;
  expected: { requestId: string; visitorId: string; timestamp: number };
  wrongHeader: string;
  sealedNotAnEvent: string;
  sealedNotCompressed: string;
}

const fixture = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url), 'utf8'));

export const officialVector = (): OfficialVector => fixture('sealed/node-sdk-vector.json') as OfficialVector;

/**
 * Fingerprint's example v3 events response, as an event that happened `ageMs` ago with the given ids, so that
 * it is within the TTL and stored.
 */
export function v3ExampleEvent(ids: { requestId: string; visitorId: string }, ageMs = 60_000) {
  const body = fixture('fingerprint/v3/get_event_200.json') as {
    products: { identification: { data: Record<string, unknown> } };
  };
  const timestamp = Date.now() - ageMs;
  Object.assign(body.products.identification.data, {
    requestId: ids.requestId,
    visitorId: ids.visitorId,
    timestamp,
    time: new Date(timestamp).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  return body;
}

/** Fingerprint's example v4 Event, as one that happened `ageMs` ago with the given ids. */
export function v4ExampleEvent(ids: { requestId: string; visitorId: string }, ageMs = 60_000) {
  const body = fixture('fingerprint/v4/events/get_event_200.json') as Record<string, unknown> & {
    identification: Record<string, unknown>;
  };
  body.event_id = ids.requestId;
  body.timestamp = Date.now() - ageMs;
  body.identification.visitor_id = ids.visitorId;
  return body;
}
