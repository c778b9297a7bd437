/**
 * The compile step: from a validated config to everything a run needs —
 * generated transformation and aggregation code, the aggregation plan, the
 * loaded extensions — reporting every problem at its place in the config.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic, EngineError } from '../core/errors.js';
import { readBoundedText, type UnsavedSources } from '../core/files.js';
import { compileTransformations, type CompiledTransform, type ConfigLookup } from '../expr/compile.js';
import { planAggregation, type AggregationPlan } from '../aggregate/rules.js';
import { compileGroupOps, type GroupOps } from '../aggregate/groups.js';
import {
  emptyExtensions,
  loadExtensions,
  PendingResultType,
  UncheckedError,
  UNTRUSTED,
  type AnalysisLocator,
  type LoadedExtensions,
} from '../extensions/load.js';
import { validateConfig, type ConfigIO, type ValidationResult } from '../config/validate.js';
import type { PipelineConfig, SandboxConfig } from '../config/model.js';
import type { InputField } from '../core/types.js';
import type { ParsedJson } from '../options/json.js';
import type { DiagnosticSink } from '../options/diagnostics.js';
import { expectedExportName, pickAnalysisClass } from '../analysis/modules.js';
import { analysisDescriptor } from '../components/registry.js';
import { ModuleInspector } from '../sandbox/inspect.js';
import type { ModuleBundle, SandboxLimits } from '../sandbox/protocol.js';
import type { SandboxPlan } from '../sandbox/plan.js';

export interface PipelinePlan {
  config: PipelineConfig;
  transform: CompiledTransform;
  aggregation: AggregationPlan;
  groups: GroupOps;
  extensions: LoadedExtensions;
  /** data-structure slots the row parser must fill (expressions + time field) */
  parseSlots: number[];
  /** slot of the event-time field */
  timeSlot?: number;
  /** the plan's user code, when it has some */
  userCode?: SandboxPlan;
  /**
   * The plan needs user code that was not loaded (a folder the user has not trusted): it can be
   * checked, not run. 'rows': its transformations or aggregations call user functions, so not
   * even a preview can run; 'analyses': only its user analyses (which a preview never runs).
   */
  untrusted?: 'rows' | 'analyses';
}

export interface CheckOptions {
  /**
   * 'skip' for a folder the user has not trusted (the workbench's restricted mode, `check
   * --no-user-code`): user modules are only parsed, never loaded, and what only running them
   * could check is reported as a warning ("not checked in restricted mode"), so nothing from the
   * project runs during a check. 'load' (default) loads them in the sandbox (docs/sandbox.md).
   */
  userModules?: 'load' | 'skip';
  /** keep the sandbox the check loaded the modules in, for the run that follows (plan.userCode.sandbox) */
  keepSandbox?: boolean;
  /** editor buffers not saved yet (the workbench): user modules are checked as they are there */
  sources?: UnsavedSources;
}

export const nodeIO: ConfigIO = {
  // bounded, regular files only: a config naming /dev/zero or a FIFO must not hang or fill memory
  readFile(abs) {
    try {
      return readBoundedText(abs);
    } catch (e) {
      return e as Error;
    }
  },
  exists: (abs) => fs.existsSync(abs),
};

export interface CheckOutcome {
  plan?: PipelinePlan;
  diagnostics: Diagnostic[];
  validation: ValidationResult;
  /** the functions and aggregates known (completion), also when the config does not compile */
  extensions?: LoadedExtensions;
}

/** Most of a granted file, since it is held in memory by the engine and the sandbox. */
const MAX_GRANTED_BYTES = 64 * 1024 * 1024;

function limitsOf(s: SandboxConfig): SandboxLimits {
  return { timeoutMs: s.timeoutMs, startupTimeoutMs: s.startupTimeoutMs, memoryMb: s.memoryMb };
}

/** The texts of sandbox.files, after making sure no link leads out of the project folder. */
function readGrantedFiles(s: SandboxConfig, configDir: string, io: ConfigIO, sink: DiagnosticSink): Record<string, string> {
  const out: Record<string, string> = {};
  s.files.forEach((f, i) => {
    const p = `sandbox.files[${i}]`;
    try {
      if (fs.existsSync(f.path)) {
        const real = fs.realpathSync(f.path);
        const root = fs.realpathSync(configDir);
        if (!real.startsWith(root + path.sep)) {
          sink.report(p, 'ConfigError', `${p}: ${f.name} leads outside the project folder (to ${real}); only project files can be granted`);
          return;
        }
        if (fs.statSync(real).size > MAX_GRANTED_BYTES) {
          sink.report(p, 'ConfigError', `${p}: ${f.name} is larger than ${MAX_GRANTED_BYTES >> 20} MB`);
          return;
        }
      }
    } catch (e) {
      sink.report(p, 'ConfigError', `${p}: cannot read ${f.path}: ${(e as Error).message}`);
      return;
    }
    const text = io.readFile(f.path);
    if (text instanceof Error) sink.report(p, 'ConfigError', `${p}: cannot read ${f.path}: ${text.message}`);
    else out[f.name] = text;
  });
  return out;
}

