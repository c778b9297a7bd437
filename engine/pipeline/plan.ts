/**
 * The compile step: from a validated config to everything a run needs —
 * generated transformation and aggregation code, the aggregation plan, the
 * loaded extensions — reporting every problem at its place in the config.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../core/errors.js';
import { readBoundedText } from '../core/files.js';
import { compileTransformations, type CompiledTransform, type ConfigLookup } from '../expr/compile.js';
import { planAggregation, type AggregationPlan } from '../aggregate/rules.js';
import { compileGroupOps, type GroupOps } from '../aggregate/groups.js';
import { emptyExtensions, loadExtensions, importUserModule, type LoadedExtensions } from '../extensions/load.js';
import { validateConfig, type ConfigIO, type ValidationResult } from '../config/validate.js';
import type { PipelineConfig } from '../config/model.js';
import type { InputField } from '../core/types.js';
import type { ParsedJson } from '../options/json.js';
import type { DiagnosticSink } from '../options/diagnostics.js';
import { expectedExportName, pickAnalysisClass } from '../analysis/modules.js';
import { analysisDescriptor } from '../components/registry.js';

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

/**
 * 'skip' imports no user module (the workbench's restricted mode for a folder the user has not
 * trusted): extension and analysis modules are reported as not loaded, and calls of functions
 * they might define as not checked (warnings), so nothing from the project runs during a check.
 */
export interface CheckOptions {
  userModules?: 'load' | 'skip';
}

const NOT_CHECKED = 'not checked in restricted mode: user modules are not loaded until the folder is trusted';

export interface CheckOutcome {
  plan?: PipelinePlan;
  diagnostics: Diagnostic[];
  validation: ValidationResult;
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

/** Validate and compile a config: the `check` command, and the first step of every run. */
export async function checkConfig(configPath: string, configText?: string, io: ConfigIO = nodeIO, opts: CheckOptions = {}): Promise<CheckOutcome> {
  const skip = opts.userModules === 'skip';
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
  if (!config) {
    // report transformation and rule errors in the same pass as the config-level ones
    const part = validation.partial;
    if (part?.fields && part.processing && part.extensions) {
      const extensions = part.extensions.length > 0 && !skip ? await loadExtensions(part.extensions) : emptyExtensions();
      const unchecked = skip && part.extensions.length > 0;
      if (skip) part.extensions.forEach((m, i) => sink.warn(`extensions[${i}]`, `extension module ${m}: ${NOT_CHECKED}`));
      if (extensions.errors.length === 0) compileCore(part.fields, part.processing, validation.configDoc, part.raw, sink, extensions, unchecked);
    }
    return { diagnostics: [...sink.diagnostics, ...(validation.structureSink?.diagnostics ?? [])], validation };
  }

  const unchecked = skip && config.extensions.length > 0;
  const extensions = config.extensions.length > 0 && !skip ? await loadExtensions(config.extensions) : emptyExtensions();
  for (const e of extensions.errors) sink.report(`extensions[${e.moduleIndex}]`, 'ImportError', e.message);
  if (skip) config.extensions.forEach((m, i) => sink.warn(`extensions[${i}]`, `extension module ${m}: ${NOT_CHECKED}`));

  const plan = compilePlan(config, validation.configDoc, sink, extensions, unchecked);
  if (plan && config.analysis) await checkAnalysisModules(config, plan, extensions, sink, skip);
  const diagnostics = [...sink.diagnostics, ...(validation.structureSink?.diagnostics ?? [])];
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return { plan: ok ? plan : undefined, diagnostics, validation };
}

/** Transformations, then (if they compile) the aggregation plan; every problem goes to `sink`. */
function compileCore(
  fields: InputField[],
  processing: { transformation: string[]; operation: 'reduce' | 'reduceByKey'; rules: string[] },
  doc: ParsedJson | undefined,
  raw: Record<string, unknown>,
  sink: DiagnosticSink,
  extensions: LoadedExtensions,
  /** extension modules were skipped: an unknown function may be one of theirs */
  unchecked = false,
): { transform: CompiledTransform; aggregation: AggregationPlan } | undefined {
  const { transform, errors } = compileTransformations(processing.transformation, fields, {
    functions: extensions.functions,
    configLookup: configLookupFor(doc, raw),
    extensionImpls: extensions.transformImpls,
  });
  for (const { index, error } of errors) {
    const maybeExtension = unchecked && error.errorClass === 'OperationNotSupportedError';
    const message = maybeExtension ? `${error.message.replace(/ is not supported\.$/, ' is not a built-in')}; ${NOT_CHECKED}` : error.message;
    sink.report(`processing.transformation[${index}]`, error.errorClass, message, {
      span: error.from !== undefined ? { from: error.from, to: error.to ?? error.from + 1 } : undefined,
      severity: maybeExtension ? 'warning' : 'error',
    });
  }
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
    const maybeExtension = unchecked && error.message.startsWith('Unsupported function(s)');
    sink.report(
      ruleIndex >= 0 ? `processing.aggregations.rule[${ruleIndex}]` : 'processing.aggregations.rule',
      error.errorClass,
      maybeExtension ? `${error.message}; ${NOT_CHECKED}` : error.message,
      { severity: maybeExtension ? 'warning' : 'error' },
    );
  }
  if (!aggregation) return undefined;
  return { transform, aggregation };
}

export function compilePlan(
  config: PipelineConfig,
  doc: ParsedJson | undefined,
  sink: DiagnosticSink,
  extensions: LoadedExtensions,
  unchecked = false,
): PipelinePlan | undefined {
  const fields = config.input.fields;
  const core = compileCore(
    fields,
    { transformation: config.transformation, operation: config.operation, rules: config.rules },
    doc,
    config.raw,
    sink,
    extensions,
    unchecked,
  );
  if (!core) return undefined;
  const { transform, aggregation } = core;

  const timeSlot = config.input.timeField !== undefined ? fields.findIndex((f) => f.name === config.input.timeField) : undefined;
  const slots = new Set(transform.usedSlots);
  if (timeSlot !== undefined && timeSlot >= 0) slots.add(timeSlot);
  return {
    config,
    transform,
    aggregation,
    groups: compileGroupOps(aggregation, extensions.aggregateImpls),
    extensions,
    parseSlots: [...slots].sort((a, b) => a - b),
    timeSlot: timeSlot !== undefined && timeSlot >= 0 ? timeSlot : undefined,
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Options of built-in analyses, and that user modules load and export a usable class. */
async function checkAnalysisModules(config: PipelineConfig, plan: PipelinePlan, ext: LoadedExtensions, sink: DiagnosticSink, skip: boolean): Promise<void> {
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
    if (ext.analyses.has(rule.module)) continue;
    if (skip && (path.isAbsolute(rule.module) || config.extensions.length > 0)) {
      sink.warn(`${p}.module`, `analysis module ${rule.module}: ${NOT_CHECKED}`);
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
    try {
      const mod = await importUserModule(rule.module);
      if (!pickAnalysisClass(mod, rule.module, rule.exportName)) {
        sink.report(
          `${p}.module`,
          'ImportError',
          `Missing required analysis module [${rule.module}]: it exports no class with an analysis(history, alerts) method (export class ${expectedExportName(rule.module, rule.exportName)} or a default export)`,
        );
      }
    } catch (e) {
      sink.report(`${p}.module`, 'ImportError', `Missing required analysis module [${rule.module}]: ${(e as Error).message}`);
    }
  }
}
