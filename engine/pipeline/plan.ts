/**
 * The compile step: from a validated config to everything a run needs —
 * generated transformation and aggregation code, the aggregation plan, the
 * loaded extensions — reporting every problem at its place in the config.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { readBoundedText } from '../files.js';
import { compileTransformations, type CompiledTransform, type ConfigLookup } from '../expr/compile.js';
import { planAggregation, type AggregationPlan } from '../aggregate/rules.js';
import { compileGroupOps, type GroupOps } from '../aggregate/groups.js';
import { emptyExtensions, loadExtensions, importUserModule, type LoadedExtensions } from '../extensions/load.js';
import { validateConfig, type ConfigIO, type ValidationResult } from '../config/validate.js';
import type { PipelineConfig } from '../config/model.js';
import type { InputField } from '../types.js';
import type { ParsedJson } from '../config/json.js';
import type { DiagnosticSink } from '../config/diagnostics.js';
import { expectedExportName, pickAnalysisClass } from '../analysis/modules.js';

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
export async function checkConfig(configPath: string, configText?: string, io: ConfigIO = nodeIO): Promise<CheckOutcome> {
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
      const extensions = part.extensions.length > 0 ? await loadExtensions(part.extensions) : emptyExtensions();
      if (extensions.errors.length === 0) compileCore(part.fields, part.processing, validation.configDoc, part.raw, sink, extensions);
    }
    return { diagnostics: [...sink.diagnostics, ...(validation.structureSink?.diagnostics ?? [])], validation };
  }

  const extensions = config.extensions.length > 0 ? await loadExtensions(config.extensions) : emptyExtensions();
  for (const e of extensions.errors) sink.report(`extensions[${e.moduleIndex}]`, 'ImportError', e.message);

  const plan = compilePlan(config, validation.configDoc, sink, extensions);
  if (plan && config.analysis) await checkAnalysisModules(config, plan, extensions, sink);
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
): { transform: CompiledTransform; aggregation: AggregationPlan } | undefined {
  const { transform, errors } = compileTransformations(processing.transformation, fields, {
    functions: extensions.functions,
    configLookup: configLookupFor(doc, raw),
    extensionImpls: extensions.transformImpls,
  });
  for (const { index, error } of errors) {
    sink.report(`processing.transformation[${index}]`, error.errorClass, error.message, {
      span: error.from !== undefined ? { from: error.from, to: error.to ?? error.from + 1 } : undefined,
    });
  }
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
    sink.report(ruleIndex >= 0 ? `processing.aggregations.rule[${ruleIndex}]` : 'processing.aggregations.rule', error.errorClass, error.message);
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
async function checkAnalysisModules(config: PipelineConfig, plan: PipelinePlan, ext: LoadedExtensions, sink: DiagnosticSink): Promise<void> {
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
    if (ext.analyses.has(rule.module)) continue;
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
