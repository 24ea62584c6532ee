import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isValidWebhookSignature as isValidV4 } from '@fingerprint/node-sdk';
import { isValidWebhookSignature as isValidV3 } from '@fingerprintjs/fingerprintjs-pro-server-api';
import { describe, expect, it } from 'vitest';
import {
  MAX_SIGNATURE_ENTRIES,
  parseSignatureHeader,
  signatureHeaderFor,
  verifySignature,
} from '../../functions/webhook/signature.js';

const SECRET = 'whsec-current-7Kq2';
const PREVIOUS = 'whsec-previous-9Zx4';
const OTHER = 'whsec-someone-else';
const BODY = Buffer.from('{"event_id":"1708102555327.NLOjmg","timestamp":1708102555327}');

/** What Fingerprint sends: hex HMAC-SHA256 of the raw body, keyed with the secret. */
const hmacHex = (body: Uint8Array, secret: string) => createHmac('sha256', secret).update(body).digest('hex');

/** Parses `header` and verifies `body` against `secrets`, as the webhook does. */
function verifies(body: Uint8Array, header: string, secrets: string[]): boolean {
  const parsed = parseSignatureHeader(header);
  if (parsed.kind !== 'signed') throw new Error(`header is ${parsed.kind}`);
  return verifySignature(body, parsed.digests, secrets);
}

describe('FPJS-Event-Signature parsing', () => {
  it('reads one v1 entry, and several, ignoring spaces, empty entries and other schemes', () => {
    const a = hmacHex(BODY, SECRET);
    const b = hmacHex(BODY, PREVIOUS);
    expect(parseSignatureHeader(`v1=${a}`)).toEqual({ kind: 'signed', digests: [Buffer.from(a, 'hex')] });
    expect(parseSignatureHeader(` v1=${a} ,, v2=whatever, v1=${b.toUpperCase()} `)).toEqual({
      kind: 'signed',
      digests: [Buffer.from(a, 'hex'), Buffer.from(b, 'hex')],
    });
  });

  it('treats an absent or blank header as missing', () => {
    expect(parseSignatureHeader(undefined)).toEqual({ kind: 'missing' });
    expect(parseSignatureHeader('  ')).toEqual({ kind: 'missing' });
  });

  it.each([
    ['no v1 entry', `v2=${'a'.repeat(64)}`],
    ['a bare value', 'a'.repeat(64)],
    ['a short digest', `v1=${'a'.repeat(63)}`],
    ['a non-hex digest', `v1=${'g'.repeat(64)}`],
    ['a v1 without a value', 'v1'],
    ['a malformed entry next to a good one', `v1=${hmacHex(BODY, SECRET)},v1=xyz`],
    [
      'too many entries',
      Array.from({ length: MAX_SIGNATURE_ENTRIES + 1 }, () => `v1=${'a'.repeat(64)}`).join(','),
    ],
  ])('refuses %s as malformed, without quoting the header', (_, header) => {
    const parsed = parseSignatureHeader(header);
    expect(parsed.kind).toBe('malformed');
    if (parsed.kind === 'malformed') expect(parsed.reason).not.toContain('aaaaaaaa');
  });
});

describe('signature verification', () => {
  it('accepts the body signed with the secret, as Fingerprint signs it', () => {
    expect(verifies(BODY, `v1=${hmacHex(BODY, SECRET)}`, [SECRET])).toBe(true);
    expect(signatureHeaderFor(BODY, [SECRET])).toBe(`v1=${hmacHex(BODY, SECRET)}`);
  });

  it('refuses a signature made with another secret', () => {
    expect(verifies(BODY, `v1=${hmacHex(BODY, OTHER)}`, [SECRET])).toBe(false);
  });

  it('refuses a body changed by one byte after signing', () => {
    const header = `v1=${hmacHex(BODY, SECRET)}`;
    for (const index of [0, Math.floor(BODY.length / 2), BODY.length - 1]) {
      const tampered = Buffer.from(BODY);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      expect(verifies(tampered, header, [SECRET])).toBe(false);
    }
    expect(verifies(Buffer.concat([BODY, Buffer.from(' ')]), header, [SECRET])).toBe(false);
  });

  it('accepts a header with several entries when any one matches (a rotation at Fingerprint)', () => {
    const header = signatureHeaderFor(BODY, [OTHER, SECRET]);
    expect(header.split(',')).toHaveLength(2);
    expect(verifies(BODY, header, [SECRET])).toBe(true);
    expect(verifies(BODY, signatureHeaderFor(BODY, [OTHER, PREVIOUS]), [SECRET])).toBe(false);
  });

  it('accepts either of two configured secrets (a rotation on our side), and nothing else', () => {
    const secrets = [SECRET, PREVIOUS];
    expect(verifies(BODY, signatureHeaderFor(BODY, [SECRET]), secrets)).toBe(true);
    expect(verifies(BODY, signatureHeaderFor(BODY, [PREVIOUS]), secrets)).toBe(true);
    expect(verifies(BODY, signatureHeaderFor(BODY, [OTHER]), secrets)).toBe(false);
  });

  it('signs the raw bytes, not a re-serialization: the same JSON formatted differently does not verify', () => {
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 2));
    expect(verifies(reformatted, signatureHeaderFor(BODY, [SECRET]), [SECRET])).toBe(false);
  });

  it('keys the HMAC with the UTF-8 bytes of a non-ASCII secret', () => {
    const secret = 'clé-secrète-✓';
    expect(verifies(BODY, `v1=${hmacHex(BODY, secret)}`, [secret])).toBe(true);
  });
});

describe('FPJS-Event-Signature against Fingerprint’s official SDKs', () => {
  const officialChecks = { 'v4 SDK': isValidV4, 'v3 SDK': isValidV3 };
  const example = readFileSync(
    new URL('../fixtures/fingerprint/v4/webhook/webhook_event.json', import.meta.url),
  );

  it('signs as the SDKs verify, and refuses what they refuse', () => {
    for (const [name, isValid] of Object.entries(officialChecks)) {
      for (const body of [BODY, example]) {
        for (const signers of [[SECRET], [OTHER, SECRET], [SECRET, PREVIOUS]]) {
          const header = signatureHeaderFor(body, signers);
          for (const secret of [SECRET, PREVIOUS, OTHER]) {
            const official = isValid({ header, data: body, secret });
            expect(official, `${name}, signed by ${signers.join('+')}, checked with ${secret}`).toBe(
              signers.includes(secret),
            );
            expect(verifies(body, header, [secret]), `ours, as the ${name}`).toBe(official);
          }
        }
      }
    }
  });
});
