/**
 * Type-checks transformation entries against the input schema and compiles the
 * whole list into ONE generated JS function `(r, o) => void` that reads parsed
 * input values from `r` (indexed by data-structure slot) and writes the
 * transformed row into `o`.
 */
import { EngineError } from '../core/errors.js';
import type { Column, FieldType, InputField, Value } from '../core/types.js';
import type { Expr, TransformEntry } from './ast.js';
import { BUILTIN_MAP, CONFIG_FUNCTION, type ArgInfo, type FunctionDef } from './functions.js';
import { parseEntry } from './parser.js';
import { runtime } from './runtime.js';

/** Resolves `config('a.b.c')`; returns undefined when the path does not exist. */
export type ConfigLookup = (path: string) => { value: unknown; isInteger: boolean } | undefined;

export interface CompileOptions {
  functions?: ReadonlyMap<string, FunctionDef>;
  configLookup?: ConfigLookup;
  /** implementations that extension FunctionDefs reference as `x[i]` */
  extensionImpls?: readonly unknown[];
  /** the error for a name no FunctionDef has (default OperationNotSupportedError) */
  unknownFunction?: UnknownFunction;
}

export type UnknownFunction = (name: string, span: { from: number; to: number }) => EngineError | undefined;

export interface CompiledTransform {
  entries: TransformEntry[];
  columns: Column[];
  /** data-structure slots the expressions read */
  usedSlots: number[];
  run: (r: Value[], o: Value[]) => void;
  source: string;
  /** constants the source reads as k[i] */
  consts: unknown[];
  /**
   * Each column's expression with field reads as locals (`r<slot>`), for code that runs the transformation inline
   * (pipeline/row-runs.ts); only when it calls no extension function, so that it needs only `h` and `k` besides.
   */
  inline?: string[];
}

export interface EntryError {
  index: number;
  error: EngineError;
}

interface Ctx {
  fields: Map<string, { slot: number; type: FieldType }>;
  fieldCode: (slot: number) => string;
  functions: ReadonlyMap<string, FunctionDef>;
  configLookup?: ConfigLookup;
  unknownFunction?: UnknownFunction;
  consts: unknown[];
  used: Set<number>;
  /** some expression calls a function that is not built in (an extension's, through `x`) */
  callsExtension: boolean;
  /** warnings of the entry being compiled */
  notes: EngineError[];
}

export interface Typed {
  type: FieldType;
  code: string;
}

function constRef(ctx: Ctx, v: unknown): string {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)) return v < 0 ? `(${v})` : String(v);
  ctx.consts.push(v);
  return `k[${ctx.consts.length - 1}]`;
}

function literalValue(ctx: Ctx, value: unknown, isInteger: boolean, path: string, node: Expr): Typed {
  switch (typeof value) {
    case 'number':
      return { type: isInteger ? 'LongType' : 'DoubleType', code: constRef(ctx, value) };
    case 'bigint':
      return { type: 'LongType', code: constRef(ctx, value) };
    case 'boolean':
      return { type: 'BooleanType', code: constRef(ctx, value) };
    case 'string':
      return { type: 'StringType', code: constRef(ctx, value) };
    default: {
      const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
      throw new EngineError('ConfigError', `config('${path}') is ${what}; only numbers, strings and booleans can be used`, node);
    }
  }
}

/** A field reference, as `r[slot]` (the row array of every compiled form) unless said otherwise, noting the slot as used. */
export function fieldRead(
  node: Expr & { kind: 'field' },
  fields: ReadonlyMap<string, { slot: number; type: FieldType }>,
  used: Set<number>,
  code: (slot: number) => string = (slot) => `r[${slot}]`,
): Typed {
  const f = fields.get(node.name);
  if (!f) throw new EngineError('FieldNotExists', `Field with name '${node.name}' does not exists`, node);
  used.add(f.slot);
  return { type: f.type, code: code(f.slot) };
}

/**
 * How a transformation's field reads are first written: a mark no generated code holds otherwise (text goes
 * through the constants, and the names quoted in messages are identifiers), so that the same code can then be
 * written with the row array or with locals.
 */
const markedField = (slot: number) => `«${slot}»`;
const writeFieldReads = (code: string, field: (slot: string) => string) => code.replace(/«(\d+)»/g, (_, slot: string) => field(slot));

function compileExpr(node: Expr, ctx: Ctx): Typed {
  switch (node.kind) {
    case 'field':
      return fieldRead(node, ctx.fields, ctx.used, ctx.fieldCode);
    case 'literal':
      return { type: node.type, code: constRef(ctx, node.value) };
    case 'call': {
      const target = resolveCall(node, ctx.functions, ctx.configLookup, ctx.unknownFunction);
      if (target.kind === 'config') return literalValue(ctx, target.value, target.isInteger, target.path, target.arg);
      if (target.fn.unchecked) ctx.notes.push(new EngineError('ImportError', target.fn.unchecked, node.nameSpan));
      if (BUILTIN_MAP.get(node.name) !== target.fn) ctx.callsExtension = true;
      const { args, code } = typedArgs(node, (a) => compileExpr(a, ctx));
      const type = target.fn.resultType(args);
      return { type, code: target.fn.emit(code, args, type) };
    }
  }
}

export type CallTarget = { kind: 'fn'; fn: FunctionDef } | { kind: 'config'; value: unknown; isInteger: boolean; path: string; arg: Expr };

