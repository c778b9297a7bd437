/**
 * Runs the configured analyses after every window's outputs are confirmed
 * (docs/semantics.md#analysis): per aggregate row, per rule in order. Built-ins run here; user
 * modules run in a sandbox process with time and memory limits (docs/sandbox.md). What the rules
 * report goes through the alert lifecycle (lifecycle.ts, docs/alerts.md), and the window's alert
 * events are then delivered to every sink (delivery.ts) before the window counts as done. A failing
 * module is reported loudly and the pipeline goes on; a failing sink is the sink's failure, retried,
 * never the module's.
 */
import type { FieldType, Value } from '../core/types.js';
import type { AnalysisConfig, AnalysisRuleConfig } from '../config/model.js';
import type { AggregationPlan } from '../aggregate/rules.js';
import type { ClosedWindow } from '../core/window.js';
import type { AlertMessage, UserAnalysis } from '../extensions/types.js';
import type { ImmediateAlertSender } from '../components/analyses/deviation.js';
import type { Alert, AlertState } from '../components/types.js';
import { analysisDescriptor } from '../components/registry.js';
import { RecordHistory, WindowRecords } from './history.js';
import { ImmediateRules } from './immediate.js';
import type { HistorySource } from '../components/types.js';
import { UserAnalysisHost, type WindowOutcomes } from './user-host.js';
import type { AnalysisModuleSpec } from '../sandbox/protocol.js';
import type { SandboxPlan } from '../sandbox/plan.js';
import { pyTuple } from '../values/python.js';
import { AlertLifecycle, type Evaluation, type LifecycleSnapshot } from './lifecycle.js';
import type { AlertDelivery } from './delivery.js';

export interface AnalyzerStats {
  records: number;
  lookups: number;
  /** alert events raised (delivered or not: the sinks count what they delivered) */
  alerts: number;
  /** alert events by state */
  byState: Record<AlertState, number>;
  /** module failures: a record a rule could not evaluate */
  failures: number;
}

/** An evaluation a module reported: `send` is a deviation, `observe` is not (docs/alerts.md#observe). */
export type ReportedMessage = AlertMessage & { observed?: boolean };

export class Analyzer {
  private readonly builtins = new Map<number, UserAnalysis>();
  /** by the rule's position: its built-in (undefined for a user module), and whether it reads evaluations within bounds */
  private readonly builtinByPosition: (UserAnalysis | undefined)[];
  private readonly keepsObservations: boolean[];
  /** by the rule's position: its place among the user modules (−1 for a built-in) */
  private readonly userOrdinal: number[];
  /** the user modules' calls of a row: a window's outcomes are row × this + ordinal */
  private readonly userRuleCount: number;
  /** ± how far a history point may lie from its target */
  private readonly accuracyMs: number;
  private readonly host: UserAnalysisHost | undefined;
  private readonly keyFields: string[];
  private readonly keyTypes: FieldType[];
  private readonly valueNames: string[];
  /** a record's values by name, and its key (history[0]) */
  private readonly valuesOf: (acc: readonly Value[], key: Value[] | null) => Record<string, Value>;
  /** the rules run without a history accessor, when they all can (immediate.ts) */
  private readonly immediate: ImmediateRules | undefined;
  readonly lifecycle: AlertLifecycle;
  readonly stats: AnalyzerStats = { records: 0, lookups: 0, alerts: 0, byState: { firing: 0, resolved: 0, nodata: 0 }, failures: 0 };

