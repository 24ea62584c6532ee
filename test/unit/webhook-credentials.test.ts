import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hasBasicCredentials,
  MissingWebhookSecrets,
  parseWebhookSecret,
  StaticWebhookSecrets,
  WebhookSecretError,
} from '../../functions/webhook/credentials.js';
import {
  SecretsManagerWebhookSecrets,
  WEBHOOK_SECRET_FAILURE_CACHE_SECONDS,
} from '../../functions/webhook/secret.js';
import { toHttpError } from '../../shared/http/errors.js';

const SETTING = 'FINGERPRINT_WEBHOOK_SECRET_ID';
/** Shaped like a key, so the leak guard fails any test that prints it. */
const SECRET = 'fpsk_WebhookUnitCanary_2mX7';
const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

function failureOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a failure');
}

describe('webhook secret values', () => {
  it('reads a plain secret, trimmed', () => {
    expect(parseWebhookSecret(` ${SECRET}\n`, SETTING)).toEqual({ signingSecrets: [SECRET] });
  });

  it('reads JSON with two secrets (a rotation) and basic auth credentials', () => {
    const raw = JSON.stringify({
      secrets: [SECRET, 'previous-secret'],
      basicAuth: { username: 'fingerprint', password: 'p:a ss' },
    });
    expect(parseWebhookSecret(raw, SETTING)).toEqual({
      signingSecrets: [SECRET, 'previous-secret'],
      basicAuth: { username: 'fingerprint', password: 'p:a ss' },
    });
  });

  it.each([
    ['empty', ''],
    ['absent', undefined],
    ['not JSON', `{${SECRET}`],
    ['a JSON array', `[${JSON.stringify(SECRET)}]`],
    ['without secrets', JSON.stringify({ secret: SECRET })],
    ['with an empty secrets list', JSON.stringify({ secrets: [] })],
    ['with a blank secret', JSON.stringify({ secrets: [SECRET, ' '] })],
    ['with too many secrets', JSON.stringify({ secrets: [SECRET, 'b', 'c', 'd', 'e'] })],
    ['with incomplete basic auth', JSON.stringify({ secrets: [SECRET], basicAuth: { username: 'u' } })],
    [
      'with a colon in the username',
      JSON.stringify({ secrets: [SECRET], basicAuth: { username: 'u:x', password: 'p' } }),
    ],
  ])('refuses a value %s, naming the setting and never quoting the value', (_, raw) => {
    const error = failureOf(() => parseWebhookSecret(raw, SETTING));
    expect(error).toBeInstanceOf(WebhookSecretError);
    expect(error.message).toContain(SETTING);
    expect(`${error.message}${String(error.stack)}`).not.toContain(SECRET);
    expect(error.cause).toBeUndefined();
  });

  it('fails a local run at once on a bad FINGERPRINT_WEBHOOK_SECRET, and fails closed without one', async () => {
    expect(() => new StaticWebhookSecrets('{oops')).toThrow(/FINGERPRINT_WEBHOOK_SECRET\b/);
    await expect(new StaticWebhookSecrets(SECRET).get()).resolves.toEqual({ signingSecrets: [SECRET] });
    await expect(new MissingWebhookSecrets().get()).rejects.toThrow(/set FINGERPRINT_WEBHOOK_SECRET/);
  });
});

describe('basic auth', () => {
  const expected = { username: 'fingerprint', password: 's3cret:with colon' };

  it('accepts exactly the configured credentials, whatever the scheme spelling', () => {
    expect(hasBasicCredentials(basic('fingerprint:s3cret:with colon'), expected)).toBe(true);
    expect(hasBasicCredentials(`basic ${basic('fingerprint:s3cret:with colon').slice(6)}`, expected)).toBe(
      true,
    );
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Bearer abc'],
    ['a wrong password', basic('fingerprint:s3cret')],
    ['a wrong username', basic('Fingerprint:s3cret:with colon')],
    ['no password', basic('fingerprint')],
    ['garbage', 'Basic !!!'],
  ])('refuses %s', (_, header) => {
    expect(hasBasicCredentials(header, expected)).toBe(false);
  });
});

