/**
 * A small typed DSL for option specs. One spec yields both the JSON Schema (draft-07) that
 * editors use (`ts-engine schema`, Monaco) and the positioned parse that `check` runs, so the two
 * cannot drift: test/unit/options/spec.test.ts validates random option objects with a real JSON
 * Schema validator and with `parse`, and they must agree.
 *
 *   const table = identifier().default('points').describe('Table name.');
 *   const spec = obj({ path: filePath().required(), table });
 *   spec.jsonSchema();                       // { type: 'object', properties: {…}, required: ['path'] }
 *   spec.parse(raw, 'outputs[0].options', env) // { path: '/abs/store.db', table: 'points' } or undefined
 *
 * Every failure is reported through the DiagnosticSink at the JSON path of the offending value,
 * with the project's standard wording (`… must be a non-empty string, got a number`).
 */
import type { ErrorClass } from '../core/errors.js';
import type { DiagnosticSink } from './diagnostics.js';
import { isSecretKey } from './secrets.js';

export type JsonSchema = { [key: string]: unknown };

export interface ParseEnv {
  sink: DiagnosticSink;
  /** absolute path of a file named in the config (relative to the config's folder) */
  resolve(rel: string): string;
  exists(abs: string): boolean;
}

/** draft-07 `{if, then, else}`: when `cond` holds the value must match `then`, else `otherwise` */
export function ifThen(cond: JsonSchema, then: JsonSchema, otherwise?: JsonSchema): JsonSchema {
  const out: JsonSchema = { if: cond };
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword, never awaited
  out.then = then;
  if (otherwise) out.else = otherwise;
  return out;
}

/** Where a value sits: its JSON path, its parent's path and its key there. */
export interface Place {
  path: string;
  parent: string;
  key: string;
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : isObj(v) ? 'an object' : `a ${typeof v}`);

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

const place = (parent: string, key: string): Place => ({ path: childPath(parent, key), parent, key });

interface Settings {
  doc?: string;
  errorClass: ErrorClass;
  required: boolean;
  hasDefault: boolean;
  defaultValue?: unknown;
  /** a failure of this (optional) value fails the object that holds it */
  strict: boolean;
  /** replaces every type and range message of this value */
  invalid?: (v: unknown, at: Place) => string;
  missing?: (at: Place) => string;
  /**
   * a secret (password, token): exported as a ${ENV} placeholder, never shown. An object's field
   * may be marked only when the rule of secrets.ts names its key a secret, and every field the
   * rule names one is a secret whether marked or not: the rule is the one source of truth.
   */
  secret: boolean;
  /** names a file relative to the config file */
  file: boolean;
}

const INITIAL: Settings = { errorClass: 'ConfigError', required: false, hasDefault: false, strict: false, secret: false, file: false };

/** Marks a spec whose value the holding object always has (required, or with a default). */
export interface AlwaysPresent {
  readonly __alwaysPresent: true;
}

/** A spec of one value. `T` is what a successful parse gives. */
export abstract class Spec<T> {
  protected s: Settings = INITIAL;

  /** the JSON Schema of the value */
  abstract schema(): JsonSchema;
  /** parses a present value; reports problems and gives undefined when it cannot be used */
  protected abstract read(v: unknown, at: Place, env: ParseEnv): T | undefined;

  get settings(): Readonly<Settings> {
    return this.s;
  }

  jsonSchema(): JsonSchema {
    const base = this.schema();
    const out: JsonSchema = { ...base };
    if (this.s.doc !== undefined && out.description === undefined) out.description = this.s.doc;
    if (this.s.hasDefault && this.s.defaultValue !== undefined && typeof this.s.defaultValue !== 'object') out.default = this.s.defaultValue;
    if (this.s.secret) out.writeOnly = true;
    return out;
  }

  /** parses `v` (which may be undefined: then the default, or a "missing" error when required) */
  parseAt(v: unknown, at: Place, env: ParseEnv): T | undefined {
    if (v === undefined) {
      if (this.s.required) this.fail(env, at, this.s.missing ? this.s.missing(at) : `missing required key '${at.key}' in ${at.parent}`);
      return this.s.hasDefault ? (this.s.defaultValue as T) : undefined;
    }
    return this.read(v, at, env);
  }

  /** parses the value at `path` of a config (for root specs: pass the value itself) */
  parse(v: unknown, path: string, env: ParseEnv): T | undefined {
    const m = /^(.*?)(?:\.([^.[\]]+)|\[(\d+)\])$/.exec(path);
    const at = m ? { path, parent: m[1]!, key: m[2] ?? m[3]! } : { path, parent: '', key: path };
    return this.parseAt(v, at, env);
  }

