import { UpstreamAuthError } from '../domain/errors.js';

/**
 * What an error answer of the Server API says, whichever of its shapes it uses: `{"error": {"code",
 * "message"}}` (v4, v3 events) or `{"error": "…"}` (v3 visitors). Both fields are absent for a body that is
 * not JSON (a proxy's HTML page, an empty body).
 */
export interface UpstreamErrorBody {
  code?: string;
  message?: string;
}

/** Upstream text is capped so a hostile or broken body cannot blow up a log line or an error message. */
const MAX_UPSTREAM_TEXT = 200;

/** Parses an error answer's body; never throws. */
export function parseErrorBody(text: string): UpstreamErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof body !== 'object' || body === null || !('error' in body)) return {};
  const { error } = body;
  if (typeof error === 'string') return { message: clean(error) };
  if (typeof error !== 'object' || error === null) return {};
  const code = 'code' in error && typeof error.code === 'string' ? clean(error.code) : undefined;
  const message = 'message' in error && typeof error.message === 'string' ? clean(error.message) : undefined;
  return { ...(code && { code }), ...(message && { message }) };
}

/** `503 (failed: internal server error)`: the status and what the body says, for error messages. */
export function describeAnswer(status: number, body: UpstreamErrorBody): string {
  const said = [body.code, body.message].filter(Boolean).join(': ');
  return said ? `${status} (${said})` : `${status}`;
}

/** Replaces every occurrence of the key, so nothing the upstream echoes can leak it into a message. */
export function redact(text: string, key: string): string {
  return key ? text.split(key).join('[redacted]') : text;
}

/** The settings a 403 can point an operator to. */
export const AUTH_SETTINGS = {
  region: 'FINGERPRINT_REGION',
  secret: 'FINGERPRINT_SECRET_ID',
  subscription: 'Fingerprint subscription',
} as const;

/**
 * The error for a 403 that survived a key refetch. The message says which setting to fix; it never holds the
 * key (upstream text is redacted by the caller before it gets here).
 */
export function authErrorFor(route: string, status: number, body: UpstreamErrorBody): UpstreamAuthError {
  const answer = describeAnswer(status, body);
  const code = (body.code ?? '').toLowerCase().replaceAll('_', '');
  if (code === 'wrongregion') {
    return new UpstreamAuthError(
      `Fingerprint refused the secret API key for this region (${answer} to ${route}): the key belongs to ` +
        `another region. Set ${AUTH_SETTINGS.region} (us, eu or ap) to the region of the workspace.`,
      AUTH_SETTINGS.region,
    );
  }
  if (code === 'subscriptionnotactive' || code === 'featurenotenabled') {
    return new UpstreamAuthError(
      `The Fingerprint subscription does not allow this call (${answer} to ${route}): check that the ` +
        'Fingerprint subscription is active and includes the Server API in the Fingerprint dashboard.',
      AUTH_SETTINGS.subscription,
    );
  }
  return new UpstreamAuthError(
    `Fingerprint refused the secret API key (${answer} to ${route}), also after fetching it again: store a ` +
      `valid secret API key in the secret named by ${AUTH_SETTINGS.secret}` +
      (code === '' ? ` and check ${AUTH_SETTINGS.region}.` : '.'),
    AUTH_SETTINGS.secret,
  );
}

function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: upstream text must not break a log line
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_UPSTREAM_TEXT ? `${flat.slice(0, MAX_UPSTREAM_TEXT)}…` : flat;
}