describe('SecretsManagerWebhookSecrets', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  afterEach(() => secretsManager.reset());

  const build = (now = () => 0) =>
    new SecretsManagerWebhookSecrets({
      client: new SecretsManagerClient({ region: 'us-east-1' }),
      secretId: 'fingerprint/webhook',
      cacheSeconds: 300,
      now,
    });

  it('reads the secret once and caches it, as the API key is cached', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    let clock = 0;
    const source = build(() => clock);

    await source.get();
    await Promise.all([source.get(), source.get()]);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    clock = 301_000;
    await expect(source.get()).resolves.toEqual({ signingSecrets: [SECRET] });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('names the setting when the secret cannot be read or is empty, and remembers a failure only briefly', async () => {
    const denied = new Error('AccessDeniedException from Secrets Manager');
    denied.name = 'AccessDeniedException';
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(denied)
      .resolvesOnce({})
      .resolves({ SecretString: SECRET });
    let clock = 0;
    const source = build(() => clock);

    await expect(source.get()).rejects.toThrow(
      /Cannot read the webhook secret \(AccessDeniedException\).*FINGERPRINT_WEBHOOK_SECRET_ID/,
    );
    clock += WEBHOOK_SECRET_FAILURE_CACHE_SECONDS * 1000;
    await expect(source.get()).rejects.toThrow(/FINGERPRINT_WEBHOOK_SECRET_ID\) is empty/);
    clock += WEBHOOK_SECRET_FAILURE_CACHE_SECONDS * 1000;
    await expect(source.get()).resolves.toEqual({ signingSecrets: [SECRET] });
  });

  it('remembers a missing secret briefly: a flood of requests costs one read, and a value put in is picked up', async () => {
    let value: string | undefined;
    secretsManager
      .on(GetSecretValueCommand)
      .callsFake(() => (value === undefined ? {} : { SecretString: value }));
    let clock = 0;
    const source = build(() => clock);

    // 50 at once share one read; the 100 after them find the failure remembered.
    const flood = await Promise.allSettled(Array.from({ length: 50 }, () => source.get()));
    for (let request = 0; request < 100; request++) {
      await expect(source.get()).rejects.toBeInstanceOf(WebhookSecretError);
    }

    expect(flood.every((settled) => settled.status === 'rejected')).toBe(true);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const [failure] = flood;
    expect(failure?.status === 'rejected' && toHttpError(failure.reason)).toMatchObject({
      statusCode: 503,
      body: { error: { code: 'WebhookNotConfigured' } },
    });

    // The operator puts the secret in: it is used once the failure is forgotten, within seconds.
    value = SECRET;
    clock = (WEBHOOK_SECRET_FAILURE_CACHE_SECONDS - 1) * 1000;
    await expect(source.get()).rejects.toBeInstanceOf(WebhookSecretError);
    clock = WEBHOOK_SECRET_FAILURE_CACHE_SECONDS * 1000;
    await expect(source.get()).resolves.toEqual({ signingSecrets: [SECRET] });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('remembers an unreadable secret (access denied, Secrets Manager down) the same way', async () => {
    const denied = new Error('AccessDeniedException from Secrets Manager');
    denied.name = 'AccessDeniedException';
    secretsManager.on(GetSecretValueCommand).rejects(denied);
    const source = build();

    for (let request = 0; request < 20; request++) {
      await expect(source.get()).rejects.toThrow(/Cannot read the webhook secret/);
    }
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('remembers no failure when values are not cached either (SECRET_CACHE_SECONDS=0)', async () => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce({}).resolves({ SecretString: SECRET });
    const source = new SecretsManagerWebhookSecrets({
      client: new SecretsManagerClient({ region: 'us-east-1' }),
      secretId: 'fingerprint/webhook',
      cacheSeconds: 0,
      now: () => 0,
    });

    await expect(source.get()).rejects.toBeInstanceOf(WebhookSecretError);
    await expect(source.get()).resolves.toEqual({ signingSecrets: [SECRET] });
  });
});
