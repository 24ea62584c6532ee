import { isId } from '../domain/ids.js';
import { CURSOR_BINDING_MAX_LENGTH, CURSOR_VERSION } from '../manifest/limits.js';
import * as z from '../validation/zod.js';

/**
 * What a cursor's payload may hold, as Zod checks it: loaded by `decodeCursor` with the first cursor a caller
 * passes back, so that neither Zod nor this schema is built at cold start (docs/performance.md).
 */
const timestampSchema = z.int().check(z.minimum(0));
const requestIdSchema = z.string().check(z.refine(isId));
const linkedIdSchema = z.string().check(z.refine(isId));

const payloadSchema = z.discriminatedUnion('index', [
  z.strictObject({
    v: z.literal(CURSOR_VERSION),
    index: z.literal('byVisitor'),
    visitorId: z.string().check(z.refine(isId)),
    linkedId: z.optional(linkedIdSchema),
    before: z.optional(timestampSchema),
    requestId: requestIdSchema,
    timestamp: timestampSchema,
  }),
  z.strictObject({
    v: z.literal(CURSOR_VERSION),
    index: z.literal('byLinkedId'),
    linkedId: linkedIdSchema,
    requestId: requestIdSchema,
    timestamp: timestampSchema,
  }),
  z.strictObject({
    v: z.literal(CURSOR_VERSION),
    index: z.literal('search'),
    visitorId: z.optional(z.string().check(z.refine(isId))),
    linkedId: z.optional(linkedIdSchema),
    oldestFirst: z.boolean(),
    binding: z.string().check(z.maxLength(CURSOR_BINDING_MAX_LENGTH)),
    requestId: requestIdSchema,
    timestamp: timestampSchema,
  }),
]);

export type CursorPayload = z.infer<typeof payloadSchema>;

/** `json` as a cursor's payload, or `undefined` when it is not one. */
export function parseCursorPayload(json: unknown): CursorPayload | undefined {
  const parsed = payloadSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