/** Compiles; when a user resultType rule has not been asked about some argument types yet, asks the sandbox and compiles again. */
async function compileAsking<T>(compile: () => T, inspector: ModuleInspector | undefined, modules: readonly string[]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return compile();
    } catch (e) {
      if (!(e instanceof PendingResultType) || !inspector || attempt > 10_000) throw e;
      e.store(await inspector.resultType(modules[e.module]!, e.index, e.types));
    }
  }
}

/** `config('a.b.c')` against the parsed config, telling integers from doubles by their source text. */
export function configLookupFor(doc: ParsedJson | undefined, raw: unknown): ConfigLookup {
  return (p: string) => {
    let cur: unknown = raw;
    for (const seg of p.split('.')) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
    if (typeof cur === 'number') {
      const text = doc?.locs.get(p)?.raw;
      const isInteger = text !== undefined ? /^-?\d+$/.test(text) : Number.isInteger(cur);
      if (isInteger && text !== undefined && !Number.isSafeInteger(cur)) return { value: BigInt(text), isInteger };
      return { value: cur, isInteger };
    }
    return { value: cur, isInteger: false };
  };
}

/**
 * Validate and compile a config: the `check` command, and the first step of
 * every run. User modules are loaded in a sandbox process, never here
 * (docs/sandbox.md); with `userModules: 'skip'` they are only parsed.
 */
export async function checkConfig(configPath: string, configText?: string, io: ConfigIO = nodeIO, options: CheckOptions = {}): Promise<CheckOutcome> {
  let text = configText;
  if (text === undefined) {
    const r = io.readFile(path.resolve(configPath));
    if (r instanceof Error) {
      return {
        diagnostics: [
          {
            file: configPath,
            line: 1,
            column: 1,
            endLine: 1,
            endColumn: 1,
            path: '',
            errorClass: 'ConfigError',
            message: `cannot read config file: ${r.message}`,
            severity: 'error',
          },
        ],
        validation: undefined as never,
      };
    }
    text = r;
  }
  const validation = validateConfig(configPath, text, io);
  const sink = validation.sink;
  const config = validation.config;
  const trusted = options.userModules !== 'skip';
  const sandbox = config?.sandbox ?? validation.partial?.sandbox;
  const configDir = path.dirname(path.resolve(configPath));
  const files = sandbox ? readGrantedFiles(sandbox, configDir, io, sink) : {};
  const limits = sandbox ? limitsOf(sandbox) : undefined;
  const source = config?.input.source;
  const csvFile = source?.type === 'csv' && source.path !== '-' ? source.path : undefined;
  const inspector = trusted && limits ? new ModuleInspector(limits, files, options.keepSandbox ? csvFile : undefined, options.sources) : undefined;
  const diagnostics = () => [...sink.diagnostics, ...(validation.structureSink?.diagnostics ?? [])];
  try {
    if (!config) {
      // report transformation and rule errors in the same pass as the config-level ones
      const part = validation.partial;
      let extensions: LoadedExtensions | undefined;
      if (part?.fields && part.processing && part.extensions && (inspector || !trusted)) {
        const { fields, processing } = part;
        const ext = part.extensions.length > 0 ? await loadExtensions(part.extensions, inspector, options.sources) : emptyExtensions();
        if (!trusted) warnParsedOnly(part.extensions, sink);
        extensions = ext;
        if (ext.errors.length === 0)
          await compileAsking(() => compileCore(fields, processing, validation.configDoc, part.raw, sink, ext), inspector, part.extensions);
      }
      return { diagnostics: diagnostics(), validation, extensions };
    }

    const extensions = config.extensions.length > 0 ? await loadExtensions(config.extensions, inspector, options.sources) : emptyExtensions();
    for (const e of extensions.errors) sink.report(`extensions[${e.moduleIndex}]`, 'ImportError', e.message);
    if (!trusted) warnParsedOnly(config.extensions, sink);

    const plan = await compileAsking(() => compilePlan(config, validation.configDoc, sink, extensions), inspector, config.extensions);
    const analyses = new Map<number, AnalysisLocator>();
    const bundles = extensions.bundles.slice();
    if (plan && config.analysis) await checkAnalysisModules(config, plan, extensions, sink, inspector, analyses, bundles);
    const all = diagnostics();
    const ok = !all.some((d) => d.severity === 'error');
    if (plan && ok) {
      const rows = rowsCallUserCode(plan.extensions, plan.aggregation);
      if (rows || analyses.size > 0 || (!trusted && config.analysis?.rules.some((r) => !r.builtin))) {
        if (!trusted) plan.untrusted = rows ? 'rows' : 'analyses';
        else {
          plan.userCode = sandboxPlanOf(plan, limits!, files, bundles as ModuleBundle[], analyses, rows);
          if (options.keepSandbox) plan.userCode.sandbox = inspector?.adopt(plan.userCode.bundles);
        }
      }
    }
    return { plan: ok ? plan : undefined, diagnostics: all, validation, extensions };
  } finally {
    await inspector?.close();
  }
}

