/**
 * What a stored item may hold: the fields of {@link NormalizedEvent}, the TTL attribute and, for an event that
 * reached us in v4 form, the upstream's compressed copy of it (`upstream`, opaque bytes, with its format
 * marker), nothing else at any depth. Raw upstream payloads carry much more (raw device attributes, IP
 * blocklists, proxy details, supplementary ids); parsing every stored item with this strict schema proves none
 * of it is persisted outside that one compressed attribute.
 */
import { z } from 'zod';
import type { NormalizedEvent } from '../../shared/domain/event.js';
import { TTL_ATTRIBUTE, UPSTREAM_ATTRIBUTE, UPSTREAM_FORMAT_ATTRIBUTE } from '../../shared/store/schema.js';
import { UPSTREAM_FORMAT_V4_BROTLI } from '../../shared/store/upstream-codec.js';

const namedCode = z.strictObject({ code: z.string(), name: z.string() });
const seenAt = z.strictObject({ global: z.string().nullable(), subscription: z.string().nullable() });

export const normalizedEventSchema = z.strictObject({
  requestId: z.string(),
  visitorId: z.string(),
  linkedId: z.string().optional(),
  timestamp: z.number(),
  time: z.string(),
  url: z.string().optional(),

  ip: z.string().optional(),
  incognito: z.boolean().optional(),
  tag: z.record(z.string(), z.unknown()).optional(),
  tagAltered: z.literal(true).optional(),
  confidence: z
    .strictObject({ score: z.number(), revision: z.string().optional(), comment: z.string().optional() })
    .optional(),
  visitorFound: z.boolean().optional(),
  firstSeenAt: seenAt.optional(),
  lastSeenAt: seenAt.optional(),
  browser: z.strictObject({
    name: z.string(),
    majorVersion: z.string(),
    fullVersion: z.string(),
    os: z.string(),
    osVersion: z.string(),
    device: z.string(),
    userAgent: z.string(),
  }),
  location: z
    .strictObject({
      city: z.string().optional(),
      country: namedCode.optional(),
      continent: namedCode.optional(),
      subdivisions: z.array(z.strictObject({ isoCode: z.string(), name: z.string() })).optional(),
      latitude: z.number().optional(),
      longitude: z.number().optional(),
      postalCode: z.string().optional(),
      timezone: z.string().optional(),
      accuracyRadius: z.number().optional(),
    })
    .optional(),
  signals: z
    .strictObject({
      bot: z.string().optional(),
      botType: z.string().optional(),
      vpn: z.boolean().optional(),
      proxy: z.boolean().optional(),
      tor: z.boolean().optional(),
      tampering: z.boolean().optional(),
      incognito: z.boolean().optional(),
      emulator: z.boolean().optional(),
      rootApps: z.boolean().optional(),
      jailbroken: z.boolean().optional(),
      frida: z.boolean().optional(),
      clonedApp: z.boolean().optional(),
      virtualMachine: z.boolean().optional(),
      privacySettings: z.boolean().optional(),
      developerTools: z.boolean().optional(),
      locationSpoofing: z.boolean().optional(),
      highActivity: z.boolean().optional(),
      ipBlocklisted: z.boolean().optional(),
      suspectScore: z.number().optional(),
    })
    .optional(),
  source: z.enum(['v3', 'v4', 'webhook', 'sealed']),
  schemaVersion: z.literal(1),
});

export const storedItemSchema = normalizedEventSchema.extend({
  [TTL_ATTRIBUTE]: z.int().positive(),
  [UPSTREAM_ATTRIBUTE]: z.instanceof(Uint8Array).optional(),
  [UPSTREAM_FORMAT_ATTRIBUTE]: z.literal(UPSTREAM_FORMAT_V4_BROTLI).optional(),
});

// Compile-time guard against drift: this schema and NormalizedEvent must describe the same shape.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemaMatchesType: Same<z.output<typeof normalizedEventSchema>, NormalizedEvent> = true;
void schemaMatchesType;

/** The first way `item` departs from the stored shape (an extra or wrong field), or `undefined`. */
export function storedItemProblem(item: unknown): string | undefined {
  const result = storedItemSchema.safeParse(item);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`;
}
