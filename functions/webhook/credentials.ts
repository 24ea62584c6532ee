/**
 * The webhook's credentials: what its secret holds, how it is read, and the basic auth check. No AWS SDK
 * here: the use case depends on this module, the Secrets Manager source lives in `secret.ts`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { WebhookNotConfiguredError } from '../../shared/domain/errors.js';

/** The setting that names the webhook secret in the cloud. */
export const WEBHOOK_SECRET_SETTING = 'FINGERPRINT_WEBHOOK_SECRET_ID';
/** The setting that holds the webhook secret's value in a local run. */
export const LOCAL_WEBHOOK_SECRET_SETTING = 'FINGERPRINT_WEBHOOK_SECRET';

/** Signing secrets accepted at once: the current one and, during a rotation, the next or the previous. */
export const MAX_SIGNING_SECRETS = 4;

/** HTTP basic auth credentials, as set on the webhook in the Fingerprint dashboard. */
export interface BasicAuthCredentials {
  username: string;
  password: string;
}

/** What the webhook secret holds. */
export interface WebhookSecrets {
  /** Every signing secret a delivery may be signed with; at least one. */
  signingSecrets: readonly string[];
  /** The HTTP basic auth credentials configured on the webhook at Fingerprint, if any. */
  basicAuth?: BasicAuthCredentials;
}

/** Where the webhook function gets its secrets. */
export interface WebhookSecretSource {
  get(): Promise<WebhookSecrets>;
}

/**
 * The webhook secret cannot be read or used: a deployment problem, answered 503 `WebhookNotConfigured` (so
 * Fingerprint retries, and the metric of its own counts it) while the message, which names the setting and
 * never the value, goes to the logs.
 */
export class WebhookSecretError extends WebhookNotConfiguredError {}

/**
 * Reads a webhook secret value: the signing secret as a plain string, or JSON
 * `{"secrets": ["<current>", "<previous>"], "basicAuth": {"username": "…", "password": "…"}}` (`basicAuth`
 * optional). Errors name `setting` and never quote the value, nor a JSON.parse error (which would).
 */
export function parseWebhookSecret(raw: string | undefined, setting: string): WebhookSecrets {
  const problem = (what: string) =>
    new WebhookSecretError(`The webhook secret (${setting}) ${what}. (Its value is not shown.)`);
  const value = raw?.trim() ?? '';
  if (value === '') {
    throw problem('is empty: put the webhook signing secret from the Fingerprint dashboard into it');
  }
  if (value.startsWith('[')) throw problem('is a JSON array; store {"secrets": ["…", "…"]} instead');
  if (!value.startsWith('{')) return { signingSecrets: [value] };

  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw problem('starts with "{" but is not valid JSON; store {"secrets": ["…"]} or the secret alone');
  }
  if (!isRecord(parsed)) throw problem('is not a JSON object');
  const unknown = Object.keys(parsed).filter((key) => key !== 'secrets' && key !== 'basicAuth');
  if (unknown.length > 0) {
    throw problem(`has unknown fields (${unknown.join(', ')}); the fields are "secrets" and "basicAuth"`);
  }
  const { secrets, basicAuth } = parsed;
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    secrets.length > MAX_SIGNING_SECRETS ||
    !secrets.every((secret) => typeof secret === 'string' && secret.trim() !== '')
  ) {
    throw problem(`needs "secrets": 1 to ${MAX_SIGNING_SECRETS} non-empty strings`);
  }
  const signingSecrets = secrets.map((secret: string) => secret.trim());
  if (basicAuth === undefined) return { signingSecrets };
  if (
    !isRecord(basicAuth) ||
    typeof basicAuth.username !== 'string' ||
    typeof basicAuth.password !== 'string' ||
    basicAuth.username === '' ||
    basicAuth.password === '' ||
    // RFC 7617: a user-id containing a colon cannot be told apart from the password.
    basicAuth.username.includes(':')
  ) {
    throw problem(
      'has a "basicAuth" that is not {"username": "…", "password": "…"} (no ":" in the username)',
    );
  }
  return { signingSecrets, basicAuth: { username: basicAuth.username, password: basicAuth.password } };
}

/**
 * Whether an `Authorization` header carries exactly these basic auth credentials. Both sides are hashed
 * first, so the comparison is constant-time on equal-length buffers whatever the lengths of the inputs.
 */
export function hasBasicCredentials(
  authorization: string | undefined,
  expected: BasicAuthCredentials,
): boolean {
  const match = authorization === undefined ? null : /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  const presented = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  const equal = timingSafeEqual(digest(presented), digest(`${expected.username}:${expected.password}`));
  return match !== null && equal;
}

/** A fixed webhook secret, for local runs with `FINGERPRINT_WEBHOOK_SECRET`; parsed at once, so a bad one stops the start. */
export class StaticWebhookSecrets implements WebhookSecretSource {
  readonly #secrets: WebhookSecrets;

  constructor(raw: string, setting = LOCAL_WEBHOOK_SECRET_SETTING) {
    this.#secrets = parseWebhookSecret(raw, setting);
  }

  get(): Promise<WebhookSecrets> {
    return Promise.resolve(this.#secrets);
  }
}

/** No webhook secret configured (a local run without `FINGERPRINT_WEBHOOK_SECRET`): every check fails closed. */
export class MissingWebhookSecrets implements WebhookSecretSource {
  constructor(private readonly setting = LOCAL_WEBHOOK_SECRET_SETTING) {}

  get(): Promise<WebhookSecrets> {
    return Promise.reject(
      new WebhookSecretError(`No webhook secret is configured: set ${this.setting} to receive webhooks.`),
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