/** The transformations or aggregations call user functions: rows are processed in the sandbox. */
function rowsCallUserCode(extensions: LoadedExtensions, aggregation: AggregationPlan): boolean {
  return extensions.usedTransforms.size > 0 || aggregation.values.some((v) => v.fn.user);
}

/** restricted mode: every extension module is a warning at its place (it was parsed, not loaded) */
function warnParsedOnly(modules: readonly string[], sink: DiagnosticSink): void {
  modules.forEach((m, i) => sink.warn(`extensions[${i}]`, `extension module ${m}: ${UNTRUSTED} (it was parsed, not run)`));
}

function sandboxPlanOf(
  plan: PipelinePlan,
  limits: SandboxLimits,
  files: Record<string, string>,
  bundles: ModuleBundle[],
  analyses: Map<number, AnalysisLocator>,
  rows: boolean,
): SandboxPlan {
  const input = plan.config.input;
  return {
    limits,
    analysisTimeoutMs: plan.config.analysis?.timeoutMs ?? limits.timeoutMs,
    bundles,
    files,
    analyses,
    rows: rows
      ? {
          input: {
            fields: input.fields,
            sep: input.sep,
            batchDurationSec: input.batchDurationSec,
            allowedLatenessSec: input.allowedLatenessSec,
            timeUnit: input.timeUnit,
            timeField: input.timeField,
            rate: input.rate,
            sourceType: input.source.type,
          },
          parseSlots: plan.parseSlots,
          timeSlot: plan.timeSlot,
          columns: plan.transform.columns,
          transformSource: plan.transform.source,
          transformConsts: plan.transform.consts,
          groupsSource: plan.groups.source,
          nKeys: plan.aggregation.keys.length,
          nValues: plan.aggregation.values.length,
          transformImpls: plan.extensions.transformRefs,
          aggregateImpls: plan.extensions.aggregateRefs,
        }
      : undefined,
  };
}

/** Transformations, then (if they compile) the aggregation plan; every problem goes to `sink`. */
function compileCore(
  fields: InputField[],
  processing: { transformation: string[]; operation: 'reduce' | 'reduceByKey'; rules: string[] },
  doc: ParsedJson | undefined,
  raw: Record<string, unknown>,
  sink: DiagnosticSink,
  extensions: LoadedExtensions,
): { transform: CompiledTransform; aggregation: AggregationPlan } | undefined {
  const untrustedNames = !extensions.loaded && extensions.incomplete;
  const { transform, errors, warnings } = compileTransformations(processing.transformation, fields, {
    functions: extensions.functions,
    configLookup: configLookupFor(doc, raw),
    extensionImpls: extensions.transformImpls,
    unknownFunction: untrustedNames
      ? (name, span) => new UncheckedError('OperationNotSupportedError', `Operation '${name}' is not a built-in; ${UNTRUSTED}`, span)
      : undefined,
  });
  const report = (index: number, error: EngineError, severity: 'error' | 'warning') =>
    sink.report(`processing.transformation[${index}]`, error.errorClass, error.message, {
      span: error.from !== undefined ? { from: error.from, to: error.to ?? error.from + 1 } : undefined,
      severity,
    });
  for (const { index, error } of errors) report(index, error, error instanceof UncheckedError ? 'warning' : 'error');
  for (const { index, error } of warnings) report(index, error, 'warning');
  if (!transform) return undefined;

  // duplicate output names make aggregation and output naming ambiguous (docs/semantics.md#duplicate-columns)
  const seen = new Map<string, number>();
  let duplicates = false;
  transform.entries.forEach((e, i) => {
    const prev = seen.get(e.name);
    if (prev !== undefined) {
      duplicates = true;
      sink.report(
        `processing.transformation[${i}]`,
        'ConfigError',
        `duplicate output column '${e.name}' (also produced by processing.transformation[${prev}])`,
        { span: e.nameSpan },
      );
    } else seen.set(e.name, i);
  });
  if (duplicates) return undefined;

  const { plan: aggregation, errors: ruleErrors } = planAggregation(processing.operation, processing.rules, transform.columns, extensions.aggregates);
  for (const { ruleIndex, error } of ruleErrors) {
    sink.report(ruleIndex >= 0 ? `processing.aggregations.rule[${ruleIndex}]` : 'processing.aggregations.rule', error.errorClass, error.message, {
      severity: error instanceof UncheckedError ? 'warning' : 'error',
    });
  }
  if (!aggregation) return undefined;
  return { transform, aggregation };
}

