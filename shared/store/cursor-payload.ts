import { isId } from '../domain/ids.js';
import { CURSOR_BINDING_MAX_LENGTH, CURSOR_VERSION } from '../manifest/limits.js';
import * as z from '../validation/zod.js';

/**
 * What a cursor's payload may hold, as Zod checks it: loaded by `decodeCursor` with the first cursor a caller
 * passes back, so that neither Zod nor this schema is built at cold start (docs/performance.md).
 */
const timestampSchema = z.int().check(z.minimum(0));
/** Every id a cursor holds (requestId, visitorId, linkedId) follows the one id rule. */
const idSchema = z.string().check(z.refine(isId));

const payloadSchema = z.discriminatedUnion('index', [
  z.strictObject({
    v: z.literal(CURSOR_VERSION),
    index: z.literal('byVisitor'),
    visitorId: idSchema,
    linkedId: z.optional(idSchema),
    before: z.optional(timestampSchema),
    requestId: idSchema,
    timestamp: timestampSchema,
  }),
  z.strictObject({
    v: z.literal(CURSOR_VERSION),
    index: z.literal('byLinkedId'),
    linkedId: idSchema,
    requestId: idSchema,
    timestamp: timestampSchema,
  }),
  z.strictObject({
    v: z.literal(CURSOR_VERSION),
    index: z.literal('search'),
    visitorId: z.optional(idSchema),
    linkedId: z.optional(idSchema),
    oldestFirst: z.boolean(),
    binding: z.string().check(z.maxLength(CURSOR_BINDING_MAX_LENGTH)),
    requestId: idSchema,
    timestamp: timestampSchema,
  }),
]);

export type CursorPayload = z.infer<typeof payloadSchema>;

/** `json` as a cursor's payload, or `undefined` when it is not one. */
export function parseCursorPayload(json: unknown): CursorPayload | undefined {
  const parsed = payloadSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
