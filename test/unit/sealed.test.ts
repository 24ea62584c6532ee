import { createCipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { unseal as unsealV4Sdk } from '@fingerprint/node-sdk';
import { unseal as unsealV3Sdk } from '@fingerprintjs/fingerprintjs-pro-server-api';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  newSealingKey,
  officialVector,
  seal,
  sealJson,
  v3ExampleEvent,
  v4ExampleEvent,
} from '../../local/harness/sealing.js';
import {
  ERROR_CODES,
  SealedKeysUnavailableError,
  SealedResultError,
  SealedResultsNotConfiguredError,
} from '../../shared/domain/errors.js';
import { normalizeV3Event, normalizeV4Event } from '../../shared/fingerprint/normalize.js';
import {
  decodeSealedResult,
  MIN_SEALED_BYTES,
  SEALED_HEADER,
  unsealPlaintext,
} from '../../shared/fingerprint/sealed.js';
import { openSealedEvent } from '../../shared/fingerprint/sealed-event.js';
import { parseSealedKeysSecret, StaticSealedKeys } from '../../shared/fingerprint/sealed-keys.js';
import { SecretsManagerSealedKeys } from '../../shared/fingerprint/sealed-keys-secret.js';
import { SEALED_RESULT_MAX_BASE64_CHARS, SEALED_RESULT_MAX_BYTES } from '../../shared/manifest/limits.js';

const vector = officialVector();
const key = (base64: string) => Buffer.from(base64, 'base64');
const ids = { requestId: '1764849600000.SeAl3d', visitorId: 'SealedVisitor00000001' };

/** Opens `text` as the route does: decode and check, then decrypt and normalize. */
const open = (text: string, keys: readonly Buffer[]) => openSealedEvent(decodeSealedResult(text), keys);

/** The error `run` throws, which must be a sealed-result refusal naming `sealedResult`. */
function refusal(run: () => unknown): SealedResultError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SealedResultError);
    expect((error as SealedResultError).field).toBe('sealedResult');
    return error as SealedResultError;
  }
  throw new Error('expected a refusal');
}

const sdkKeys = (keys: readonly Buffer[]) => keys.map((k) => ({ key: k, algorithm: 'aes-256-gcm' as const }));

describe("Fingerprint's published test vector", () => {
  it('opens with our code, trying the keys in order, to the event its SDK test expects', () => {
    const event = open(vector.sealedResult, [key(vector.otherKey), key(vector.key)]);

    expect(event).toMatchObject({ ...vector.expected, source: 'sealed' });
    expect(event.browser.name).toBe('Safari');
  });

  it('decrypts to the same plaintext as both official SDKs', async () => {
    const ours = unsealPlaintext(decodeSealedResult(vector.sealedResult), [key(vector.key)]).toString('utf8');

    expect(ours).toBe(
      await unsealV3Sdk(Buffer.from(vector.sealedResult, 'base64'), sdkKeys([key(vector.key)])),
    );
    expect(ours).toBe(
      await unsealV4Sdk(Buffer.from(vector.sealedResult, 'base64'), sdkKeys([key(vector.key)])),
    );
    // Normalized as the v3 events response it is, apart from where it came from.
    expect(open(vector.sealedResult, [key(vector.key)])).toEqual({
      ...normalizeV3Event(JSON.parse(ours)),
      source: 'sealed',
    });
  });

  it("refuses the SDK's own bad samples with their own codes", () => {
    const keys = [key(vector.key)];
    expect(refusal(() => open(vector.wrongHeader, keys)).code).toBe(ERROR_CODES.SealedResultBadHeader);
    expect(refusal(() => open(vector.sealedNotAnEvent, keys)).code).toBe(ERROR_CODES.SealedResultNotAnEvent);
    expect(refusal(() => open(vector.sealedNotCompressed, keys)).code).toBe(
      ERROR_CODES.SealedResultNotAnEvent,
    );
    expect(refusal(() => open(vector.sealedResult, [key(vector.otherKey)])).code).toBe(
      ERROR_CODES.SealedResultUndecryptable,
    );
  });
});

