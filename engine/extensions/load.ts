/**
 * User modules (docs/semantics.md#user-code, docs/sandbox.md). Nothing of a module runs
 * in the engine's process: a trusted module is loaded in the sandbox, which
 * reports its shape (names, arity, signatures, which exports are analysis
 * classes) as plain data; an untrusted one is only parsed. Transformation and
 * aggregate functions become FunctionDef / AggregateDef entries validated
 * exactly like built-ins; the generated code calls them as x[i], which only the
 * sandbox fills with the real functions.
 */
import { EngineError } from '../core/errors.js';
import type { UnsavedSources } from '../core/files.js';
import type { FieldType } from '../core/types.js';
import { ALL_TYPES, isPromotable } from '../core/types.js';
import { BUILTIN_MAP, promote, type ArgInfo, type FunctionDef } from '../expr/functions.js';
import { BUILTIN_AGGREGATE_MAP, type AggregateDef } from '../aggregate/functions.js';
import type { ImplRef, ModuleBundle, ModuleShape, RawAggregate, RawTransform } from '../sandbox/protocol.js';
import type { ModuleInspector } from '../sandbox/inspect.js';
import { staticShape } from './static-shape.js';

/** Where an analysis class lives: a bundle of the plan and the export that holds it. */
export interface AnalysisLocator {
  module: number;
  from: 'export' | 'analyses';
  exportName: string;
}

export interface LoadedExtensions {
  functions: Map<string, FunctionDef>;
  aggregates: Map<string, AggregateDef>;
  /** analysis classes exported by extension modules, by name */
  analyses: Map<string, AnalysisLocator>;
  /** stand-ins for x[i] in the engine's copy of the generated code (the sandbox has the real ones) */
  transformImpls: unknown[];
  aggregateImpls: unknown[];
  /** what x[i] is inside the sandbox */
  transformRefs: ImplRef[];
  aggregateRefs: ImplRef[];
  /** x[i] the compiled transformations call */
  usedTransforms: Set<number>;
  /** one per extension module (undefined where it failed) */
  bundles: (ModuleBundle | undefined)[];
  /** the module (index into the config's extensions) that defines each user function, aggregate and analysis */
  origins: { functions: Map<string, number>; aggregates: Map<string, number>; analyses: Map<string, number> };
  errors: { moduleIndex: number; message: string }[];
  /** false: the modules were parsed, not loaded (a folder the user has not trusted) */
  loaded: boolean;
  /** untrusted: some module builds its lists with code, so a name may exist that the parse did not see */
  incomplete: boolean;
}

/** The folder is not trusted, so this could not be checked: a warning, never an error. */
export class UncheckedError extends EngineError {}

export const UNTRUSTED = 'not checked in restricted mode: user modules are not loaded until the folder is trusted';

/** A user resultType rule has not been asked about these argument types yet (checkConfig asks the sandbox and compiles again). */
export class PendingResultType extends Error {
  constructor(
    readonly module: number,
    readonly index: number,
    readonly types: FieldType[],
    readonly store: (r: { type: string } | { error: string }) => void,
  ) {
    super('pending user resultType');
  }
}

const NAME_RE = /^[A-Za-z_]\w*$/;

const inSandboxOnly = () => {
  throw new Error('user functions run in the sandbox, not in the engine process');
};

export function emptyExtensions(): LoadedExtensions {
  return {
    functions: new Map(BUILTIN_MAP),
    aggregates: new Map(BUILTIN_AGGREGATE_MAP),
    analyses: new Map(),
    transformImpls: [],
    aggregateImpls: [],
    transformRefs: [],
    aggregateRefs: [],
    usedTransforms: new Set(),
    bundles: [],
    origins: { functions: new Map(), aggregates: new Map(), analyses: new Map() },
    errors: [],
    loaded: true,
    incomplete: false,
  };
}

/**
 * Extension modules by absolute path. With an inspector they are loaded in its
 * sandbox; without one (an untrusted folder) they are only parsed.
 */
