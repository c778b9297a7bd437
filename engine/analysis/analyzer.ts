/**
 * Runs the configured analyses after every window's outputs are confirmed
 * (docs/semantics.md#analysis): per aggregate row, per rule in order. Built-ins run here; user
 * modules run in a sandbox process with time and memory limits (docs/sandbox.md). A failing module is reported
 * loudly and the pipeline goes on.
 */
import type { FieldType, Value } from '../core/types.js';
import type { AnalysisConfig, AnalysisRuleConfig } from '../config/model.js';
import type { AggregationPlan } from '../aggregate/rules.js';
import type { ClosedWindow } from '../core/window.js';
import type { AlertMessage, UserAnalysis } from '../extensions/types.js';
import type { Alert, AlertSink } from '../components/types.js';
import { analysisDescriptor } from '../components/registry.js';
import { RecordHistory } from './history.js';
import type { HistorySource } from '../components/types.js';
import { UserAnalysisHost } from './user-host.js';
import type { AnalysisModuleSpec } from '../sandbox/protocol.js';
import type { SandboxPlan } from '../sandbox/plan.js';
import { pyTuple } from '../values/python.js';

export interface AnalyzerStats {
  records: number;
  lookups: number;
  alerts: number;
  failures: number;
}

export class Analyzer {
  private readonly builtins = new Map<number, UserAnalysis>();
  private readonly host: UserAnalysisHost | undefined;
  private readonly keyFields: string[];
  private readonly keyTypes: FieldType[];
  private readonly valueNames: string[];
  private readonly valueTypes: Map<string, FieldType>;
  readonly stats: AnalyzerStats = { records: 0, lookups: 0, alerts: 0, failures: 0 };

  constructor(
    agg: AggregationPlan,
    /** the user modules of the plan, loaded in a sandbox (docs/sandbox.md) */
    userCode: SandboxPlan | undefined,
    private readonly cfg: AnalysisConfig,
    private readonly history: HistorySource,
    private readonly sinks: AlertSink[],
    private readonly hooks: { warn(msg: string): void; onAlert?(a: Alert, rule: AnalysisRuleConfig): void },
  ) {
    this.keyFields = agg.keys.map((k) => k.name);
    this.keyTypes = agg.keys.map((k) => k.type);
    this.valueNames = agg.values.map((v) => v.name);
    this.valueTypes = new Map(agg.values.map((v) => [v.name, v.type]));
    const userSpecs: AnalysisModuleSpec[] = [];
    for (const rule of cfg.rules) {
      if (rule.builtin) this.builtins.set(rule.index, analysisDescriptor(rule.module)!.create(rule.options, rule.name));
      else {
        const at = userCode?.analyses.get(rule.index);
        if (!at) throw new Error(`analysis ${rule.name} (${rule.module}) was not loaded`);
        userSpecs.push({ ruleIndex: rule.index, module: at.module, from: at.from, exportName: at.exportName, name: rule.name, options: rule.options });
      }
    }
    const code = userCode;
    if (userSpecs.length > 0 && code) {
      // the check's sandbox, unless the rows took it already
      const adopted = code.sandbox;
      code.sandbox = undefined;
      this.host = new UserAnalysisHost(code.bundles, code.files, userSpecs, { ...code.limits, timeoutMs: code.analysisTimeoutMs }, adopted);
    }
  }

  async open(): Promise<void> {
    await this.history.open();
    for (const s of this.sinks) await s.open();
    await this.host?.open();
  }

  private toAlert(m: AlertMessage, w: ClosedWindow): Alert {
    const p = m.param;
    return {
      module: m.module,
      timeMs: w.endMs,
      key: (p.key as Value[] | null) ?? null,
      keyFields: this.keyFields,
      keyTypes: this.keyTypes,
      field: p.field,
      value: p.value,
      valueType: this.valueTypes.get(p.field),
      lowerBound: Number(p.lower_bound),
      upperBound: Number(p.upper_bound),
    };
  }

  async analyze(w: ClosedWindow, batchMs: number): Promise<void> {
    const accuracyMs = Math.round(this.cfg.accuracySec * 1000);
    for (const g of w.groups) {
      this.stats.records++;
      const values: Record<string, Value> = {};
      for (let i = 0; i < this.valueNames.length; i++) values[this.valueNames[i]!] = g.acc[i]!;
      const record = new RecordHistory(values, g.key, this.keyFields, this.history, w.endMs, batchMs, accuracyMs);
      // the rule whose module is running (they run one after the other): alerts are its own
      let running = this.cfg.rules[0]!;
      const send = async (m: AlertMessage) => {
        const alert = this.toAlert(m, w);
        this.stats.alerts++;
        for (const s of this.sinks) await s.send(alert);
        this.hooks.onAlert?.(alert, running);
      };
      for (const rule of this.cfg.rules) {
        running = rule;
        try {
          const builtin = this.builtins.get(rule.index);
          if (builtin) await builtin.analysis(record, { send });
          else await this.host!.call(rule.index, record, send);
        } catch (e) {
          this.stats.failures++;
          const key = g.key ? ` key=${pyTuple(g.key, this.keyTypes)}` : '';
          this.hooks.warn(
            `analysis ${rule.name} (${rule.module}) failed for window ending ${new Date(w.endMs).toISOString()}${key}: ${(e as Error).message.split('\n')[0]}; its alerts for this row are lost`,
          );
        }
      }
      this.stats.lookups += record.lookups;
    }
  }

  async close(): Promise<void> {
    await this.host?.close();
    for (const s of this.sinks) await s.close();
    await this.history.close();
  }
}
