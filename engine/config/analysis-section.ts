/**
 * The `analysis` section (docs/semantics.md#analysis): accuracy, the history store (by default the
 * output marked "main"), the alert sinks and the rules. Stores and sinks check their own options
 * through their descriptors; the options of built-in analyses are checked after compiling, against
 * the aggregated columns (pipeline/plan.ts).
 */
import {
  ALERT_SINKS,
  ANALYSES,
  HISTORY_STORES,
  alertSinkDescriptor,
  analysisDescriptor,
  historyDescriptor,
  namesOf,
  outputDescriptor,
  sourceDescriptor,
} from '../components/registry.js';
import { selectStore } from '../core/store.js';
import type { DiagnosticSink } from '../options/diagnostics.js';
import { MAX_TIMER_MS, type Obj, type ParseEnv, filePath, isObj, num, seconds, str } from '../options/spec.js';
import { parseLifecycle } from '../components/analyses/lifecycle-options.js';
import type { AlertSinkConfig, AnalysisConfig, AnalysisRuleConfig, ConfigIO, HistoryConfig, InputConfig, OutputConfig } from './model.js';
import { pythonTwin } from './twins.js';

/** The section's own settings (the config's JSON Schema shows the same specs). */
export const ANALYSIS_SETTINGS = {
  accuracy: seconds().required().describe('Seconds of tolerance around each history target time.'),
  // a timer longer than 2^31 − 1 ms fires at once in Node
  timeout_ms: num({ min: 1, max: MAX_TIMER_MS }).describe('Time limit per user-analysis call (default: sandbox.timeout_ms, 1000).'),
  time_delta: seconds({ exclusiveMin: true })
    .required()
    .describe('Legacy form: compare with the point this many seconds before (with rule as {column: percent}).'),
  state_path: filePath().describe(
    'SQLite file keeping the alert lifecycle state of a live run, so a restart goes on with the same alerts (default: the store, the main sqlite output).',
  ),
};

export class AnalysisSection {
  constructor(
    private readonly sink: DiagnosticSink,
    private readonly env: ParseEnv,
    private readonly io: ConfigIO,
  ) {}

  private err(p: string, msg: string, cls: 'ConfigError' | 'ImportError' = 'ConfigError') {
    this.sink.report(p, cls, msg);
  }

  /** accept both spellings of a key, error when both are given (docs/semantics.md#two-spellings) */
  private either(o: Obj, a: string, b: string, p: string): unknown {
    if (o[a] !== undefined && o[b] !== undefined) {
      this.err(`${p}.${b}`, `${p} has both '${a}' and '${b}'; use one (they are two spellings of the same key)`);
    }
    return o[a] ?? o[b];
  }

  /** `defaultTimeoutMs`: sandbox.timeout_ms, the limit of an analysis call unless analysis.timeout_ms sets its own */
  parse(root: Obj, outputs: OutputConfig[], input: InputConfig | undefined, defaultTimeoutMs = 1000): AnalysisConfig | undefined {
    const an = root.analysis;
    const p = 'analysis';
    if (!isObj(an)) {
      this.err(p, `analysis must be an object`);
      return undefined;
    }
    const accuracy = ANALYSIS_SETTINGS.accuracy.parseAt(an.accuracy, { path: `${p}.accuracy`, parent: p, key: 'accuracy' }, this.env);
    const timeoutMs =
      ANALYSIS_SETTINGS.timeout_ms.parseAt(an.timeout_ms, { path: `${p}.timeout_ms`, parent: p, key: 'timeout_ms' }, this.env) ?? defaultTimeoutMs;
    if (accuracy !== undefined && input && input.batchDurationSec > 0 && accuracy >= input.batchDurationSec) {
      this.sink.warn(
        `${p}.accuracy`,
        `Current accuracy ${accuracy} is more or equal batch duration ${input.batchDurationSec}. History lookups take the point closest to the target time.`,
      );
    }
    if (input && input.batchDurationSec === 0 && !input.rate) {
      this.sink.warn(p, 'analysis over a single whole-file window has no history to compare with (set batchDuration and time_field)');
    }
    const statePath = ANALYSIS_SETTINGS.state_path.parseAt(an.state_path, { path: `${p}.state_path`, parent: p, key: 'state_path' }, this.env);
    const history = this.history(an, outputs);
    const alerts = this.alerts(an, outputs);
    const rules = this.rules(an);
    if (!history || !alerts || !rules || accuracy === undefined) return undefined;
    if (rules.some((r) => r.lifecycle) && input?.source && sourceDescriptor(input.source.type)?.live && !statePath && !selectStore(outputs, storeOf)) {
      this.sink.warn(
        p,
        'the alert lifecycle state of a live run is kept in the store (a sqlite output) or in analysis.state_path; with neither, a restarted run starts every alert from normal (docs/alerts.md#restart)',
      );
    }
    return { history, alerts, accuracySec: accuracy, rules, timeoutMs, ...(statePath !== undefined ? { statePath } : {}) };
  }

