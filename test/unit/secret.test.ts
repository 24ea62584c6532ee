import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamAuthError, UpstreamUnavailableError } from '../../shared/domain/errors.js';
import { SecretsManagerKeyProvider, StaticKeyProvider } from '../../shared/fingerprint/secret.js';

const SECRET_ID = 'fingerprint/secret-api-key';
/** Looks like a real secret key, so a leak is easy to spot. */
const API_KEY = 'fpsk_SecretTestCanary_9vN3kQ7xL2';

const secretsManager = mockClient(SecretsManagerClient);

beforeEach(() => {
  secretsManager.reset();
});

afterEach(() => {
  secretsManager.reset();
});

function buildProvider(overrides: { cacheSeconds?: number; now?: () => number } = {}) {
  return new SecretsManagerKeyProvider({
    client: new SecretsManagerClient({ region: 'us-east-1' }),
    secretId: SECRET_ID,
    cacheSeconds: overrides.cacheSeconds ?? 300,
    ...(overrides.now && { now: overrides.now }),
  });
}

function awsError(name: string): Error {
  const error = new Error(`${name} from Secrets Manager`);
  error.name = name;
  return error;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** Every text an error carries: its message, stack and cause chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current = error;
  while (current instanceof Error) {
    parts.push(current.message, String(current.stack));
    current = current.cause;
  }
  return parts.join('\n');
}

describe('SecretsManagerKeyProvider', () => {
  it('returns a secret stored as the plain key, trimmed', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .resolves({ SecretString: ` ${API_KEY}\n` });

    await expect(buildProvider().getKey()).resolves.toBe(API_KEY);
  });

  it('returns the apiKey of a secret stored as JSON', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: API_KEY }) });

    await expect(buildProvider().getKey()).resolves.toBe(API_KEY);
  });

  it('reads a binary secret', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode(API_KEY) });

    await expect(buildProvider().getKey()).resolves.toBe(API_KEY);
  });

  it('reuses the key for cacheSeconds, then fetches it again', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: API_KEY });
    let clock = 1_000_000;
    const provider = buildProvider({ cacheSeconds: 60, now: () => clock });

    await provider.getKey();
    clock += 59_000;
    await provider.getKey();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    clock += 2_000;
    await provider.getKey();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fetches a rotated key after invalidate()', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'fpsk_OldKeyBeforeRotation' })
      .resolves({ SecretString: API_KEY });
    const provider = buildProvider();

    await expect(provider.getKey()).resolves.toBe('fpsk_OldKeyBeforeRotation');
    provider.invalidate();

    await expect(provider.getKey()).resolves.toBe(API_KEY);
    await expect(provider.getKey()).resolves.toBe(API_KEY);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('shares one Secrets Manager call between concurrent callers', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    secretsManager.on(GetSecretValueCommand).callsFake(async () => {
      await gate;
      return { SecretString: API_KEY };
    });
    const provider = buildProvider();

    const keys = Promise.all([provider.getKey(), provider.getKey(), provider.getKey()]);
    release();

    await expect(keys).resolves.toEqual([API_KEY, API_KEY, API_KEY]);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not cache a key whose fetch started before invalidate()', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    secretsManager
      .on(GetSecretValueCommand)
      .callsFakeOnce(async () => {
        await gate;
        return { SecretString: 'fpsk_StaleKeyInFlight' };
      })
      .resolves({ SecretString: API_KEY });
    const provider = buildProvider();

    const stale = provider.getKey();
    provider.invalidate();
    const fresh = provider.getKey();
    release();

    await expect(stale).resolves.toBe('fpsk_StaleKeyInFlight');
    await expect(fresh).resolves.toBe(API_KEY);
    await expect(provider.getKey()).resolves.toBe(API_KEY);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not cache a failed fetch: the next call asks Secrets Manager again', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(awsError('ThrottlingException'))
      .resolves({ SecretString: API_KEY });
    const provider = buildProvider();

    await expect(provider.getKey()).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(provider.getKey()).resolves.toBe(API_KEY);
  });

  it.each([
    ['empty', ''],
    ['blank', '   \n'],
    ['malformed JSON', `{"apiKey": "${API_KEY}"`],
    ['JSON without apiKey', JSON.stringify({ key: API_KEY })],
    ['JSON with an empty apiKey', JSON.stringify({ apiKey: '' })],
    ['a key with spaces inside', `${API_KEY} ${API_KEY}`],
  ])('rejects a secret that is %s, naming FINGERPRINT_SECRET_ID and never the value', async (_, value) => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: value });

    const error = await rejectionOf(buildProvider().getKey());

    expect(error).toBeInstanceOf(UpstreamAuthError);
    // A configuration error: the queue redelivers it, since the same call succeeds once an operator fixes it.
    expect(error).toMatchObject({ setting: 'FINGERPRINT_SECRET_ID', retryable: true });
    expect((error as Error).message).toContain('FINGERPRINT_SECRET_ID');
    expect(errorText(error)).not.toContain(API_KEY);
  });

  it('rejects a secret with no value at all', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({});

    const error = await rejectionOf(buildProvider().getKey());

    expect(error).toMatchObject({ setting: 'FINGERPRINT_SECRET_ID' });
  });

  it.each(['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure'])(
    'reports %s as a configuration error naming FINGERPRINT_SECRET_ID',
    async (name) => {
      secretsManager.on(GetSecretValueCommand).rejects(awsError(name));

      const error = await rejectionOf(buildProvider().getKey());

      expect(error).toBeInstanceOf(UpstreamAuthError);
      expect(error).toMatchObject({ setting: 'FINGERPRINT_SECRET_ID', retryable: true });
      expect((error as Error).message).toContain(name);
    },
  );

  it('reports a Secrets Manager outage as retryable', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(awsError('InternalServiceError'));

    const error = await rejectionOf(buildProvider().getKey());

    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ retryable: true });
  });
});

describe('StaticKeyProvider', () => {
  it('returns the key it was given, and invalidate() changes nothing', async () => {
    const provider = new StaticKeyProvider(`${API_KEY}\n`);

    provider.invalidate();

    await expect(provider.getKey()).resolves.toBe(API_KEY);
  });

  it('rejects an empty key, naming the variable it came from', () => {
    expect(() => new StaticKeyProvider('')).toThrow(/FINGERPRINT_SECRET_API_KEY/);
  });
});
