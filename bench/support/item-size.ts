import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EVENT_TABLE_SCHEMA, type EventIndexName, projectedAttributes } from '../../shared/store/schema.js';

/**
 * The size DynamoDB bills for an item, by its documented rules: every attribute name and string in UTF-8
 * bytes, binary in bytes, booleans and nulls 1 byte, lists and maps 3 bytes plus 1 per element (and, for a
 * map, each element's name). Numbers use the formula dynalite fitted to DynamoDB's answers: 1 byte, plus one
 * per two significant digits, plus one when both the digit count and the exponent are even, plus one if
 * negative.
 *
 * One write unit covers 1 KB (1024 bytes) of item; each global secondary index that holds the item costs the
 * write units of its index entry: the keys and the attributes the index projects.
 */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

export const WRITE_UNIT_BYTES = 1024;

export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

/**
 * The size of an item's entry in an index: the table's key, the index's keys and the attributes it projects
 * (the normalized view, never the upstream copy). DynamoDB also counts 100 bytes of overhead per index entry
 * for storage, which this leaves out.
 */
export function indexEntrySize(item: Record<string, AttributeValue>, index: EventIndexName): number {
  const { partitionKey, sortKey } = EVENT_TABLE_SCHEMA.indexes[index];
  const names = new Set([
    EVENT_TABLE_SCHEMA.partitionKey.name,
    partitionKey.name,
    sortKey.name,
    ...projectedAttributes(index),
  ]);
  return itemSize(Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name))));
}

/**
 * What writing one stored event costs: the table's write units, plus those of its entry in each index that
 * holds it (`byLinkedId` is sparse, holding only events with a linkedId).
 */
export function eventWriteCost(item: Record<string, AttributeValue>): {
  bytes: number;
  indexes: number;
  /** The largest index entry, bytes. */
  indexBytes: number;
  writeUnits: number;
} {
  const bytes = itemSize(item);
  const held = (Object.keys(EVENT_TABLE_SCHEMA.indexes) as EventIndexName[]).filter(
    (index) => item[EVENT_TABLE_SCHEMA.indexes[index].partitionKey.name] !== undefined,
  );
  const entries = held.map((index) => indexEntrySize(item, index));
  return {
    bytes,
    indexes: held.length,
    indexBytes: Math.max(0, ...entries),
    writeUnits: writeUnits(bytes) + entries.reduce((sum, entry) => sum + writeUnits(entry), 0),
  };
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, entry) => sum + utf8(entry), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, entry) => sum + numberSize(entry), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, entry) => sum + entry.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, entry) => sum + 1 + valueSize(entry), 0);
  if (value.M !== undefined) {
    return (
      3 + Object.entries(value.M).reduce((sum, [name, entry]) => sum + 1 + utf8(name) + valueSize(entry), 0)
    );
  }
  throw new TypeError(`Unknown attribute value: ${JSON.stringify(value)}`);
}

function numberSize(text: string): number {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (match === null) throw new TypeError(`Not a DynamoDB number: ${text}`);
  const [, sign, integer = '', fraction = '', exponent = '0'] = match;
  const digits = `${integer}${fraction}`;
  const first = digits.search(/[1-9]/);
  if (first === -1) return 1;
  const significant = digits.slice(first).replace(/0+$/, '');
  // The power of ten of the first significant digit, as Big.js reports it (`e`).
  const power = integer.length - 1 - first + Number(exponent);
  const evenPadding = significant.length % 2 === 0 && power % 2 === 0 ? 1 : 0;
  return 1 + Math.ceil(significant.length / 2) + evenPadding + (sign === '-' ? 1 : 0);
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
