/**
 * TypeScript declarations of the document's component schemas: the service's answers and request bodies are
 * described once, as JSON Schema in `source/`, and `npm run openapi` writes from them
 * `shared/manifest/api-types.ts`: the types the handlers answer with, which the caller client ships too.
 *
 * Written here rather than with json-schema-to-typescript: that library renders an object whose `anyOf`
 * only names required properties (`EnrichHistory`: a `visitorId`, a `linkedId` or both) as an intersection
 * with an open index signature, which loses the very rule the type should carry, and it formats through
 * Prettier while the repository uses Biome. The schemas use a small subset of JSON Schema; any keyword outside
 * it is refused, so a schema this cannot render faithfully fails the generation instead of becoming a looser
 * type.
 */
import type { Json } from './source/index.js';

type Schema = { readonly [key: string]: Json };

/** Keywords that constrain values without changing their TypeScript type. */
const VALIDATION_ONLY = new Set([
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'minItems',
  'uniqueItems',
  'examples',
  'contentEncoding',
  'dependentRequired',
]);

/** Keywords that become the declaration's comment. */
const WORDS = new Set(['description', 'default']);

const RENDERED = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  'allOf',
  'properties',
  'required',
  'additionalProperties',
  'items',
]);

/** A component's name in TypeScript, where the schema's name is a global of the language. */
const TYPE_NAMES: Readonly<Record<string, string>> = { Error: 'ErrorBody' };

export function typeName(component: string): string {
  return TYPE_NAMES[component] ?? component;
}

const REF_PREFIX = '#/components/schemas/';

function refName(schema: Schema): string {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith(REF_PREFIX)) throw new Error(`Unsupported $ref: ${ref}`);
  return ref.slice(REF_PREFIX.length);
}

function asSchema(value: Json | undefined, where: string): Schema {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${where}: expected a schema object`);
  }
  return value as Schema;
}

function schemas(value: Json | undefined, where: string): Schema[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list of schemas`);
  return value.map((item, index) => asSchema(item, `${where}[${index}]`));
}

/** A JSDoc comment of the schema's description and default, or nothing. */
function comment(schema: Schema, indent = ''): string {
  const lines: string[] = [];
  if (typeof schema.description === 'string') lines.push(...schema.description.split('\n'));
  if (schema.default !== undefined) lines.push(`@default ${JSON.stringify(schema.default)}`);
  if (lines.length === 0) return '';
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line.replaceAll('*/', '*\\/')}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function literal(value: Json): string {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return JSON.stringify(value);
  throw new Error(`Unsupported literal: ${JSON.stringify(value)}`);
}

/** A union needs no parentheses around its members: they are names, literals, objects, lists and unions. */
function union(members: readonly string[]): string {
  return members.join(' | ');
}

class Printer {
  /** The components referenced, so the module declares them too. */
  readonly referenced = new Set<string>();

  constructor(private readonly where: string) {}

  type(schema: Schema, where = this.where): string {
    for (const key of Object.keys(schema)) {
      if (!RENDERED.has(key) && !VALIDATION_ONLY.has(key) && !WORDS.has(key)) {
        throw new Error(`${where}: the keyword "${key}" has no TypeScript rendering here`);
      }
    }
    if (schema.$ref !== undefined) {
      const name = refName(schema);
      this.referenced.add(name);
      return typeName(name);
    }
    if (schema.allOf !== undefined) {
      const parts = schemas(schema.allOf, `${where}.allOf`);
      if (parts.length !== 1) throw new Error(`${where}: allOf of more than one schema is not rendered`);
      return this.type(parts[0] as Schema, `${where}.allOf[0]`);
    }
    if (schema.const !== undefined) return literal(schema.const);
    if (schema.enum !== undefined) {
      if (!Array.isArray(schema.enum)) throw new Error(`${where}: enum must be a list`);
      return schema.enum.map(literal).join(' | ');
    }
    const variants = schema.oneOf ?? (schema.properties === undefined ? schema.anyOf : undefined);
    if (variants !== undefined) {
      return union(
        schemas(variants, `${where}.oneOf`).map((variant, i) => this.type(variant, `${where}[${i}]`)),
      );
    }
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    return union(types.map((type) => this.plain(type, schema, where)));
  }

  private plain(type: Json | undefined, schema: Schema, where: string): string {
    switch (type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'array': {
        const items = this.type(asSchema(schema.items, `${where}.items`), `${where}.items`);
        return /[ |&]/.test(items) ? `(${items})[]` : `${items}[]`;
      }
      case 'object':
        return this.object(schema, where);
      default:
        throw new Error(`${where}: the type ${JSON.stringify(type)} is not rendered`);
    }
  }

  /**
   * An object: its properties; an `anyOf` whose members only require some of them becomes a union with each
   * member's properties required; no properties but `additionalProperties` a record.
   */
  private object(schema: Schema, where: string): string {
    const properties = schema.properties === undefined ? undefined : asSchema(schema.properties, where);
    const rest = schema.additionalProperties;
    if (properties === undefined) {
      if (rest === false) return 'Record<string, never>';
      const values =
        rest === undefined || rest === true ? 'unknown' : this.type(asSchema(rest, where), where);
      return `Record<string, ${values}>`;
    }
    if (rest !== false) throw new Error(`${where}: an object with properties must be closed`);
    const required = new Set(this.names(schema.required, where));
    if (schema.anyOf === undefined) return this.members(properties, required, where);
    return union(
      schemas(schema.anyOf, `${where}.anyOf`).map((variant, i) => {
        const keys = Object.keys(variant);
        if (keys.length !== 1 || keys[0] !== 'required') {
          throw new Error(`${where}.anyOf[${i}]: only a list of required properties is rendered`);
        }
        const also = this.names(variant.required, where);
        return this.members(properties, new Set([...required, ...also]), where);
      }),
    );
  }

  private names(value: Json | undefined, where: string): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((name) => typeof name !== 'string')) {
      throw new Error(`${where}: required must be a list of names`);
    }
    return value as string[];
  }

  private members(properties: Schema, required: ReadonlySet<string>, where: string): string {
    const lines = Object.entries(properties).map(([name, value]) => {
      const property = asSchema(value, `${where}.${name}`);
      const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
      const optional = required.has(name) ? '' : '?';
      return `${comment(property, '  ')}  ${key}${optional}: ${this.type(property, `${where}.${name}`)};`;
    });
    for (const name of required) {
      if (!(name in properties)) throw new Error(`${where}: requires "${name}", which it does not declare`);
    }
    return `{\n${lines.join('\n')}\n}`;
  }
}

/**
 * The declarations of these components and every component they reference, in the order given (references
 * after their first user), one `export type` each.
 */
export function typeDeclarations(
  components: Readonly<Record<string, Json>>,
  roots: readonly string[],
): string {
  const order = [...roots];
  const declarations: string[] = [];
  for (let i = 0; i < order.length; i += 1) {
    const name = order[i] as string;
    const schema = asSchema(components[name], `components.schemas.${name}`);
    const printer = new Printer(name);
    declarations.push(`${comment(schema)}export type ${typeName(name)} = ${printer.type(schema)};`);
    for (const referenced of printer.referenced) if (!order.includes(referenced)) order.push(referenced);
  }
  return declarations.join('\n\n');
}