describe.each([
  ['v3', () => v3ExampleEvent(ids), normalizeV3Event],
  ['v4', () => v4ExampleEvent(ids), normalizeV4Event],
] as const)("events sealed from Fingerprint's %s example", (_version, example, normalize) => {
  it('round-trip: open with our code to the event the Server API answer normalizes to', () => {
    const k = newSealingKey();
    const payload = example();

    expect(open(sealJson(payload, k), [k])).toEqual({ ...normalize(payload), source: 'sealed' });
  });

  it('are what the official SDKs open: the same plaintext', async () => {
    const k = newSealingKey();
    const payload = example();
    const blob = seal(JSON.stringify(payload), k);

    expect(JSON.parse(await unsealV3Sdk(blob, sdkKeys([k])))).toEqual(payload);
    expect(JSON.parse(await unsealV4Sdk(blob, sdkKeys([k])))).toEqual(payload);
    expect(JSON.parse(unsealPlaintext(blob, [k]).toString('utf8'))).toEqual(payload);
  });

  it('open with the second key during a rotation, and not at all without it', () => {
    const [current, next] = [newSealingKey(), newSealingKey()];
    const text = sealJson(example(), next);

    expect(open(text, [current, next]).requestId).toBe(ids.requestId);
    expect(refusal(() => open(text, [current])).code).toBe(ERROR_CODES.SealedResultUndecryptable);
  });

  it('refuse a flipped bit anywhere in the nonce, the ciphertext or the tag, whatever the key', () => {
    const k = newSealingKey();
    const blob = seal(JSON.stringify(example()), k);
    const nonceStart = SEALED_HEADER.length;
    const ciphertextStart = nonceStart + 12;
    const tagStart = blob.length - 16;
    const positions = [
      nonceStart,
      nonceStart + 11,
      ciphertextStart,
      Math.floor((ciphertextStart + tagStart) / 2),
      tagStart - 1,
      tagStart,
      blob.length - 1,
      ...Array.from(
        { length: 20 },
        () => nonceStart + Math.floor(Math.random() * (blob.length - nonceStart)),
      ),
    ];
    for (const position of positions) {
      for (const bit of [0x01, 0x80]) {
        const altered = Buffer.from(blob);
        altered[position] = (altered[position] ?? 0) ^ bit;
        const error = refusal(() => open(altered.toString('base64'), [newSealingKey(), k]));
        expect({ position, code: error.code }).toEqual({
          position,
          code: ERROR_CODES.SealedResultUndecryptable,
        });
      }
    }
  });

  it('refuse a truncated blob: too short below header, nonce and tag, undecryptable above', () => {
    const k = newSealingKey();
    const blob = seal(JSON.stringify(example()), k);
    for (const length of [0, 1, 4, 16, MIN_SEALED_BYTES - 1]) {
      const error = refusal(() => open(blob.subarray(0, length).toString('base64'), [k]));
      expect({ length, code: error.code }).toEqual({ length, code: ERROR_CODES.SealedResultTooShort });
    }
    for (const length of [MIN_SEALED_BYTES, blob.length - 16, blob.length - 1]) {
      const error = refusal(() => open(blob.subarray(0, length).toString('base64'), [k]));
      expect({ length, code: error.code }).toEqual({ length, code: ERROR_CODES.SealedResultUndecryptable });
    }
  });

  it('refuse a wrong header, byte by byte', () => {
    const k = newSealingKey();
    const blob = seal(JSON.stringify(example()), k);
    for (let position = 0; position < SEALED_HEADER.length; position += 1) {
      const altered = Buffer.from(blob);
      altered[position] = (altered[position] ?? 0) ^ 0x01;
      expect(refusal(() => open(altered.toString('base64'), [k])).code).toBe(
        ERROR_CODES.SealedResultBadHeader,
      );
    }
  });
});

