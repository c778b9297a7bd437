/**
 * The alert lifecycle (docs/alerts.md): one state machine per (rule, key, field), driven by the
 * evaluations of closed windows, never by the wall clock, so the same windows give the same
 * events on every run. Pure: the analyzer feeds it each record's evaluations and each closed
 * window, and delivers the events it returns.
 *
 *   normal ──deviates──▶ pending ──deviates `for` more windows──▶ firing ──back `keep_firing_for`+1 windows──▶ resolved (normal)
 *   a key missing `no_data` windows ──▶ nodata ──key back──▶ resolved (normal)
 *
 * A rule without lifecycle options has no state: each deviation is an alert of its own
 * (docs/alerts.md#without-lifecycle).
 */
import type { LifecycleOptions } from '../components/analyses/lifecycle-options.js';
import { alertId, keyText } from '../components/alerts/alert-id.js';
import type { Alert, AlertState } from '../components/types.js';
import type { FieldType, Value } from '../core/types.js';
import { toDouble } from '../values/numeric.js';

/** One field's outcome of one rule on one record. */
export interface Evaluation {
  field: string;
  /** the module name the rule reports under (built-ins: the rule's name) */
  module: string;
  value: Value;
  lower: number;
  upper: number;
  /** outside the bounds, as the module judged it (`send`, not `observe`) */
  deviating: boolean;
  /** the key the module reported (rules without lifecycle keep it, as the reference did) */
  key?: Value[] | null;
}

export interface LifecycleRule {
  name: string;
  /** undefined: the reference behaviour, one alert per deviation */
  lifecycle: LifecycleOptions | undefined;
}

export interface RecordShape {
  keyFields: string[];
  keyTypes: FieldType[];
  valueTypes: ReadonlyMap<string, FieldType>;
}

type Phase = 'normal' | 'pending' | 'firing' | 'nodata';

interface Series {
  readonly field: string;
  module: string;
  phase: Phase;
  /** window end of the window that opened the current episode */
  episodeStart: number;
  /** consecutive deviating windows of the pending or firing episode */
  deviatingFor: number;
  /** consecutive recovered windows while firing */
  recoveredFor: number;
  lastValue: Value;
  lower: number;
  upper: number;
  peakValue: Value;
  peakTime: number | null;
  peakExcess: number;
}

interface KeyState {
  readonly key: Value[] | null;
  readonly text: string;
  /** window end of the last window with a record of this key */
  lastSeen: number;
  /** rule index → field → series */
  readonly rules: Map<number, Map<string, Series>>;
}

/** How far outside its bounds a value is (≤ 0 inside), for the peak of an episode. */
function excess(x: number, lower: number, upper: number): number {
  return x > upper ? x - upper : lower - x;
}

function numeric(v: Value): number | undefined {
  if (v === null || typeof v === 'string') return undefined;
  const x = toDouble(v);
  return Number.isNaN(x) ? undefined : x;
}

