/**
 * Loads user modules (docs/semantics.md#user-code): JS is imported as is, TypeScript is
 * bundled with esbuild first. Transformation and aggregate functions become
 * FunctionDef / AggregateDef entries validated exactly like built-ins.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RowError } from '../core/errors.js';
import type { FieldType, Value } from '../core/types.js';
import { ALL_TYPES, isPromotable } from '../core/types.js';
import { BUILTIN_MAP, promote, type ArgInfo, type FunctionDef } from '../expr/functions.js';
import { BUILTIN_AGGREGATE_MAP, type AggregateDef } from '../aggregate/functions.js';
import type { AggregateFunction, AnalysisClass, ExtensionModule, TransformFunction } from './types.js';
import { EngineError } from '../core/errors.js';

export interface LoadedExtensions {
  functions: Map<string, FunctionDef>;
  aggregates: Map<string, AggregateDef>;
  analyses: Map<string, AnalysisClass>;
  /** module file that exports each analysis (user analyses run in a worker, which imports it again) */
  analysisFiles: Map<string, string>;
  /** implementations referenced by generated code as x[i] */
  transformImpls: ((...args: Value[]) => Value)[];
  aggregateImpls: ((a: Value, b: Value) => Value)[];
  /** the module (index into the config's extensions) that defines each user function, aggregate and analysis */
  origins: { functions: Map<string, number>; aggregates: Map<string, number>; analyses: Map<string, number> };
  errors: { moduleIndex: number; message: string }[];
}

const NAME_RE = /^[A-Za-z_]\w*$/;