  private history(an: Obj, outputs: OutputConfig[]): HistoryConfig | undefined {
    const p = 'analysis.historical';
    const h = an.historical;
    const names = namesOf(HISTORY_STORES);
    if (h === undefined) {
      // the output marked "main" is the default history source (docs/semantics.md#main-output)
      for (const o of outputs) {
        if (!o.main) continue;
        const d = outputDescriptorOf(o);
        const history = d?.asHistory?.(o);
        if (history) return history as HistoryConfig;
      }
      this.err(p, `analysis needs history: add analysis.historical or mark a ${HISTORY_STORES.map((s) => s.name).join('/')} output with "main": true`);
      return undefined;
    }
    if (!isObj(h)) {
      this.err(p, `${p} must be an object`);
      return undefined;
    }
    const method = h.method;
    const d = typeof method === 'string' ? historyDescriptor(method) : undefined;
    if (!d) {
      // an unknown method is a start-up error, not a later crash (docs/semantics.md#unknown-methods)
      this.err(
        `${p}.method`,
        method === undefined ? `missing required key 'method' in ${p} (${names})` : `unknown history method ${JSON.stringify(method)} (use ${names})`,
      );
      return undefined;
    }
    const key = d.optionsKey;
    const parsed = d.options.parseAt(this.either(h, key, 'options', p), { path: `${p}.${key}`, parent: p, key }, this.env);
    return parsed === undefined ? undefined : ({ method: d.name, ...parsed } as HistoryConfig);
  }

  private alerts(an: Obj, outputs: OutputConfig[]): AlertSinkConfig[] | undefined {
    const a = an.alert;
    if (a === undefined) {
      this.err('analysis.alert', `missing required key 'alert' in analysis ({"method": ${ALERT_SINKS.map((s) => `"${s.name}"`).join(' | ')}})`);
      return undefined;
    }
    const list = Array.isArray(a) ? a : [a];
    const out: AlertSinkConfig[] = [];
    let ok = true;
    list.forEach((x, i) => {
      const p = Array.isArray(a) ? `analysis.alert[${i}]` : 'analysis.alert';
      const s = this.alertSink(x, p, outputs);
      if (s) out.push(s);
      else ok = false;
    });
    return ok ? out : undefined;
  }

  private alertSink(a: unknown, p: string, outputs: OutputConfig[]): AlertSinkConfig | undefined {
    if (!isObj(a)) {
      this.err(p, `${p} must be an object`);
      return undefined;
    }
    const raw = this.either(a, 'option', 'options', p);
    const o = raw === undefined ? {} : raw;
    if (!isObj(o)) {
      this.err(`${p}.option`, `${p}.option must be an object`);
      return undefined;
    }
    const optPath = a.option !== undefined ? `${p}.option` : `${p}.options`;
    const d = typeof a.method === 'string' ? alertSinkDescriptor(a.method) : undefined;
    if (!d) {
      this.err(
        `${p}.method`,
        a.method === undefined ? `missing required key 'method' in ${p}` : `unknown alert method ${JSON.stringify(a.method)} (use ${namesOf(ALERT_SINKS)})`,
      );
      return undefined;
    }
    // settings sit beside "method" (stdout: format, timezone); the rest inside option/options
    const parsed = d.settings
      ? d.options.parseAt(a, { path: p, parent: '', key: p }, this.env)
      : d.options.parseAt(o, { path: optPath, parent: p, key: optPath.slice(p.length + 1) }, this.env);
    if (parsed === undefined) return undefined;
    const done = d.complete ? d.complete(parsed, { store: selectStore(outputs, storeOf), sink: this.sink, optionsPath: optPath }) : parsed;
    return done === undefined ? undefined : ({ method: d.name, ...done } as AlertSinkConfig);
  }