  protected fail(env: ParseEnv, at: Place, message: string): undefined {
    env.sink.report(at.path, this.s.errorClass, message);
    return undefined;
  }

  /** a type or range problem: the override message when there is one */
  protected invalid(env: ParseEnv, at: Place, v: unknown, message: string): undefined {
    return this.fail(env, at, this.s.invalid ? this.s.invalid(v, at) : message);
  }

  protected with(patch: Partial<Settings>): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this);
    copy.s = { ...this.s, ...patch };
    return copy;
  }

  describe(doc: string): this {
    return this.with({ doc });
  }
  required(): this & AlwaysPresent {
    return this.with({ required: true, strict: true }) as never;
  }
  default(value: T): this & AlwaysPresent {
    return this.with({ hasDefault: true, defaultValue: value }) as never;
  }
  strict(): this {
    return this.with({ strict: true });
  }
  errorClass(errorClass: ErrorClass): this {
    return this.with({ errorClass });
  }
  messages(m: { invalid?: (v: unknown, at: Place) => string; missing?: (at: Place) => string }): this {
    return this.with({ invalid: m.invalid ?? this.s.invalid, missing: m.missing ?? this.s.missing });
  }
  secretValue(): this {
    return this.with({ secret: true });
  }
  /** converts the parsed value (a spec of the same JSON shape, another typed result) */
  map<U>(fn: (value: T, at: Place, env: ParseEnv) => U | undefined): Spec<U> & (this extends AlwaysPresent ? AlwaysPresent : unknown) {
    return new Mapped(this, fn) as never;
  }
}

class Mapped<T, U> extends Spec<U> {
  constructor(
    private readonly inner: Spec<T>,
    private readonly fn: (value: T, at: Place, env: ParseEnv) => U | undefined,
  ) {
    super();
    this.s = inner.settings as Settings;
  }
  schema(): JsonSchema {
    return this.inner.jsonSchema();
  }
  protected read(v: unknown, at: Place, env: ParseEnv): U | undefined {
    const t = (this.inner as unknown as { read(v: unknown, at: Place, env: ParseEnv): T | undefined }).read(v, at, env);
    return t === undefined ? undefined : this.fn(t, at, env);
  }
  override parseAt(v: unknown, at: Place, env: ParseEnv): U | undefined {
    if (v !== undefined) return this.read(v, at, env);
    if (this.s.required) return this.fail(env, at, this.s.missing ? this.s.missing(at) : `missing required key '${at.key}' in ${at.parent}`);
    return this.s.hasDefault ? this.fn(this.s.defaultValue as T, at, env) : undefined;
  }
}

// ---- scalars -----------------------------------------------------------------------------

export class StringSpec extends Spec<string> {
  constructor(
    private readonly opts: { allowEmpty?: boolean; pattern?: RegExp; patternMessage?: (v: string, at: Place) => string; resolveFile?: boolean } = {},
  ) {
    super();
  }
  schema(): JsonSchema {
    const out: JsonSchema = { type: 'string' };
    if (!this.opts.allowEmpty) out.minLength = 1;
    if (this.opts.pattern) out.pattern = this.opts.pattern.source;
    return out;
  }
  protected read(v: unknown, at: Place, env: ParseEnv): string | undefined {
    if (typeof v !== 'string' || (!this.opts.allowEmpty && v.length === 0)) {
      return this.invalid(env, at, v, `${at.path} must be a non-empty string, got ${typeName(v)}`);
    }
    if (this.opts.pattern && !this.opts.pattern.test(v)) {
      return this.invalid(env, at, v, this.opts.patternMessage ? this.opts.patternMessage(v, at) : `${at.path} must match ${this.opts.pattern.source}`);
    }
    return this.opts.resolveFile ? env.resolve(v) : v;
  }
}

export const str = () => new StringSpec();
export const secret = (o: { allowEmpty?: boolean } = {}) => new StringSpec({ allowEmpty: o.allowEmpty }).secretValue();
/** a file named relative to the config file; parses to its absolute path */
export const filePath = () => {
  const s = new StringSpec({ resolveFile: true });
  return (s as unknown as { with(p: Partial<Settings>): StringSpec }).with({ file: true });
};
export const identifier = () =>
  new StringSpec({
    pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    patternMessage: (v, at) => `${at.path} must be an identifier (letters, digits, _), got ${JSON.stringify(v)}`,
  }).strict();
