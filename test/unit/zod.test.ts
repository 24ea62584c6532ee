import { describe, expect, it } from 'vitest';
import * as mini from 'zod/mini';
import * as z from '../../shared/validation/zod.js';

// `shared/validation/zod.ts` replaces mini's `catch` with one built by core's `_catch` (mini's drags every
// helper of zod's core/util.js into the bundle): it must be the same schema, with the same behaviour.
describe('z.catch of the project’s Zod', () => {
  it('is not mini’s function, but builds the same kind of schema with the same definition', () => {
    expect(z.catch).not.toBe(mini.catch);
    const ours = z.catch(z.optional(z.string()), undefined);
    const theirs = mini.catch(mini.optional(mini.string()), undefined);
    expect(ours).toBeInstanceOf(mini.ZodMiniCatch);
    expect(ours._zod.def.type).toBe(theirs._zod.def.type);
    expect(Object.keys(ours._zod.def).sort()).toEqual(Object.keys(theirs._zod.def).sort());
    // A constant catch value is tagged as such, as mini tags it (Zod's compiler reads the tag).
    const tag = (schema: typeof ours) =>
      Object.keys(schema._zod.def.catchValue as unknown as Record<string, unknown>);
    expect(tag(ours)).toEqual(tag(theirs));
  });

  it.each([
    ['a string', 'visitor', 'visitor'],
    ['a number where a string belongs', 42, null],
    ['an object where a string belongs', { nested: true }, null],
    ['null', null, null],
  ])('answers %s as mini’s catch does', (_, input, expected) => {
    const ours = z.object({ seen: z.catch(z.nullable(z.string()), null) });
    const theirs = mini.object({ seen: mini.catch(mini.nullable(mini.string()), null) });
    expect(z.parse(ours, { seen: input })).toEqual({ seen: expected });
    expect(z.parse(ours, { seen: input })).toEqual(mini.parse(theirs, { seen: input }));
  });

  it('passes the caught issues to a catch function, with Zod’s English messages', () => {
    const seen: string[] = [];
    const schema = z.catch(z.string(), (context) => {
      seen.push(...context.error.issues.map((issue) => issue.message));
      return 'fallback';
    });
    expect(z.parse(schema, 7)).toBe('fallback');
    expect(seen).toEqual(['Invalid input: expected string, received number']);
    expect(z.parse(schema, 'kept')).toBe('kept');
  });
});