export class AlertLifecycle {
  private readonly keys = new Map<string, KeyState>();
  private readonly lifecycleRules: number[];
  private readonly noDataRules: number[];
  /** true once a window was evaluated since the last snapshot */
  dirty = false;
  /** window end of the last closed window (its events are delivered before a snapshot is taken) */
  closedThrough = Number.NEGATIVE_INFINITY;
  /** closedThrough of the restored snapshot: windows up to it were evaluated and delivered before the restart */
  restoredThrough = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly rules: readonly LifecycleRule[],
    private readonly shape: RecordShape,
    private readonly batchMs: number,
  ) {
    this.lifecycleRules = rules.flatMap((r, i) => (r.lifecycle ? [i] : []));
    this.noDataRules = rules.flatMap((r, i) => (r.lifecycle?.noData !== undefined ? [i] : []));
  }

  /** true when some rule has a lifecycle (otherwise nothing is kept between windows) */
  get stateful(): boolean {
    return this.lifecycleRules.length > 0;
  }

  /** true when rule `ruleIndex` reads evaluations within bounds too (a rule without lifecycle alerts on deviations only) */
  keepsObservations(ruleIndex: number): boolean {
    return this.rules[ruleIndex]!.lifecycle !== undefined;
  }

  /** A record of `key` arrived in the window ending `windowEnd`. Returns its state (pass it to `evaluate`). */
  seen(key: Value[] | null, windowEnd: number): KeyState | undefined {
    if (!this.stateful) return undefined;
    const text = keyText(key, this.shape.keyTypes);
    let k = this.keys.get(text);
    if (!k) this.keys.set(text, (k = { key, text, lastSeen: windowEnd, rules: new Map() }));
    k.lastSeen = windowEnd;
    this.dirty = true;
    return k;
  }

  /** The evaluations of rule `ruleIndex` on the record of `key` in the window ending `windowEnd`: the events they cause. */
  evaluate(ruleIndex: number, state: KeyState | undefined, windowEnd: number, evaluations: readonly Evaluation[], out: Alert[]): void {
    const rule = this.rules[ruleIndex]!;
    const lc = rule.lifecycle;
    if (!lc || !state) {
      for (const e of evaluations) if (e.deviating) out.push(this.single(rule, e, windowEnd));
      return;
    }
    let fields = state.rules.get(ruleIndex);
    if (!fields) state.rules.set(ruleIndex, (fields = new Map()));
    const reported = new Map<string, Evaluation>();
    for (const e of evaluations) {
      const before = reported.get(e.field);
      // one field reported twice in one call: a deviation wins over an observation
      if (!before || (e.deviating && !before.deviating)) reported.set(e.field, e);
    }
    for (const [field, e] of reported) {
      let s = fields.get(field);
      if (!s) fields.set(field, (s = newSeries(field, e.module)));
      this.step(rule, lc, state, s, windowEnd, e, out);
    }
    // a field the rule evaluated before but reported nothing for this time is back to normal
    for (const s of fields.values()) if (!reported.has(s.field)) this.step(rule, lc, state, s, windowEnd, undefined, out);
  }

  /** After every record of the window ending `windowEnd`: no-data for keys missing long enough, and keys back from no-data. */
  windowClosed(windowEnd: number, out: Alert[]): void {
    if (!this.stateful) return;
    this.dirty = true;
    this.closedThrough = Math.max(this.closedThrough, windowEnd);
    for (const k of this.keys.values()) {
      if (k.lastSeen >= windowEnd) {
        // back from no-data, but the rule did not evaluate it (a failure, no history for that field)
        for (const [ri, fields] of k.rules) {
          for (const s of fields.values()) if (s.phase === 'nodata') this.leaveNoData(this.rules[ri]!, k, s, windowEnd, undefined, out);
        }
        continue;
      }
      for (const ri of this.noDataRules) {
        const rule = this.rules[ri]!;
        const fields = k.rules.get(ri);
        if (!fields) continue;
        const due = k.lastSeen + rule.lifecycle!.noData! * this.batchMs;
        if (windowEnd < due) continue;
        for (const s of fields.values()) {
          if (s.phase === 'nodata') {
            if (rule.lifecycle!.notify === 'every') out.push(this.event(rule, k, s, windowEnd, 'nodata', null));
            continue;
          }
          // a missing key ends what was going on: a firing episode resolves, a pending one is dropped
          if (s.phase === 'firing') out.push(this.event(rule, k, s, due, 'resolved', null));
          s.phase = 'nodata';
          s.episodeStart = due;
          s.deviatingFor = 0;
          s.recoveredFor = 0;
          s.peakValue = null;
          s.peakTime = null;
          s.peakExcess = -Infinity;
          out.push(this.event(rule, k, s, due, 'nodata', null));
        }
      }
    }
  }

  private step(rule: LifecycleRule, lc: LifecycleOptions, k: KeyState, s: Series, windowEnd: number, e: Evaluation | undefined, out: Alert[]): void {
    if (s.phase === 'nodata') this.leaveNoData(rule, k, s, windowEnd, e, out);
    if (e) {
      s.module = e.module;
      s.lastValue = e.value;
      s.lower = e.lower;
      s.upper = e.upper;
    } else s.lastValue = null;
    const active = s.phase === 'pending' || s.phase === 'firing';
    const deviating = e !== undefined && (e.deviating || (active && lc.recoveryBand < 1 && outsideRecoveryBand(e, lc.recoveryBand)));
    switch (s.phase) {
      case 'normal':
        if (!deviating) return;
        s.episodeStart = windowEnd;
        s.deviatingFor = 1;
        s.recoveredFor = 0;
        s.peakExcess = -Infinity;
        s.peakValue = null;
        s.peakTime = null;
        notePeak(s, e!, windowEnd);
        s.phase = 'pending';
        if (s.deviatingFor > lc.for) this.fire(rule, k, s, windowEnd, out);
        return;
      case 'pending':
        if (!deviating) {
          s.phase = 'normal';
          return;
        }
        s.deviatingFor++;
        notePeak(s, e!, windowEnd);
        if (s.deviatingFor > lc.for) this.fire(rule, k, s, windowEnd, out);
        return;
      case 'firing':
        if (deviating) {
          s.recoveredFor = 0;
          s.deviatingFor++;
          notePeak(s, e!, windowEnd);
        } else if (++s.recoveredFor > lc.keepFiringFor) {
          out.push(this.event(rule, k, s, windowEnd, 'resolved', s.lastValue));
          s.phase = 'normal';
          return;
        }
        if (lc.notify === 'every') out.push(this.event(rule, k, s, windowEnd, 'firing', s.lastValue));
        return;
    }
  }

  private fire(rule: LifecycleRule, k: KeyState, s: Series, windowEnd: number, out: Alert[]): void {
    s.phase = 'firing';
    out.push(this.event(rule, k, s, windowEnd, 'firing', s.lastValue));
  }

  private leaveNoData(rule: LifecycleRule, k: KeyState, s: Series, windowEnd: number, e: Evaluation | undefined, out: Alert[]): void {
    if (e) {
      s.lower = e.lower;
      s.upper = e.upper;
    }
    out.push(this.event(rule, k, s, windowEnd, 'resolved', e ? e.value : null));
    s.phase = 'normal';
  }

  private event(rule: LifecycleRule, k: KeyState, s: Series, windowEnd: number, state: AlertState, value: Value): Alert {
    const kind = s.phase === 'nodata' ? 'nodata' : 'deviation';
    return {
      module: s.module,
      timeMs: windowEnd,
      key: k.key,
      keyFields: this.shape.keyFields,
      keyTypes: this.shape.keyTypes,
      field: s.field,
      value,
      valueType: this.shape.valueTypes.get(s.field),
      lowerBound: s.lower,
      upperBound: s.upper,
      rule: rule.name,
      state,
      alertId: alertId(rule.name, k.text, s.field, s.episodeStart),
      episodeStartMs: s.episodeStart,
      episodeKind: kind,
      lifecycle: true,
      peakValue: s.peakValue,
      peakTimeMs: s.peakTime,
    };
  }

  /** A rule without lifecycle: the deviation is an episode of one window (docs/alerts.md#without-lifecycle). */
  private single(rule: LifecycleRule, e: Evaluation, windowEnd: number): Alert {
    const key = e.key ?? null;
    return {
      module: e.module,
      timeMs: windowEnd,
      key,
      keyFields: this.shape.keyFields,
      keyTypes: this.shape.keyTypes,
      field: e.field,
      value: e.value,
      valueType: this.shape.valueTypes.get(e.field),
      lowerBound: e.lower,
      upperBound: e.upper,
      rule: rule.name,
      state: 'firing',
      alertId: alertId(rule.name, keyText(key, this.shape.keyTypes), e.field, windowEnd),
      episodeStartMs: windowEnd,
      episodeKind: 'deviation',
      lifecycle: false,
      peakValue: e.value,
      peakTimeMs: windowEnd,
    };
  }

  // ---- persistence (docs/alerts.md#restart) ------------------------------------------------

  /** The state as plain JSON: what a restarted live run needs to go on with the same episodes. */
  snapshot(): LifecycleSnapshot {
    const keys: LifecycleSnapshot['keys'] = [];
    const keepNormal = this.noDataRules.length > 0;
    for (const k of this.keys.values()) {
      const series: SeriesSnapshot[] = [];
      for (const [ri, fields] of k.rules) {
        for (const s of fields.values()) {
          if (s.phase === 'normal' && !keepNormal) continue;
          series.push({
            rule: this.rules[ri]!.name,
            field: s.field,
            module: s.module,
            phase: s.phase,
            episodeStart: s.episodeStart,
            deviatingFor: s.deviatingFor,
            recoveredFor: s.recoveredFor,
            lastValue: encodeValue(s.lastValue),
            lower: encodeNumber(s.lower),
            upper: encodeNumber(s.upper),
            peakValue: encodeValue(s.peakValue),
            peakTime: s.peakTime,
            peakExcess: encodeNumber(s.peakExcess),
          });
        }
      }
      if (series.length > 0 || keepNormal) keys.push({ key: k.key === null ? null : k.key.map(encodeValue), lastSeen: k.lastSeen, series });
    }
    return { version: 1, keys, ...(Number.isFinite(this.closedThrough) ? { closedThrough: this.closedThrough } : {}) };
  }

  /** Takes over a snapshot; series of rules no longer configured are left out. */
  restore(snap: LifecycleSnapshot): void {
    this.keys.clear();
    this.closedThrough = this.restoredThrough = snap.closedThrough ?? Number.NEGATIVE_INFINITY;
    const byName = new Map(this.rules.map((r, i) => [r.name, i]));
    for (const ks of snap.keys) {
      const key = ks.key === null ? null : ks.key.map(decodeValue);
      const text = keyText(key, this.shape.keyTypes);
      const k: KeyState = { key, text, lastSeen: ks.lastSeen, rules: new Map() };
      for (const ss of ks.series) {
        const ri = byName.get(ss.rule);
        if (ri === undefined || !this.rules[ri]!.lifecycle) continue;
        let fields = k.rules.get(ri);
        if (!fields) k.rules.set(ri, (fields = new Map()));
        fields.set(ss.field, {
          field: ss.field,
          module: ss.module,
          phase: ss.phase,
          episodeStart: ss.episodeStart,
          deviatingFor: ss.deviatingFor,
          recoveredFor: ss.recoveredFor,
          lastValue: decodeValue(ss.lastValue),
          lower: decodeNumber(ss.lower),
          upper: decodeNumber(ss.upper),
          peakValue: decodeValue(ss.peakValue),
          peakTime: ss.peakTime,
          peakExcess: decodeNumber(ss.peakExcess),
        });
      }
      this.keys.set(text, k);
    }
    this.dirty = false;
  }
}

