import { describe, expect, it } from 'vitest';
import { typeDeclarations } from '../../openapi/typescript.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe('the TypeScript declarations of component schemas', () => {
  it('renders a closed object, its optional and nullable members, references, lists, enums and consts', () => {
    const text = typeDeclarations(
      {
        Visit: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'seen'],
          description: 'A visit.',
          properties: {
            id: { ...ref('Id'), description: 'Its id.' },
            seen: { type: ['string', 'null'], format: 'date-time' },
            tags: { type: 'array', items: { enum: ['a', 'b'] } },
            kind: { const: 1 },
            counts: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
            meta: { type: 'object' },
            limit: { type: 'integer', default: 20 },
          },
        },
        Id: { type: 'string', minLength: 1 },
      },
      ['Visit'],
    );
    expect(text).toBe(`/**
 * A visit.
 */
export type Visit = {
  /**
   * Its id.
   */
  id: Id;
  seen: string | null;
  tags?: ("a" | "b")[];
  kind?: 1;
  counts?: Record<string, number>;
  meta?: Record<string, unknown>;
  /**
   * @default 20
   */
  limit?: number;
};

export type Id = string;`);
  });

  it('keeps the rule of an anyOf that requires one property or another as a union of the two shapes', () => {
    const text = typeDeclarations(
      {
        History: {
          type: 'object',
          additionalProperties: false,
          anyOf: [{ required: ['visitorId'] }, { required: ['linkedId'] }],
          properties: { visitorId: { type: 'string' }, linkedId: { type: 'string' } },
        },
      },
      ['History'],
    );
    expect(text).toBe(`export type History = {
  visitorId: string;
  linkedId?: string;
} | {
  visitorId?: string;
  linkedId: string;
};`);
  });

  it('renders a oneOf as a union and names the schema Error as ErrorBody (Error is a global)', () => {
    const text = typeDeclarations(
      {
        Answer: { oneOf: [ref('Error'), { type: 'boolean' }] },
        Error: { type: 'object', additionalProperties: false, properties: { code: { type: 'string' } } },
      },
      ['Answer'],
    );
    expect(text).toContain('export type Answer = ErrorBody | boolean;');
    expect(text).toContain('export type ErrorBody = {\n  code?: string;\n};');
  });

  it.each([
    ['a keyword it cannot render', { type: 'string', not: { const: '' } }, 'the keyword "not"'],
    ['an open object with properties', { type: 'object', properties: { a: { type: 'string' } } }, 'closed'],
    ['an unknown type', { type: 'bigint' }, 'the type "bigint"'],
    [
      'a required property it does not declare',
      { type: 'object', additionalProperties: false, required: ['b'], properties: { a: { type: 'string' } } },
      'requires "b"',
    ],
    ['allOf of two schemas', { allOf: [{ type: 'string' }, { type: 'number' }] }, 'allOf of more than one'],
    ['a reference outside the components', { $ref: 'other.json#/A' }, 'Unsupported $ref'],
  ])('refuses %s instead of writing a looser type', (_case, schema, message) => {
    expect(() => typeDeclarations({ Thing: schema }, ['Thing'])).toThrow(message);
  });
});
