import { ValidationError } from '../domain/errors.js';
import * as z from '../validation/zod.js';

/**
 * Parses `input` with `schema`, turning the first Zod issue into a {@link ValidationError} that names the
 * field (`fieldPrefix` first, e.g. `body` or `query`) and says how to fix it.
 */
export function parseInput<S extends z.core.$ZodType>(
  schema: S,
  input: unknown,
  fieldPrefix?: string,
): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new ValidationError(fieldPrefix ?? 'input', 'The input is invalid.');
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const field = [fieldPrefix, ...path.map(String)]
    .filter((part) => part !== undefined && part !== '')
    .join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `Unknown field "${field}": remove it (see the API reference for the accepted fields).`
      : `Invalid "${field}": ${issue.message}${/[.!?]$/.test(issue.message) ? '' : '.'}`;
  throw new ValidationError(field || (fieldPrefix ?? 'input'), message);
}