  constructor(
    agg: AggregationPlan,
    /** the user modules of the plan, loaded in a sandbox (docs/sandbox.md) */
    userCode: SandboxPlan | undefined,
    private readonly cfg: AnalysisConfig,
    private readonly history: HistorySource,
    readonly delivery: AlertDelivery,
    batchMs: number,
    /** `onAlert` gets each alert event once it is delivered, with the rule that raised it */
    private readonly hooks: { warn(msg: string): void; onAlert?(a: Alert, rule: AnalysisRuleConfig): void },
  ) {
    this.keyFields = agg.keys.map((k) => k.name);
    this.keyTypes = agg.keys.map((k) => k.type);
    this.valueNames = agg.values.map((v) => v.name);
    this.valuesOf = valuesMaker(this.valueNames);
    const valueTypes = new Map(agg.values.map((v) => [v.name, v.type]));
    this.lifecycle = new AlertLifecycle(
      cfg.rules.map((r) => ({ name: r.name, lifecycle: r.lifecycle })),
      { keyFields: this.keyFields, keyTypes: this.keyTypes, valueTypes },
      batchMs,
    );
    const userSpecs: AnalysisModuleSpec[] = [];
    for (const rule of cfg.rules) {
      if (rule.builtin) this.builtins.set(rule.index, analysisDescriptor(rule.module)!.create(rule.options, rule.name));
      else {
        const at = userCode?.analyses.get(rule.index);
        if (!at) throw new Error(`analysis ${rule.name} (${rule.module}) was not loaded`);
        userSpecs.push({
          ruleIndex: rule.index,
          observations: this.lifecycle.keepsObservations(cfg.rules.indexOf(rule)),
          module: at.module,
          from: at.from,
          exportName: at.exportName,
          name: rule.name,
          options: rule.options,
        });
      }
    }
    this.builtinByPosition = cfg.rules.map((r) => this.builtins.get(r.index));
    let user = 0;
    this.userOrdinal = cfg.rules.map((r) => (r.builtin ? -1 : user++));
    this.userRuleCount = user;
    this.keepsObservations = cfg.rules.map((_r, ri) => this.lifecycle.keepsObservations(ri));
    this.accuracyMs = Math.round(cfg.accuracySec * 1000);
    this.immediate = ImmediateRules.of(this.builtinByPosition, history, this.valueNames, this.keyFields, batchMs, this.accuracyMs);
    const code = userCode;
    if (userSpecs.length > 0 && code) {
      // the check's sandbox, unless the rows took it already
      const adopted = code.sandbox;
      code.sandbox = undefined;
      this.host = new UserAnalysisHost(
        code.bundles,
        code.files,
        userSpecs,
        { valueNames: this.valueNames, keyFields: this.keyFields, batchMs, remember: history.answersAnalysedWindows === true },
        { ...code.limits, timeoutMs: code.analysisTimeoutMs },
        adopted,
      );
    }
  }

  async open(): Promise<void> {
    await this.history.open();
    await this.delivery.open();
    await this.host?.open();
  }

  /** true when user modules run in a sandbox, which can work on windows ahead of their analysis (lookahead) */
  get runsAhead(): boolean {
    return this.host !== undefined;
  }

  /** true when a window without records still matters (no-data alerts) */
  get watchesEmptyWindows(): boolean {
    return this.lifecycle.stateful;
  }