  private rules(an: Obj): AnalysisRuleConfig[] | undefined {
    const p = 'analysis.rule';
    const r = an.rule;
    if (isObj(r) && an.time_delta !== undefined) return this.legacyRule(an, r);
    if (!Array.isArray(r)) {
      this.err(
        p,
        r === undefined ? `missing required key 'rule' in analysis (an array of {module, name, options})` : `${p} must be an array of {module, name, options}`,
      );
      return undefined;
    }
    const out: AnalysisRuleConfig[] = [];
    let ok = true;
    r.forEach((e, index) => {
      const ep = `${p}[${index}]`;
      if (!isObj(e)) {
        this.err(ep, `${ep} must be an object {module, name, options}`);
        ok = false;
        return;
      }
      const module = str()
        .required()
        .errorClass('ImportError')
        .parseAt(e.module, { path: `${ep}.module`, parent: ep, key: 'module' }, this.env);
      const name = str().parseAt(e.name, { path: `${ep}.name`, parent: ep, key: 'name' }, this.env) ?? module ?? `rule${index}`;
      const opts = this.either(e, 'options', 'option', ep) ?? {};
      if (!isObj(opts)) {
        this.err(`${ep}.options`, `${ep}.options must be an object`);
        ok = false;
        return;
      }
      if (!module) {
        ok = false;
        return;
      }
      const builtin = ANALYSES.some((d) => d.name === module);
      const looksLikePath = /[\\/]|\.(m?js|cjs|ts|mts)$/.test(module);
      let resolved = module;
      let exportName: string | undefined;
      if (!builtin && looksLikePath) {
        const [file, exp] = module.split('#');
        resolved = this.env.resolve(file!);
        exportName = exp;
        if (!this.io.exists(resolved)) {
          this.err(`${ep}.module`, `Missing required analysis module [${module}]: file ${resolved} does not exist`, 'ImportError');
          ok = false;
          return;
        }
      }
      const python = typeof e.python === 'string' ? pythonTwin(e.python, `${ep}.python`, this.env, this.io) : undefined;
      if (e.python !== undefined && typeof e.python !== 'string') this.err(`${ep}.python`, `${ep}.python must be the path of a Python file`);
      const lifecycle = parseLifecycle(e, ep, this.env);
      out.push({
        module: resolved,
        builtin,
        exportName,
        name,
        options: opts,
        index,
        ...(python !== undefined ? { python } : {}),
        ...(lifecycle !== undefined ? { lifecycle } : {}),
      });
    });
    // a rule's name is part of its alert ids (docs/alerts.md#alert-id): two lifecycles cannot share one
    out.forEach((rule, i) => {
      const first = out.findIndex((o) => o.name === rule.name);
      if (first < i && (rule.lifecycle || out[first]!.lifecycle)) {
        this.err(
          `${p}[${rule.index}].name`,
          `${p}[${rule.index}].name ${JSON.stringify(rule.name)} is already used by ${p}[${out[first]!.index}]; rules with an alert lifecycle need names of their own (they identify the alerts)`,
        );
        ok = false;
      }
    });
    return ok ? out : undefined;
  }

  /** The legacy form `time_delta` + `rule: {column: percent}` (docs/semantics.md#legacy-time-delta: module name "Analysis"). */
  private legacyRule(an: Obj, r: Obj): AnalysisRuleConfig[] | undefined {
    const delta = ANALYSIS_SETTINGS.time_delta.parseAt(an.time_delta, { path: 'analysis.time_delta', parent: 'analysis', key: 'time_delta' }, this.env);
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number') this.err(`analysis.rule.${k}`, `analysis.rule.${k} must be a percentage number`);
    }
    if (delta === undefined) return undefined;
    const legacy = analysisDescriptor('Analysis')!;
    return [{ module: legacy.name, builtin: true, name: legacy.name, options: { deviation: r, time_delta: delta }, index: 0 }];
  }
}

function outputDescriptorOf(o: OutputConfig) {
  return outputDescriptor(o.method);
}

/** the embedded store an output is, if it is one */
function storeOf(o: OutputConfig) {
  return outputDescriptorOf(o)?.store?.(o as never);
}
