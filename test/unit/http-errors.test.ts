import { describe, expect, it } from 'vitest';
import {
  NotFoundError,
  PayloadTooLargeError,
  StoreThrottledError,
  UnauthorizedError,
  UpstreamAuthError,
  UpstreamBadResponseError,
  UpstreamRateLimitedError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { toHttpError, toPlainErrorAnswer } from '../../shared/http/errors.js';

describe('error mapping', () => {
  it('answers 400 with the field for a validation error', () => {
    const answer = toHttpError(new ValidationError('visitorId', 'Invalid "visitorId": expected letters.'));
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: 'ValidationFailed',
        message: 'Invalid "visitorId": expected letters.',
        field: 'visitorId',
      },
    });
  });

  it('answers 429 with a whole-second Retry-After when Fingerprint rate limits', () => {
    const answer = toHttpError(new UpstreamRateLimitedError('Fingerprint rate limited the request.', 2.2));
    expect(answer.statusCode).toBe(429);
    expect(answer.headers).toEqual({ 'Retry-After': '3' });
    expect(answer.body.error.code).toBe('UpstreamRateLimited');
  });

  it('shows the setting to fix when Fingerprint refuses the key', () => {
    const answer = toHttpError(
      new UpstreamAuthError(
        'The key belongs to another region: check FINGERPRINT_REGION.',
        'FINGERPRINT_REGION',
      ),
    );
    expect(answer.statusCode).toBe(502);
    expect(answer.body.error.message).toContain('FINGERPRINT_REGION');
  });

  it.each([
    [new NotFoundError('No event.'), 404, 'NotFound'],
    [new UpstreamRejectedError('Fingerprint said 400.'), 400, 'UpstreamRejected'],
    [new UpstreamUnavailableError('503 from upstream host 10.0.0.1'), 502, 'UpstreamUnavailable'],
    [new UpstreamBadResponseError('truncated JSON at 812'), 502, 'UpstreamBadResponse'],
    [new UpstreamTimeoutError('attempt 3 timed out'), 504, 'UpstreamTimeout'],
    [new StoreThrottledError('3 items unwritten'), 503, 'StoreThrottled'],
  ])('maps %s to %i %s', (error, status, code) => {
    const answer = toHttpError(error);
    expect(answer.statusCode).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });

  it('hides the details of 5xx errors behind a generic message', () => {
    const answer = toHttpError(new UpstreamUnavailableError('503 from upstream host 10.0.0.1'));
    expect(answer.body.error.message).not.toContain('10.0.0.1');
  });

  it('answers 401 for an unauthenticated webhook, with a challenge only when credentials can help', () => {
    expect(toHttpError(new UnauthorizedError('No FPJS-Event-Signature header.'))).toEqual({
      statusCode: 401,
      headers: {},
      body: { error: { code: 'Unauthorized', message: 'No FPJS-Event-Signature header.' } },
    });
    expect(toHttpError(new UnauthorizedError('Wrong credentials.', 'Basic realm="x"')).headers).toEqual({
      'WWW-Authenticate': 'Basic realm="x"',
    });
  });

  it('answers 413 for a body over the limit', () => {
    const answer = toHttpError(new PayloadTooLargeError('The body is larger than 262144 bytes.'));
    expect([answer.statusCode, answer.body.error.code]).toEqual([413, 'PayloadTooLarge']);
  });

  it('answers a generic 500 for an unknown error, without its message', () => {
    const answer = toHttpError(new Error('secret internals'));
    expect(answer.statusCode).toBe(500);
    expect(answer.body).toEqual({ error: { code: 'Internal', message: 'Internal error.' } });
  });

  it("renders an answer in v3's plain shape: the message in the body, the code and field in headers", () => {
    const answer = toPlainErrorAnswer(toHttpError(new ValidationError('query.a b', 'Unknown field "a b".')));
    expect(answer).toEqual({
      statusCode: 400,
      headers: { 'X-Error-Code': 'ValidationFailed', 'X-Error-Field': 'query.a%20b' },
      body: { error: 'Unknown field "a b".' },
    });
    // A field named by the caller may hold a lone surrogate, which URI encoding refuses.
    expect(toPlainErrorAnswer(toHttpError(new ValidationError('\ud800', 'x'))).headers['X-Error-Field']).toBe(
      '%EF%BF%BD',
    );
    const busy = toPlainErrorAnswer(toHttpError(new StoreThrottledError('DynamoDB is busy.')));
    expect(busy).toEqual({
      statusCode: 503,
      headers: { 'Retry-After': '1', 'X-Error-Code': 'StoreThrottled' },
      body: { error: 'The event store is busy; retry later.' },
    });
  });
});