/** The function a call names, checked for existence and arity; `config('path')` resolved to its value (D-08, D-36). */
export function resolveCall(
  node: Expr & { kind: 'call' },
  functions: ReadonlyMap<string, FunctionDef>,
  configLookup?: ConfigLookup,
  unknownFunction?: UnknownFunction,
): CallTarget {
  const fn = functions.get(node.name);
  if (!fn)
    throw (
      unknownFunction?.(node.name, node.nameSpan) ?? new EngineError('OperationNotSupportedError', `Operation '${node.name}' is not supported.`, node.nameSpan)
    );
  if (node.args.length !== fn.arity) {
    throw new EngineError(
      'IncorrectArgumentsAmountForOperationError',
      `Operation '${node.name}' expects ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, got ${node.args.length}.`,
      node,
    );
  }
  if (node.name !== CONFIG_FUNCTION || fn !== BUILTIN_MAP.get(CONFIG_FUNCTION)) return { kind: 'fn', fn };
  const arg = node.args[0]!;
  if (arg.kind !== 'literal' || arg.type !== 'StringType') {
    throw new EngineError('IncorrectArgumentTypeForOperationError', `config expects a string literal path such as config('input.options.port')`, arg);
  }
  const path = arg.value as string;
  const found = configLookup?.(path);
  if (!found) throw new EngineError('ConfigError', `config('${path}'): no value at path '${path}' in the config file`, arg);
  return { kind: 'config', value: found.value, isInteger: found.isInteger, path, arg };
}

/** The arguments of a call compiled left to right, with their types. */
export function typedArgs(node: Expr & { kind: 'call' }, compile: (a: Expr) => Typed): { args: ArgInfo[]; code: string[] } {
  const args: ArgInfo[] = [];
  const code: string[] = [];
  for (const a of node.args) {
    const t = compile(a);
    args.push({ type: t.type, node: a });
    code.push(t.code);
  }
  return { args, code };
}

export function compileTransformations(
  texts: readonly string[],
  input: readonly InputField[],
  options: CompileOptions = {},
): { transform?: CompiledTransform; errors: EntryError[]; warnings: EntryError[] } {
  const fields = new Map<string, { slot: number; type: FieldType }>();
  input.forEach((f, slot) => fields.set(f.name, { slot, type: f.type }));
  const ctx: Ctx = {
    fields,
    fieldCode: markedField,
    functions: options.functions ?? BUILTIN_MAP,
    configLookup: options.configLookup,
    unknownFunction: options.unknownFunction,
    consts: [],
    used: new Set(),
    callsExtension: false,
    notes: [],
  };
  const errors: EntryError[] = [];
  const warnings: EntryError[] = [];
  const entries: TransformEntry[] = [];
  const columns: Column[] = [];
  const expressions: string[] = [];
  texts.forEach((text, index) => {
    ctx.notes = [];
    try {
      const entry = parseEntry(text);
      if (entry.name === '__proto__') {
        // outputs, stores and client libraries keep columns in plain objects, where this name sets the prototype
        throw new EngineError(
          'IncorrectExpression',
          `Incorrect expression: output column name '__proto__' is reserved (JavaScript objects use it for their prototype); name the column differently, e.g. "proto: ${entry.form === 'field' ? '__proto__' : '…'}"`,
          entry.nameSpan,
        );
      }
      const typed = compileExpr(entry.body, ctx);
      for (const error of ctx.notes) warnings.push({ index, error });
      entries.push(entry);
      columns.push({ name: entry.name, type: typed.type });
      expressions.push(typed.code);
    } catch (e) {
      if (e instanceof EngineError) errors.push({ index, error: e });
      else throw e;
    }
  });
  if (errors.length > 0) return { errors, warnings };
  const source = expressions.map((code, column) => `o[${column}] = ${writeFieldReads(code, (slot) => `r[${slot}]`)};`).join('\n');
  const run = buildTransform(source, ctx.consts, options.extensionImpls ?? []);
  const inline = ctx.callsExtension ? undefined : expressions.map((code) => writeFieldReads(code, (slot) => `r${slot}`));
  return { transform: { entries, columns, usedSlots: [...ctx.used].sort((a, b) => a - b), run, source, consts: ctx.consts, inline }, errors, warnings };
}

/** The transformation function of a generated source (also built inside the sandbox, docs/sandbox.md). */
export function buildTransform(source: string, consts: unknown[], extensionImpls: readonly unknown[]): CompiledTransform['run'] {
  const factory = new Function('h', 'k', 'x', `"use strict";\nreturn function transform(r, o) {\n${source}\n};`);
  return factory(runtime, consts, extensionImpls) as CompiledTransform['run'];
}

/** Compile a single body (the `eval` command). */
export function compileBody(
  text: string,
  input: readonly InputField[],
  options: CompileOptions = {},
): { type: FieldType; run: (r: Value[]) => Value; usedSlots: number[] } {
  const r = compileTransformations([`v: ${text}`], input, options);
  if (r.errors.length > 0) {
    const err = r.errors[0]!.error;
    // shift spans back to the body text ("v: " prefix)
    if (err.from !== undefined) err.from = Math.max(0, err.from - 3);
    if (err.to !== undefined) err.to = Math.max(0, err.to - 3);
    throw err;
  }
  const t = r.transform!;
  const out: Value[] = [null];
  return {
    type: t.columns[0]!.type,
    usedSlots: t.usedSlots,
    run: (row) => {
      t.run(row, out);
      return out[0]!;
    },
  };
}