describe('sealed result checks', () => {
  it(`refuses more than ${SEALED_RESULT_MAX_BYTES} bytes (${SEALED_RESULT_MAX_BASE64_CHARS} characters) before decoding`, () => {
    const k = newSealingKey();
    const oversized = seal(randomBytes(SEALED_RESULT_MAX_BYTES), k).toString('base64');
    const error = refusal(() => decodeSealedResult(oversized));

    expect(error.code).toBe(ERROR_CODES.SealedResultTooLarge);
    expect(error.message).toContain(String(SEALED_RESULT_MAX_BASE64_CHARS));
    // The largest accepted blob decodes.
    const largest = Buffer.concat([
      SEALED_HEADER,
      randomBytes(SEALED_RESULT_MAX_BYTES - SEALED_HEADER.length),
    ]);
    expect(decodeSealedResult(largest.toString('base64'))).toEqual(largest);
  });

  it('keeps real sealed events far below the cap', () => {
    // The justification of the cap: Fingerprint's richest example events, sealed.
    for (const payload of [v3ExampleEvent(ids), v4ExampleEvent(ids)]) {
      expect(seal(JSON.stringify(payload), newSealingKey()).length).toBeLessThan(
        SEALED_RESULT_MAX_BYTES / 16,
      );
    }
  });

  it.each([
    ['spaces', (text: string) => `${text.slice(0, 40)} ${text.slice(40)}`],
    ['base64url', (text: string) => text.replaceAll('+', '-').replaceAll('/', '_')],
    ['a stray character', (text: string) => `${text.slice(0, 10)}!${text.slice(11)}`],
    ['padding inside', (text: string) => `${text.slice(0, 8)}==${text.slice(8)}`],
    ['a line break', (text: string) => `${text}\n`],
  ])('refuses text that is not standard base64: %s', (_name, spoil) => {
    const text = spoil(vector.sealedResult);
    expect(text).not.toBe(vector.sealedResult);
    expect(refusal(() => decodeSealedResult(text)).code).toBe(ERROR_CODES.SealedResultNotBase64);
  });

  it('accepts base64 without its padding', () => {
    const unpadded = vector.sealedResult.replace(/=+$/, '');
    expect(open(unpadded, [key(vector.key)]).requestId).toBe(vector.expected.requestId);
  });

  it('stops inflating a decompression bomb at its bound', () => {
    const k = newSealingKey();
    // 20 MB of spaces deflate to about 20 KB: a blob under the size cap.
    const bomb = deflateRawSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    const sealedBomb = sealCompressed(bomb, k);

    expect(sealedBomb.length).toBeLessThan(SEALED_RESULT_MAX_BYTES);
    const error = refusal(() => open(sealedBomb.toString('base64'), [k]));
    expect(error.code).toBe(ERROR_CODES.SealedResultNotAnEvent);
    expect(error.message).toMatch(/more than \d+ bytes/);
  });

  it.each([
    ['not JSON', 'not json at all'],
    ['a JSON array', '[1, 2, 3]'],
    ['an empty object', '{}'],
    ['a v3 body without identification', JSON.stringify({ products: { botd: {} } })],
    ['a v4 edge event', JSON.stringify({ event_id: ids.requestId, timestamp: Date.now(), source: 'edge' })],
    ['an invalid requestId', JSON.stringify({ ...v4ExampleEvent(ids), event_id: 'x'.repeat(300) })],
  ])('refuses a plaintext that is not an event: %s', (_name, plaintext) => {
    const k = newSealingKey();
    const error = refusal(() => open(seal(plaintext, k).toString('base64'), [k]));
    expect(error.code).toBe(ERROR_CODES.SealedResultNotAnEvent);
    expect(error.message).toMatch(/^sealedResult /);
  });
});

/** A sealed blob whose ciphertext is `compressed` exactly (no deflate of our own). */
function sealCompressed(compressed: Buffer, k: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k, nonce, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(compressed), cipher.final()]);
  return Buffer.concat([SEALED_HEADER, nonce, ciphertext, cipher.getAuthTag()]);
}