export async function loadExtensions(paths: readonly string[], inspector: ModuleInspector | undefined, sources?: UnsavedSources): Promise<LoadedExtensions> {
  const ext = emptyExtensions();
  ext.loaded = inspector !== undefined;
  for (let moduleIndex = 0; moduleIndex < paths.length; moduleIndex++) {
    const file = paths[moduleIndex]!;
    let shape: ModuleShape;
    if (inspector) {
      const r = await inspector.shapeOf(file);
      if ('error' in r) {
        ext.bundles.push(undefined);
        ext.errors.push({ moduleIndex, message: `cannot load extension module ${file}: ${r.error}` });
        continue;
      }
      ext.bundles.push(r.bundle);
      shape = r.shape;
    } else {
      const r = await staticShape(file, sources);
      ext.bundles.push(undefined);
      if ('error' in r) {
        ext.errors.push({ moduleIndex, message: `cannot parse extension module ${file}: ${r.error}` });
        continue;
      }
      if (!r.complete) ext.incomplete = true;
      shape = r;
    }
    addModule(ext, moduleIndex, file, shape);
  }
  return ext;
}

function addModule(ext: LoadedExtensions, moduleIndex: number, file: string, shape: ModuleShape): void {
  const report = (message: string) => ext.errors.push({ moduleIndex, message: `${file}: ${message}` });
  if (shape.transformError) report(shape.transformError);
  if (shape.aggregateError) report(shape.aggregateError);
  shape.transform.forEach((fn, index) => {
    const problem = 'problem' in fn ? fn.problem : addTransform(ext, moduleIndex, index, fn);
    if (problem) report(`transform function ${'problem' in fn ? `#${index}` : JSON.stringify(fn.name)}: ${problem}`);
  });
  shape.aggregate.forEach((fn, index) => {
    const problem = 'problem' in fn ? fn.problem : addAggregate(ext, moduleIndex, index, fn);
    if (problem) report(`aggregate function ${'problem' in fn ? `#${index}` : JSON.stringify(fn.name)}: ${problem}`);
  });
  for (const [name, isClass] of Object.entries(shape.analyses)) {
    if (!isClass) report(`analyses.${name} is not a class with an analysis(history, alerts) method`);
    else {
      ext.analyses.set(name, { module: moduleIndex, from: 'analyses', exportName: name });
      ext.origins.analyses.set(name, moduleIndex);
    }
  }
}

function addTransform(ext: LoadedExtensions, moduleIndex: number, index: number, fn: RawTransform): string | undefined {
  const unchecked = !ext.loaded;
  if (typeof fn.name !== 'string' || !NAME_RE.test(fn.name)) return 'name must match [A-Za-z_][A-Za-z0-9_]*';
  if (BUILTIN_MAP.has(fn.name)) return `clashes with the built-in function ${fn.name}`;
  if (ext.functions.has(fn.name)) return 'defined twice';
  if (fn.arity === undefined && unchecked) return undefined; // built by code: the parse cannot tell
  if (!Number.isInteger(fn.arity) || fn.arity! < 0) return 'arity must be a non-negative integer';
  if (!fn.hasApply) return 'apply must be a function';
  const params = fn.params === 'invalid' ? undefined : fn.params;
  if (!fn.hasResultType) {
    if (fn.returns === undefined) return 'needs either resultType(argTypes) or returns';
    if (fn.returns !== 'promote' && fn.returns !== 'arg0' && !ALL_TYPES.includes(fn.returns as FieldType))
      return `returns ${JSON.stringify(fn.returns)} is not a type`;
    if (params && params.length !== fn.arity) return `params lists ${params.length} types for arity ${fn.arity}`;
    const bad = params?.find((p) => p !== 'any' && p !== 'numeric' && !ALL_TYPES.includes(p as FieldType));
    if (bad !== undefined) return `params entry ${JSON.stringify(bad)} is not a type, 'numeric' or 'any'`;
  }
  const implIndex = ext.transformImpls.length;
  const name = fn.name;
  const arity = fn.arity!;
  ext.transformImpls.push(inSandboxOnly);
  ext.transformRefs.push({ module: moduleIndex, index, name, arity });
  ext.origins.functions.set(name, moduleIndex);
  const answers = new Map<string, { type: string } | { error: string }>();
  const resultType = (args: ArgInfo[]): FieldType => {
    const types = args.map((a) => a.type);
    if (fn.hasResultType) {
      if (unchecked) throw new UncheckedError('IncorrectArgumentTypeForOperationError', `${name}: result type ${UNTRUSTED}`, args[0]?.node);
      const key = types.join(',');
      const r = answers.get(key);
      if (r === undefined) throw new PendingResultType(moduleIndex, index, types, (a) => answers.set(key, a));
      if ('error' in r) throw new EngineError('IncorrectArgumentTypeForOperationError', `${name}: ${r.error}`, args[0]?.node);
      if (!ALL_TYPES.includes(r.type as FieldType))
        throw new EngineError('IncorrectArgumentTypeForOperationError', `${name}: resultType returned ${JSON.stringify(r.type)}, not a type`);
      return r.type as FieldType;
    }
    params?.forEach((want, i) => {
      const got = types[i]!;
      const ok = want === 'any' || (want === 'numeric' ? isPromotable(got) : want === got);
      if (!ok) throw new EngineError('IncorrectArgumentTypeForOperationError', `${name}: argument ${i + 1} must be ${want}, got ${got}`, args[i]!.node);
    });
    if (fn.returns === 'promote') return promote(name, args, true);
    if (fn.returns === 'arg0') return types[0] ?? 'StringType';
    return fn.returns as FieldType;
  };
  ext.functions.set(name, {
    name,
    arity,
    signature: `${name}(${(params ?? Array.from({ length: arity }, () => 'any')).join(', ')}) → ${fn.returns ?? 'custom'}`,
    doc: fn.doc ?? 'User function.',
    resultType,
    unchecked: unchecked ? `Operation '${name}' is an extension function (its module was parsed, not run); ${UNTRUSTED}` : undefined,
    emit: (code, _args, result) => {
      ext.usedTransforms.add(implIndex);
      return `h.normResult(x[${implIndex}](${code.join(', ')}), '${result}', '${name}')`;
    },
  });
  return undefined;
}

function addAggregate(ext: LoadedExtensions, moduleIndex: number, index: number, fn: RawAggregate): string | undefined {
  if (typeof fn.name !== 'string' || !NAME_RE.test(fn.name)) return 'name must match [A-Za-z_][A-Za-z0-9_]*';
  const key = fn.name.toLowerCase();
  if (BUILTIN_AGGREGATE_MAP.has(key)) return `clashes with the built-in aggregate ${key}`;
  if (ext.aggregates.has(key)) return 'defined twice';
  if (fn.accepts === undefined && !ext.loaded) return undefined;
  if (!Array.isArray(fn.accepts) || fn.accepts.some((t) => !ALL_TYPES.includes(t as FieldType))) return 'accepts must be an array of type names';
  if (!fn.hasCombine) return 'combine must be a function';
  const implIndex = ext.aggregateImpls.length;
  ext.aggregateImpls.push(inSandboxOnly);
  ext.aggregateRefs.push({ module: moduleIndex, index, name: fn.name, arity: 2 });
  ext.origins.aggregates.set(key, moduleIndex);
  const table = fn.resultTypes;
  const resultType = (t: FieldType): FieldType => {
    if (!table) return t;
    if (!ext.loaded) throw new UncheckedError('NotValidAggregationExpression', `${key}: result type ${UNTRUSTED}`);
    const r = table[t];
    if (!r) return t;
    if ('error' in r) throw new EngineError('NotValidAggregationExpression', `${key}: ${r.error}`);
    if (!ALL_TYPES.includes(r.type as FieldType))
      throw new EngineError('NotValidAggregationExpression', `${key}: resultType returned ${JSON.stringify(r.type)}, not a type`);
    return r.type as FieldType;
  };
  ext.aggregates.set(key, {
    name: key,
    accepts: fn.accepts as FieldType[],
    doc: fn.doc ?? 'User aggregate function.',
    user: true,
    resultType,
    init: (v, t) => (resultType(t) === t ? v : `h.normResult(${v}, '${resultType(t)}', '${key}')`),
    combine: (a, b, t) => `${a} = h.normResult(x[${implIndex}](${a}, ${b}), '${resultType(t)}', '${key}');`,
  });
  return undefined;
}