export const HOST_PORT = /^[^\s:]+:\d+$/;
export const url = () =>
  new StringSpec({ pattern: /^https?:\/\/[^\s]+$/, patternMessage: (v, at) => `${at.path} must be an http(s) URL, got ${JSON.stringify(v)}` });

export class NumberSpec extends Spec<number> {
  constructor(private readonly opts: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {}) {
    super();
  }
  schema(): JsonSchema {
    const o = this.opts;
    const out: JsonSchema = { type: o.integer ? 'integer' : 'number' };
    if (o.min !== undefined) out[o.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = o.min;
    if (o.max !== undefined) out.maximum = o.max;
    return out;
  }
  protected read(v: unknown, at: Place, env: ParseEnv): number | undefined {
    const o = this.opts;
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.invalid(env, at, v, `${at.path} must be a number, got ${typeName(v)}`);
    if (o.integer && !Number.isInteger(v)) return this.invalid(env, at, v, `${at.path} must be an integer, got ${v}`);
    if (o.min !== undefined && (o.exclusiveMin ? v <= o.min : v < o.min)) {
      return this.invalid(env, at, v, `${at.path} must be ${o.exclusiveMin ? 'greater than' : 'at least'} ${o.min}, got ${v}`);
    }
    if (o.max !== undefined && v > o.max) return this.invalid(env, at, v, `${at.path} must be at most ${o.max}, got ${v}`);
    return v;
  }
}

export const num = (o: { min?: number; max?: number; exclusiveMin?: boolean } = {}) => new NumberSpec(o);

/**
 * Longest duration a config may give, in seconds (about 31 years): window bounds stay inside the
 * range of dates (a batchDuration of 1e300 crashed the run, docs/bad-input.md).
 */
export const MAX_SECONDS = 1e9;
/** Longest timer Node keeps, in ms: a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** A duration in seconds, from 0 (or above it) to MAX_SECONDS. */
export const seconds = (o: { exclusiveMin?: boolean } = {}) => num({ min: 0, max: MAX_SECONDS, exclusiveMin: o.exclusiveMin });
export const int = (o: { min?: number; max?: number } = {}) => new NumberSpec({ ...o, integer: true });
export const port = () => int({ min: 1, max: 65535 });

export class BooleanSpec extends Spec<boolean> {
  schema(): JsonSchema {
    return { type: 'boolean' };
  }
  protected read(v: unknown, at: Place, env: ParseEnv): boolean | undefined {
    if (typeof v !== 'boolean') return this.invalid(env, at, v, `${at.path} must be true or false, got ${typeName(v)}`);
    return v;
  }
}

export const bool = () => new BooleanSpec();

/** One of a few strings. A wrong value is reported and the default is used (the config is invalid anyway). */
export class EnumSpec<T extends string> extends Spec<T> {
  constructor(readonly values: readonly T[]) {
    super();
  }
  schema(): JsonSchema {
    return { enum: [...this.values] };
  }
  protected read(v: unknown, at: Place, env: ParseEnv): T | undefined {
    if (typeof v !== 'string' || !this.values.includes(v as T)) {
      this.invalid(env, at, v, `${at.path} must be one of ${this.values.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
      return this.settings.hasDefault ? (this.settings.defaultValue as T) : undefined;
    }
    return v as T;
  }
}

export const oneOf = <T extends string>(...values: T[]) => new EnumSpec<T>(values);

/** Any JSON value, checked by nothing (kept as written). */
export class AnySpec extends Spec<unknown> {
  constructor(private readonly s0: JsonSchema = {}) {
    super();
  }
  schema(): JsonSchema {
    return { ...this.s0 };
  }
  protected read(v: unknown): unknown {
    return v;
  }
}

export const anything = (schema: JsonSchema = {}) => new AnySpec(schema);

// ---- composites --------------------------------------------------------------------------

export class ArraySpec<T> extends Spec<T[]> {
  constructor(
    private readonly item: Spec<T>,
    private readonly opts: { minItems?: number; message?: (v: unknown, at: Place) => string } = {},
  ) {
    super();
  }
  schema(): JsonSchema {
    const out: JsonSchema = { type: 'array', items: this.item.jsonSchema() };
    if (this.opts.minItems !== undefined) out.minItems = this.opts.minItems;
    return out;
  }
  protected read(v: unknown, at: Place, env: ParseEnv): T[] | undefined {
    if (!Array.isArray(v) || (this.opts.minItems !== undefined && v.length < this.opts.minItems)) {
      const why = Array.isArray(v) ? `${at.path} must have at least ${this.opts.minItems} item(s)` : `${at.path} must be an array, got ${typeName(v)}`;
      return this.invalid(env, at, v, this.opts.message ? this.opts.message(v, at) : why);
    }
    const out: T[] = [];
    let ok = true;
    v.forEach((x, i) => {
      const r = this.item.parseAt(x, { path: childPath(at.path, i), parent: at.path, key: String(i) }, env);
      if (r === undefined) ok = false;
      else out.push(r);
    });
    return ok ? out : undefined;
  }
}

export const array = <T>(item: Spec<T>, o: { minItems?: number; message?: (v: unknown, at: Place) => string } = {}) => new ArraySpec(item, o);

/** An object of arbitrary keys, each value of one spec (`deviation: {"column": percent}`). */
export class RecordSpec<T> extends Spec<Record<string, T>> {
  constructor(
    private readonly value: Spec<T>,
    private readonly opts: { minProperties?: number } = {},
  ) {
    super();
  }
  schema(): JsonSchema {
    const out: JsonSchema = { type: 'object', additionalProperties: this.value.jsonSchema() };
    if (this.opts.minProperties !== undefined) out.minProperties = this.opts.minProperties;
    return out;
  }
  protected read(v: unknown, at: Place, env: ParseEnv): Record<string, T> | undefined {
    if (!isObj(v) || (this.opts.minProperties !== undefined && Object.keys(v).length < this.opts.minProperties)) {
      return this.invalid(env, at, v, `${at.path} must be an object, got ${typeName(v)}`);
    }
    const out: Record<string, T> = {};
    let ok = true;
    for (const [k, x] of Object.entries(v)) {
      const r = this.value.parseAt(x, place(at.path, k), env);
      if (r === undefined) ok = false;
      else out[k] = r;
    }
    return ok ? out : undefined;
  }
}

export const record = <T>(value: Spec<T>, o: { minProperties?: number } = {}) => new RecordSpec(value, o);

// biome-ignore lint/suspicious/noExplicitAny: any spec, whatever it parses to
export type Fields = Record<string, Spec<any>>;
type Present<S> = S extends Spec<infer T> ? (S extends AlwaysPresent ? T : T | undefined) : never;
export type ObjectOf<F extends Fields> = { [K in keyof F]: Present<F[K]> };

export interface ObjectOptions {
  /** unknown keys: ignored (default) or reported as a warning by this function */
  unknownKey?: (key: string, at: Place) => string;
  /** extra JSON Schema keywords of the object (if/then/else, anyOf, …) */
  extraSchema?: JsonSchema;
  /** keys this object accepts that are read elsewhere (listed in the schema, not warned about) */
  known?: readonly string[];
}

/**
 * An object with named fields, parsed in declaration order. Gives undefined when a required (or
 * strict) field failed; an optional field that failed is reported and left out.
 */
export class ObjectSpec<F extends Fields> extends Spec<ObjectOf<F>> {
  constructor(
    readonly fields: F,
    private readonly opts: ObjectOptions = {},
  ) {
    super();
    for (const [k, f] of Object.entries(fields)) {
      if (f.settings.secret && !isSecretKey(k))
        throw new Error(`option '${k}' is marked secret, but the rule of secrets (docs/secrets.md) does not name it one`);
    }
  }
  schema(): JsonSchema {
    const properties: JsonSchema = {};
    const required: string[] = [];
    for (const [k, f] of Object.entries(this.fields)) {
      properties[k] = f.jsonSchema();
      if (isSecretKey(k)) (properties[k] as JsonSchema).writeOnly = true;
      if (f.settings.required) required.push(k);
    }
    const out: JsonSchema = { type: 'object', properties };
    if (required.length > 0) out.required = required;
    return { ...out, ...this.opts.extraSchema };
  }
  protected read(v: unknown, at: Place, env: ParseEnv): ObjectOf<F> | undefined {
    if (!isObj(v)) return this.invalid(env, at, v, `${at.path} must be an object, got ${typeName(v)}`);
    return this.readFields(v, at, env);
  }
  /** the fields of an object already known to be one */
  readFields(v: Obj, at: Place, env: ParseEnv): ObjectOf<F> | undefined {
    if (this.opts.unknownKey) {
      const known = new Set([...Object.keys(this.fields), ...(this.opts.known ?? [])]);
      for (const k of Object.keys(v)) {
        if (!known.has(k)) env.sink.report(childPath(at.path, k), 'ConfigError', this.opts.unknownKey(k, at), { onKey: true, severity: 'warning' });
      }
    }
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const [k, f] of Object.entries(this.fields)) {
      const before = env.sink.errorCount;
      const r = f.parseAt(v[k], place(at.path, k), env);
      if (r !== undefined) out[k] = r;
      else if (env.sink.errorCount > before && f.settings.strict) ok = false;
      else if (f.settings.required) ok = false;
    }
    return ok ? (out as ObjectOf<F>) : undefined;
  }
}

export const obj = <F extends Fields>(fields: F, o: ObjectOptions = {}) => new ObjectSpec(fields, o);

/** Several specs for one value; the first whose `when` matches parses it. */
export class FormsSpec<T> extends Spec<T> {
  constructor(
    private readonly forms: { when: (v: Obj) => boolean; whenSchema: JsonSchema; spec: Spec<T> }[],
    private readonly otherwise: Spec<T>,
    private readonly doc0?: string,
  ) {
    super();
  }
  schema(): JsonSchema {
    // draft-07 if/then/else chain: the same choice the parse makes
    let schema: JsonSchema = this.otherwise.jsonSchema();
    for (const f of [...this.forms].reverse()) schema = ifThen(f.whenSchema, f.spec.jsonSchema(), schema);
    return { type: 'object', ...(this.doc0 ? { description: this.doc0 } : {}), ...schema };
  }
  protected read(v: unknown, at: Place, env: ParseEnv): T | undefined {
    if (!isObj(v)) return this.invalid(env, at, v, `${at.path} must be an object`);
    const form = this.forms.find((f) => f.when(v));
    return (form ? form.spec : this.otherwise).parseAt(v, at, env);
  }
}

export const forms = <T>(f: { when: (v: Obj) => boolean; whenSchema: JsonSchema; spec: Spec<T> }[], otherwise: Spec<T>, doc?: string) =>
  new FormsSpec(f, otherwise, doc);

/** A spec whose parse is written by hand, with the JSON Schema that says the same. */
export class CustomSpec<T> extends Spec<T> {
  constructor(
    private readonly schema0: () => JsonSchema,
    private readonly reader: (v: unknown, at: Place, env: ParseEnv, fail: (message: string, path?: string) => undefined) => T | undefined,
    /** specs it reads the same value with (their secrets and files are this spec's) */
    readonly parts: readonly Spec<unknown>[] = [],
  ) {
    super();
  }
  schema(): JsonSchema {
    return this.schema0();
  }
  protected read(v: unknown, at: Place, env: ParseEnv): T | undefined {
    return this.reader(v, at, env, (message, path) => {
      env.sink.report(path ?? at.path, this.settings.errorClass, message);
      return undefined;
    });
  }
}

export const custom = <T>(
  schema: () => JsonSchema,
  read: (v: unknown, at: Place, env: ParseEnv, fail: (message: string, path?: string) => undefined) => T | undefined,
  parts: readonly Spec<unknown>[] = [],
) => new CustomSpec(schema, read, parts);

/** The option keys a spec's JSON Schema lists. */
export function optionKeys(schema: JsonSchema): string[] {
  return Object.keys((schema.properties as JsonSchema | undefined) ?? {});
}

/** JSON paths (relative to a spec's value) of every secret and every file it names: what export needs. */
export function specPaths(spec: Spec<unknown>, flag: 'secret' | 'file', base = ''): string[] {
  if (spec.settings[flag]) return [base];
  if (spec instanceof ObjectSpec) {
    // a field the rule of secrets names one is a secret, marked or not
    return Object.entries(spec.fields as Fields).flatMap(([k, f]) =>
      flag === 'secret' && isSecretKey(k) ? [childPath(base, k)] : specPaths(f, flag, childPath(base, k)),
    );
  }
  if (spec instanceof Mapped) return specPaths((spec as unknown as { inner: Spec<unknown> }).inner, flag, base);
  if (spec instanceof CustomSpec) return [...new Set(spec.parts.flatMap((p) => specPaths(p, flag, base)))];
  if (spec instanceof FormsSpec) {
    const f = spec as unknown as { forms: { spec: Spec<unknown> }[]; otherwise: Spec<unknown> };
    return [...new Set([...f.forms.flatMap((x) => specPaths(x.spec, flag, base)), ...specPaths(f.otherwise, flag, base)])];
  }
  return [];
}