describe('keys of sealed results', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => {
    secrets.reset();
  });

  const keyText = (k: Buffer) => k.toString('base64');

  it('reads a JSON list of base64 keys, in order; no value or an empty list is no key', () => {
    const [a, b] = [newSealingKey(), newSealingKey()];
    expect(parseSealedKeysSecret(JSON.stringify([keyText(a), keyText(b)]))).toEqual([a, b]);
    expect(parseSealedKeysSecret(undefined)).toEqual([]);
    expect(parseSealedKeysSecret('  ')).toEqual([]);
    expect(parseSealedKeysSecret('[]')).toEqual([]);
  });

  it.each([
    ['a bare key', (k: string) => k],
    ['a JSON object', (k: string) => JSON.stringify({ key: k })],
    ['a list with a number', (k: string) => JSON.stringify([k, 7])],
    ['a 16-byte key', (k: string) => JSON.stringify([k, randomBytes(16).toString('base64')])],
    ['a key with a stray character', (k: string) => JSON.stringify([`${k.slice(0, -2)}!=`])],
    ['truncated JSON', (k: string) => `["${k}"`],
  ])('refuses %s, naming the setting and never the value', (_name, build) => {
    const k = keyText(newSealingKey());
    const raw = build(k);
    let error: unknown;
    try {
      parseSealedKeysSecret(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SealedKeysUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('FINGERPRINT_SEALED_KEYS_SECRET_ID');
    expect(message).not.toContain(k);
    expect(message).not.toContain(k.slice(0, 12));
  });

  it('takes local keys comma-separated, and refuses with no key', async () => {
    const [a, b] = [newSealingKey(), newSealingKey()];
    await expect(new StaticSealedKeys(` ${keyText(a)} ,${keyText(b)}`).getKeys()).resolves.toEqual([a, b]);
    await expect(new StaticSealedKeys(' , ').getKeys()).rejects.toBeInstanceOf(
      SealedResultsNotConfiguredError,
    );
    expect(() => new StaticSealedKeys('not-a-key')).toThrow(/FINGERPRINT_SEALED_KEYS/);
  });

  it('creates its Secrets Manager client on the first sealed result, then caches the keys', async () => {
    const k = newSealingKey();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify([keyText(k)]) });
    const client = vi.fn(() => new SecretsManagerClient({ region: 'us-east-1' }));
    const provider = new SecretsManagerSealedKeys({ client, secretId: 'sealed', cacheSeconds: 300 });

    expect(client).not.toHaveBeenCalled();
    await expect(provider.getKeys()).resolves.toEqual([k]);
    await expect(provider.getKeys()).resolves.toEqual([k]);
    expect(client).toHaveBeenCalledTimes(1);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('caches "no key" too, so sealed results before the keys are put cost one read per cache period', async () => {
    let now = 0;
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '[]' });
    const provider = new SecretsManagerSealedKeys({
      client: () => new SecretsManagerClient({ region: 'us-east-1' }),
      secretId: 'sealed',
      cacheSeconds: 300,
      now: () => now,
    });
    for (let call = 0; call < 5; call += 1) {
      await expect(provider.getKeys()).rejects.toBeInstanceOf(SealedResultsNotConfiguredError);
    }
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    const k = newSealingKey();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify([keyText(k)]) });
    now = 300_001;
    await expect(provider.getKeys()).resolves.toEqual([k]);
  });

  it('reports a secret it cannot read as unavailable, naming the setting', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const provider = new SecretsManagerSealedKeys({
      client: () => new SecretsManagerClient({ region: 'us-east-1' }),
      secretId: 'sealed',
      cacheSeconds: 300,
    });
    const error = await provider.getKeys().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SealedKeysUnavailableError);
    expect((error as Error).message).toMatch(/AccessDeniedException.*FINGERPRINT_SEALED_KEYS_SECRET_ID/);
  });
});