/** Import a JS or TS module by absolute path. */
export async function importUserModule(abs: string): Promise<Record<string, unknown>> {
  if (/\.(m|c)?ts$/.test(abs)) {
    const esbuild = await import('esbuild');
    const src = fs.readFileSync(abs);
    const hash = createHash('sha1').update(abs).update(src).digest('hex').slice(0, 12);
    const outFile = path.join(os.tmpdir(), 'ts-engine-modules', `${path.basename(abs).replace(/\.\w+$/, '')}-${hash}.mjs`);
    if (!fs.existsSync(outFile)) {
      await esbuild.build({
        entryPoints: [abs],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: outFile,
        packages: 'external',
        logLevel: 'silent',
        absWorkingDir: path.dirname(abs),
      });
    }
    return (await import(pathToFileURL(outFile).href)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
}

export function emptyExtensions(): LoadedExtensions {
  return {
    functions: new Map(BUILTIN_MAP),
    aggregates: new Map(BUILTIN_AGGREGATE_MAP),
    analyses: new Map(),
    analysisFiles: new Map(),
    transformImpls: [],
    aggregateImpls: [],
    origins: { functions: new Map(), aggregates: new Map(), analyses: new Map() },
    errors: [],
  };
}

export async function loadExtensions(paths: readonly string[]): Promise<LoadedExtensions> {
  const ext = emptyExtensions();
  for (let moduleIndex = 0; moduleIndex < paths.length; moduleIndex++) {
    const file = paths[moduleIndex]!;
    let mod: ExtensionModule;
    try {
      mod = (await importUserModule(file)) as ExtensionModule;
    } catch (e) {
      ext.errors.push({ moduleIndex, message: `cannot load extension module ${file}: ${(e as Error).message}` });
      continue;
    }
    for (const fn of mod.transformFunctions ?? []) {
      const problem = addTransform(ext, fn);
      if (problem) ext.errors.push({ moduleIndex, message: `${file}: transform function ${JSON.stringify(fn?.name)}: ${problem}` });
      else ext.origins.functions.set(fn.name, moduleIndex);
    }
    for (const fn of mod.aggregateFunctions ?? []) {
      const problem = addAggregate(ext, fn);
      if (problem) ext.errors.push({ moduleIndex, message: `${file}: aggregate function ${JSON.stringify(fn?.name)}: ${problem}` });
      else ext.origins.aggregates.set(fn.name.toLowerCase(), moduleIndex);
    }
    for (const [name, cls] of Object.entries(mod.analyses ?? {})) {
      if (typeof cls !== 'function') ext.errors.push({ moduleIndex, message: `${file}: analyses.${name} is not a class` });
      else {
        ext.analyses.set(name, cls);
        ext.analysisFiles.set(name, file);
        ext.origins.analyses.set(name, moduleIndex);
      }
    }
  }
  return ext;
}

function addTransform(ext: LoadedExtensions, fn: TransformFunction): string | undefined {
  if (!fn || typeof fn.name !== 'string' || !NAME_RE.test(fn.name)) return 'name must match [A-Za-z_][A-Za-z0-9_]*';
  if (BUILTIN_MAP.has(fn.name)) return `clashes with the built-in function ${fn.name}`;
  if (ext.functions.has(fn.name)) return 'defined twice';
  if (!Number.isInteger(fn.arity) || fn.arity < 0) return 'arity must be a non-negative integer';
  if (typeof fn.apply !== 'function') return 'apply must be a function';
  if (!fn.resultType) {
    if (fn.returns === undefined) return 'needs either resultType(argTypes) or returns';
    if (fn.returns !== 'promote' && fn.returns !== 'arg0' && !ALL_TYPES.includes(fn.returns)) return `returns ${JSON.stringify(fn.returns)} is not a type`;
    if (fn.params && fn.params.length !== fn.arity) return `params lists ${fn.params.length} types for arity ${fn.arity}`;
  }
  const implIndex = ext.transformImpls.length;
  const name = fn.name;
  ext.transformImpls.push((...args: Value[]) => {
    try {
      return fn.apply(...args);
    } catch (e) {
      if (e instanceof RowError) throw e;
      throw new RowError('user function error', `${name}: ${(e as Error)?.message ?? String(e)}`);
    }
  });
  const resultType = (args: ArgInfo[]): FieldType => {
    const types = args.map((a) => a.type);
    if (fn.resultType) {
      let t: FieldType;
      try {
        t = fn.resultType(types);
      } catch (e) {
        throw new EngineError('IncorrectArgumentTypeForOperationError', `${name}: ${(e as Error).message}`, args[0]?.node);
      }
      if (!ALL_TYPES.includes(t))
        throw new EngineError('IncorrectArgumentTypeForOperationError', `${name}: resultType returned ${JSON.stringify(t)}, not a type`);
      return t;
    }
    fn.params?.forEach((want, i) => {
      const got = types[i]!;
      const ok = want === 'any' || (want === 'numeric' ? isPromotable(got) : want === got);
      if (!ok) throw new EngineError('IncorrectArgumentTypeForOperationError', `${name}: argument ${i + 1} must be ${want}, got ${got}`, args[i]!.node);
    });
    if (fn.returns === 'promote') return promote(name, args, true);
    if (fn.returns === 'arg0') return types[0] ?? 'StringType';
    return fn.returns!;
  };
  ext.functions.set(name, {
    name,
    arity: fn.arity,
    signature: `${name}(${(fn.params ?? Array.from({ length: fn.arity }, () => 'any')).join(', ')}) → ${fn.returns ?? 'custom'}`,
    doc: fn.doc ?? 'User function.',
    resultType,
    emit: (code, _args, result) => `h.normResult(x[${implIndex}](${code.join(', ')}), '${result}', '${name}')`,
  });
  return undefined;
}

function addAggregate(ext: LoadedExtensions, fn: AggregateFunction): string | undefined {
  if (!fn || typeof fn.name !== 'string' || !NAME_RE.test(fn.name)) return 'name must match [A-Za-z_][A-Za-z0-9_]*';
  const key = fn.name.toLowerCase();
  if (BUILTIN_AGGREGATE_MAP.has(key)) return `clashes with the built-in aggregate ${key}`;
  if (ext.aggregates.has(key)) return 'defined twice';
  if (!Array.isArray(fn.accepts) || fn.accepts.some((t) => !ALL_TYPES.includes(t))) return 'accepts must be an array of type names';
  if (typeof fn.combine !== 'function') return 'combine must be a function';
  const implIndex = ext.aggregateImpls.length;
  ext.aggregateImpls.push((a, b) => {
    try {
      return fn.combine(a, b);
    } catch (e) {
      throw new RowError('user aggregate error', `${fn.name}: ${(e as Error)?.message ?? String(e)}`);
    }
  });
  const resultType = (t: FieldType) => (fn.resultType ? fn.resultType(t) : t);
  ext.aggregates.set(key, {
    name: key,
    accepts: fn.accepts,
    doc: fn.doc ?? 'User aggregate function.',
    resultType,
    init: (v, t) => (resultType(t) === t ? v : `h.normResult(${v}, '${resultType(t)}', '${key}')`),
    combine: (a, b, t) => `${a} = h.normResult(x[${implIndex}](${a}, ${b}), '${resultType(t)}', '${key}');`,
  });
  return undefined;
}