export function compilePlan(config: PipelineConfig, doc: ParsedJson | undefined, sink: DiagnosticSink, extensions: LoadedExtensions): PipelinePlan | undefined {
  const fields = config.input.fields;
  const core = compileCore(
    fields,
    { transformation: config.transformation, operation: config.operation, rules: config.rules },
    doc,
    config.raw,
    sink,
    extensions,
  );
  if (!core) return undefined;
  const { transform, aggregation } = core;
  // in the sandbox a time limit may cut a row short anywhere: its group changes are journaled to be undone
  const sandboxed = rowsCallUserCode(extensions, aggregation);

  const timeSlot = config.input.timeField !== undefined ? fields.findIndex((f) => f.name === config.input.timeField) : undefined;
  const slots = new Set(transform.usedSlots);
  if (timeSlot !== undefined && timeSlot >= 0) slots.add(timeSlot);
  return {
    config,
    transform,
    aggregation,
    groups: compileGroupOps(aggregation, extensions.aggregateImpls, { journaled: sandboxed }),
    extensions,
    parseSlots: [...slots].sort((a, b) => a - b),
    timeSlot: timeSlot !== undefined && timeSlot >= 0 ? timeSlot : undefined,
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Options of built-in analyses, and that user modules load and export a usable class. */
async function checkAnalysisModules(
  config: PipelineConfig,
  plan: PipelinePlan,
  ext: LoadedExtensions,
  sink: DiagnosticSink,
  inspector: ModuleInspector | undefined,
  analyses: Map<number, AnalysisLocator>,
  bundles: (ModuleBundle | undefined)[],
): Promise<void> {
  const columns = new Set(plan.aggregation.values.map((v) => v.name));
  const keys = new Set(plan.aggregation.keys.map((k) => k.name));
  const columnTypes = new Map(plan.aggregation.values.map((v) => [v.name, v.type]));
  for (const rule of config.analysis!.rules) {
    const p = `analysis.rule[${rule.index}]`;
    const optPath =
      isObj(config.raw.analysis) &&
      Array.isArray((config.raw.analysis as Record<string, unknown>).rule) &&
      isObj(((config.raw.analysis as Record<string, unknown>).rule as unknown[])[rule.index]) &&
      ((config.raw.analysis as Record<string, unknown>).rule as Record<string, unknown>[])[rule.index]!.option !== undefined
        ? `${p}.option`
        : `${p}.options`;
    if (rule.builtin) {
      analysisDescriptor(rule.module)!.check(rule.options, { sink, optionsPath: optPath, columns, keys, columnTypes });
      continue;
    }
    const fromExtension = ext.analyses.get(rule.module);
    if (fromExtension) {
      if (!inspector)
        sink.report(`${p}.module`, 'ImportError', `analysis ${rule.module}: ${UNTRUSTED} (its module was parsed, not run)`, { severity: 'warning' });
      analyses.set(rule.index, fromExtension);
      continue;
    }
    if (!inspector && ext.incomplete && !path.isAbsolute(rule.module)) {
      // an extension module builds its analyses with code the parse cannot follow
      sink.warn(`${p}.module`, `analysis ${rule.module}: not found by parsing the extension modules; ${UNTRUSTED}`);
      continue;
    }
    if (!path.isAbsolute(rule.module)) {
      sink.report(
        `${p}.module`,
        'ImportError',
        `Missing required analysis module [${rule.module}]: not a built-in (SimpleAnalysis, AverageAnalysis), not exported by an extension module, and not a path`,
      );
      continue;
    }
    if (!inspector) {
      sink.report(`${p}.module`, 'ImportError', `analysis module ${rule.module}: ${UNTRUSTED} (it was not loaded)`, { severity: 'warning' });
      continue;
    }
    const r = await inspector.shapeOf(rule.module);
    if ('error' in r) {
      sink.report(`${p}.module`, 'ImportError', `Missing required analysis module [${rule.module}]: ${r.error}`);
      continue;
    }
    const picked = pickAnalysisClass(r.shape, rule.module, rule.exportName);
    if (!picked) {
      sink.report(
        `${p}.module`,
        'ImportError',
        `Missing required analysis module [${rule.module}]: it exports no class with an analysis(history, alerts) method (export class ${expectedExportName(rule.module, rule.exportName)} or a default export)`,
      );
      continue;
    }
    let module = bundles.findIndex((b) => b?.file === rule.module);
    if (module < 0) module = bundles.push(r.bundle) - 1;
    analyses.set(rule.index, { module, ...picked });
  }
}
