import { expect } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a failure, got an answer'),
    (reason: unknown) => reason,
  );
}

/** The `ValidationError` `promise` rejects with; fails the test on an answer or any other error. */
export async function validationErrorOf(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}