function newSeries(field: string, module: string): Series {
  return {
    field,
    module,
    phase: 'normal',
    episodeStart: 0,
    deviatingFor: 0,
    recoveredFor: 0,
    lastValue: null,
    lower: Number.NaN,
    upper: Number.NaN,
    peakValue: null,
    peakTime: null,
    peakExcess: -Infinity,
  };
}

/** Hysteresis: outside `band` × the half-width around the centre of the bounds (docs/alerts.md#recovery-band). */
function outsideRecoveryBand(e: Evaluation, band: number): boolean {
  const x = numeric(e.value);
  if (x === undefined) return false;
  const centre = (e.lower + e.upper) / 2;
  const half = (e.upper - e.lower) / 2;
  return Math.abs(x - centre) > band * half;
}

function notePeak(s: Series, e: Evaluation, windowEnd: number): void {
  const x = numeric(e.value);
  if (x === undefined) {
    if (s.peakTime === null) {
      s.peakValue = e.value;
      s.peakTime = windowEnd;
    }
    return;
  }
  const d = excess(x, e.lower, e.upper);
  if (s.peakTime === null || d > s.peakExcess) {
    s.peakExcess = d;
    s.peakValue = e.value;
    s.peakTime = windowEnd;
  }
}

// ---- snapshot format ------------------------------------------------------------------------