  /** Evaluates every record of the window, then delivers the window's alert events to every sink. */
  async analyze(w: ClosedWindow, batchMs: number): Promise<void> {
    // restored state already includes this window, and its alerts were delivered (docs/alerts.md#restart)
    if (w.endMs <= this.lifecycle.restoredThrough) return;
    const events: Alert[] = [];
    const evaluations: Evaluation[] = [];
    /** the rule that raised each event, by position */
    const raisedBy: AnalysisRuleConfig[] = [];
    const report = (m: ReportedMessage, deviating: boolean) => {
      const p = m.param;
      evaluations.push({
        field: p.field,
        module: m.module,
        value: p.value,
        lower: Number(p.lower_bound),
        upper: Number(p.upper_bound),
        deviating,
        key: (p.key as Value[] | null) ?? null,
      });
    };
    /** the rule being run has a lifecycle: it needs its evaluations within bounds too (a rule without drops them) */
    let observationsCount = false;
    const sender: ImmediateAlertSender = {
      send: async (m) => report(m, true),
      observe: async (m) => report(m, false),
      reportNow: (module, key, field, value, lower, upper, deviating) => {
        if (deviating || observationsCount) evaluations.push({ field, module, value, lower, upper, deviating, key });
      },
    };
    const immediate = this.immediate;
    immediate?.startWindow(w.endMs);
    const stateful = this.lifecycle.stateful;
    // by index: in this async function a for-of made an iterator result per aggregate row
    const groups = w.groups;
    let records: WindowRecords | undefined;
    let userCalls: WindowOutcomes | undefined;
    if (this.host && groups.length > 0) {
      // the user modules run on whole windows in the sandbox, handed on ahead or now; their outcomes join the built-ins' below
      userCalls = await this.host.outcomesOf(w);
      if (!userCalls) {
        this.host.ahead([{ w, records: this.recordsOf(w, batchMs) }]);
        userCalls = (await this.host.outcomesOf(w))!;
      }
      records = userCalls.records;
      this.stats.lookups += this.host.takeLocalLookups();
    }
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!;
      this.stats.records++;
      let record: RecordHistory | undefined;
      if (immediate) immediate.startRow(g.acc, g.key);
      // with user modules only, the sandbox's results need no accessor here (the engine's answers to it made their own)
      else if (!records) record = this.recordOf(g.acc, g.key, w.endMs, batchMs);
      else if (this.userRuleCount < this.cfg.rules.length) record = records.of(gi);
      const keyState = stateful ? this.lifecycle.seen(g.key, w.endMs) : undefined;
      for (let ri = 0; ri < this.cfg.rules.length; ri++) {
        const rule = this.cfg.rules[ri]!;
        // most rules report nothing for most records: no length to reset then (a call into the runtime)
        if (evaluations.length > 0) evaluations.length = 0;
        observationsCount = this.keepsObservations[ri]!;
        try {
          if (immediate) immediate.evaluate(ri, sender, observationsCount);
          else {
            const builtin = this.builtinByPosition[ri];
            if (builtin) {
              // a built-in whose history is in memory finishes at once, with no promise to wait for
              const pending = builtin.analysis(record!, sender);
              if (pending) await pending;
            } else {
              const outcome = userCalls!.outcomes[gi * this.userRuleCount + this.userOrdinal[ri]!];
              if (outcome?.error) throw outcome.error;
              if (outcome) for (const m of outcome.messages) report(m as ReportedMessage, m.observed !== true);
            }
          }
        } catch (e) {
          this.stats.failures++;
          const key = g.key ? ` key=${pyTuple(g.key, this.keyTypes)}` : '';
          // the record is not evaluated by this rule: its alert states stay as they were
          this.hooks.warn(
            `analysis ${rule.name} (${rule.module}) failed for window ending ${new Date(w.endMs).toISOString()}${key}: ${(e as Error).message.split('\n')[0]}; its alerts for this row are lost`,
          );
          continue;
        }
        // without state, only a deviation makes an event
        if (keyState !== undefined || evaluations.length > 0) this.lifecycle.evaluate(ri, keyState, w.endMs, evaluations, events);
        // the events are the rule's own, whatever module name it reports under
        while (raisedBy.length < events.length) raisedBy.push(rule);
      }
      this.stats.lookups += immediate ? immediate.lookups : record ? record.lookups : records!.lookupsOf(gi);
    }
    this.lifecycle.windowClosed(w.endMs, events);
    // no-data events name their rule (a rule with lifecycle reports under its own name)
    for (let i = raisedBy.length; i < events.length; i++) raisedBy.push(this.cfg.rules.find((r) => r.name === events[i]!.rule) ?? this.cfg.rules[0]!);
    if (events.length === 0) return;
    this.stats.alerts += events.length;
    for (const a of events) this.stats.byState[a.state]++;
    await this.delivery.deliver(events, w.endMs);
    for (let i = 0; i < events.length; i++) this.hooks.onAlert?.(events[i]!, raisedBy[i]!);
  }

  /**
   * Hands the windows the run is about to write and analyse, in that order, to the user modules' sandbox, which runs
   * their calls ahead of the analysis (docs/sandbox.md#analyses).
   */
  lookahead(windows: readonly ClosedWindow[], batchMs: number): void {
    const host = this.host;
    if (!host) return;
    const ahead = windows.filter((w) => w.endMs > this.lifecycle.restoredThrough && w.groups.length > 0);
    if (ahead.length > 0) host.ahead(ahead.map((w) => ({ w, records: this.recordsOf(w, batchMs) })));
  }

  private recordsOf(w: ClosedWindow, batchMs: number): WindowRecords {
    return new WindowRecords(w.groups, (acc, key) => this.recordOf(acc, key, w.endMs, batchMs));
  }

  /** the history accessor of an aggregate row of the window ending `windowEndMs` */
  private recordOf(acc: readonly Value[], key: Value[] | null, windowEndMs: number, batchMs: number): RecordHistory {
    return new RecordHistory(this.valuesOf(acc, key), key, this.keyFields, this.history, windowEndMs, batchMs, this.accuracyMs);
  }

  /** The lifecycle state to keep with committed offsets (docs/alerts.md#restart); undefined when nothing changed since the last one. */
  takeSnapshot(): LifecycleSnapshot | undefined {
    if (!this.lifecycle.stateful || !this.lifecycle.dirty) return undefined;
    this.lifecycle.dirty = false;
    return this.lifecycle.snapshot();
  }

  async close(): Promise<void> {
    await this.host?.close();
    await this.delivery.close();
    await this.history.close();
  }
}

/**
 * Makes a record's values object, `{name: acc[i], …, key}` in column order: one object literal per shape (one hidden
 * class from the start, with room for the `key` history[0] carries), since every aggregate row of every window gets one.
 */
function valuesMaker(names: readonly string[]): (acc: readonly Value[], key: Value[] | null) => Record<string, Value> {
  // a "__proto__" entry in a literal would set the prototype: such names take the slow path
  if (names.includes('__proto__')) {
    return (acc) => {
      const values: Record<string, Value> = {};
      for (let i = 0; i < names.length; i++) values[names[i]!] = acc[i]!;
      return values;
    };
  }
  // a value column named "key" is overwritten by the record's key, as history[0] always did
  const fields = [...names.map((n, i) => `${JSON.stringify(n)}: a[${i}]`), '"key": k'].join(', ');
  return new Function(`"use strict";\nreturn function recordValues(a, k) {\n  return { ${fields} };\n};`)() as (
    acc: readonly Value[],
    key: Value[] | null,
  ) => Record<string, Value>;
}
