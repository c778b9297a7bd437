/**
 * The compile step: from a validated config to everything a run needs —
 * generated transformation and aggregation code, the aggregation plan, the
 * loaded extensions — reporting every problem at its place in the config.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic, EngineError } from '../errors.js';
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
import type { InputField } from '../types.js';
import type { ParsedJson } from '../config/json.js';
import type { DiagnosticSink } from '../config/diagnostics.js';
import { expectedExportName, pickAnalysisClass } from '../analysis/modules.js';
import { ModuleInspector } from '../sandbox/inspect.js';
import type { ModuleBundle, SandboxLimits, SandboxProcessorSpec } from '../sandbox/protocol.js';
import type { SandboxProcess } from '../sandbox/client.js';

/** Everything a run needs to host the plan's user code in a sandbox (docs/sandbox.md). */
export interface SandboxPlan {
  limits: SandboxLimits;
  /** analysis.timeout_ms, else sandbox.timeout_ms */
  analysisTimeoutMs: number;
  /** every user module the run loads, extension modules first (in config order) */
  bundles: ModuleBundle[];
  /** project files granted to user code (sandbox.files): name → text */
  files: Record<string, string>;
  /** set when transformations or aggregations call user functions: the Processor then runs in the sandbox */
  rows?: Omit<SandboxProcessorSpec, 'options'>;
  /** user analysis rules by rule index */
  analyses: Map<number, AnalysisLocator>;
  /**
   * A sandbox process that has loaded `bundles` already (the check's, kept with
   * `keepSandbox`): the first component of the run that needs one takes it.
   */
  sandbox?: SandboxProcess;
}

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
  /** the plan needs user code that was not loaded (a folder the user has not trusted): it can be checked, not run */
  untrusted?: boolean;
}

export interface CheckOptions {
  /**
   * false for a folder the user has not trusted: user modules are only parsed,
   * never loaded, and what only running them could check is reported as a
   * warning ("not checked: the folder is not trusted").
   */
  loadUserModules?: boolean;
  /** keep the sandbox the check loaded the modules in, for the run that follows (plan.userCode.sandbox) */
  keepSandbox?: boolean;
}

export const nodeIO: ConfigIO = {
  readFile(abs) {
    try {
      return fs.readFileSync(abs, 'utf8');
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
 * (docs/sandbox.md); with `loadUserModules: false` they are only parsed.
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
  const trusted = options.loadUserModules !== false;
  const sandbox = config?.sandbox ?? validation.partial?.sandbox;
  const configDir = path.dirname(path.resolve(configPath));
  const files = sandbox ? readGrantedFiles(sandbox, configDir, io, sink) : {};
  const limits = sandbox ? limitsOf(sandbox) : undefined;
  const source = config?.input.source;
  const csvFile = source?.type === 'csv' && source.path !== '-' ? source.path : undefined;
  const inspector = trusted && limits ? new ModuleInspector(limits, files, options.keepSandbox ? csvFile : undefined) : undefined;
  const diagnostics = () => [...sink.diagnostics, ...(validation.structureSink?.diagnostics ?? [])];
  try {
    if (!config) {
      // report transformation and rule errors in the same pass as the config-level ones
      const part = validation.partial;
      let extensions: LoadedExtensions | undefined;
      if (part?.fields && part.processing && part.extensions && (inspector || !trusted)) {
        const { fields, processing } = part;
        const ext = part.extensions.length > 0 ? await loadExtensions(part.extensions, inspector) : emptyExtensions();
        extensions = ext;
        if (ext.errors.length === 0)
          await compileAsking(() => compileCore(fields, processing, validation.configDoc, part.raw, sink, ext), inspector, part.extensions);
      }
      return { diagnostics: diagnostics(), validation, extensions };
    }

    const extensions = config.extensions.length > 0 ? await loadExtensions(config.extensions, inspector) : emptyExtensions();
    for (const e of extensions.errors) sink.report(`extensions[${e.moduleIndex}]`, 'ImportError', e.message);

    const plan = await compileAsking(() => compilePlan(config, validation.configDoc, sink, extensions), inspector, config.extensions);
    const analyses = new Map<number, AnalysisLocator>();
    const bundles = extensions.bundles.slice();
    if (plan && config.analysis) await checkAnalysisModules(config, plan, extensions, sink, inspector, analyses, bundles);
    const all = diagnostics();
    const ok = !all.some((d) => d.severity === 'error');
    if (plan && ok) {
      const rows = plan.extensions.usedTransforms.size > 0 || plan.aggregation.values.some((v) => v.fn.user);
      if (rows || analyses.size > 0 || (!trusted && config.analysis?.rules.some((r) => !r.builtin))) {
        if (!trusted) plan.untrusted = true;
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
      ? (name, span) =>
          new UncheckedError('OperationNotSupportedError', `Operation '${name}' is not a built-in; an extension module may define it (${UNTRUSTED})`, span)
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

  // D-19: duplicate output names make aggregation and output naming ambiguous
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
  const sandboxed = extensions.usedTransforms.size > 0 || aggregation.values.some((v) => v.fn.user);

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
      const o = rule.options;
      const dev = o.deviation;
      if (rule.module === 'Analysis') {
        const bad = Object.keys(dev as object).filter((c) => !columns.has(c));
        if (bad.length > 0)
          sink.report(
            'analysis.rule',
            'UnsupportedAnalysisFormat',
            `An error in the analysis rule. The field {${bad.map((b) => `'${b}'`).join(', ')}} is not contained in set of fields after aggregation operation`,
          );
        continue;
      }
      if (!isObj(dev) || Object.keys(dev).length === 0) {
        sink.report(`${optPath}.deviation`, 'ConfigError', `${rule.module} needs options.deviation: an object {"<aggregated column>": <percent>, …}`);
      } else {
        for (const [col, pct] of Object.entries(dev)) {
          if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0)
            sink.report(`${optPath}.deviation.${col}`, 'ConfigError', `deviation for '${col}' must be a non-negative percentage, got ${JSON.stringify(pct)}`);
          if (!columns.has(col)) {
            sink.report(
              `${optPath}.deviation.${col}`,
              'UnsupportedAnalysisFormat',
              `An error in the analysis rule. The field {'${col}'} is not contained in set of fields after aggregation operation${keys.has(col) ? ' (it is a key field)' : ''} (aggregated: ${[...columns].join(', ')})`,
            );
          }
        }
      }
      const countKey = rule.module === 'SimpleAnalysis' ? 'batch_number' : 'num_average';
      const n = o[countKey];
      if (!Number.isInteger(n) || (n as number) < 1) {
        sink.report(`${optPath}.${countKey}`, 'ConfigError', `${rule.module} needs options.${countKey}: an integer ≥ 1, got ${JSON.stringify(n)}`);
      }
      continue;
    }
    const fromExtension = ext.analyses.get(rule.module);
    if (fromExtension) {
      if (!inspector)
        sink.report(`${p}.module`, 'ImportError', `analysis ${rule.module}: ${UNTRUSTED} (its module was parsed, not run)`, { severity: 'warning' });
      analyses.set(rule.index, fromExtension);
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