/** A value as JSON: bigints and non-finite numbers tagged. */
export type EncodedValue = number | boolean | string | null | { big: string } | { num: string };

export interface SeriesSnapshot {
  rule: string;
  field: string;
  module: string;
  phase: Phase;
  episodeStart: number;
  deviatingFor: number;
  recoveredFor: number;
  lastValue: EncodedValue;
  lower: EncodedValue;
  upper: EncodedValue;
  peakValue: EncodedValue;
  peakTime: number | null;
  peakExcess: EncodedValue;
}

export interface LifecycleSnapshot {
  version: 1;
  keys: { key: EncodedValue[] | null; lastSeen: number; series: SeriesSnapshot[] }[];
  /**
   * window end of the last window the state includes: a run restarted from older offsets (a crash
   * between the state's save and the offsets' commit) does not evaluate those windows twice
   */
  closedThrough?: number;
}

function encodeNumber(x: number): EncodedValue {
  return Number.isFinite(x) ? x : { num: String(x) };
}

function decodeNumber(v: EncodedValue): number {
  return typeof v === 'number' ? v : typeof v === 'object' && v !== null && 'num' in v ? Number(v.num) : Number.NaN;
}

function encodeValue(v: Value): EncodedValue {
  if (typeof v === 'bigint') return { big: v.toString() };
  if (typeof v === 'number') return encodeNumber(v);
  return v;
}

function decodeValue(v: EncodedValue): Value {
  if (v === null || typeof v !== 'object') return v;
  return 'big' in v ? BigInt(v.big) : Number(v.num);
}
