/**
 * History for analysis (docs/semantics.md#history-lookups): index n targets
 * `window_end − n × batchDuration`, accepting a stored point within ± accuracy,
 * closest first; lookups are cached per record.
 */
import type { Value } from '../core/types.js';
import type { HistoryAccessor, HistoryPoint } from '../extensions/types.js';
import type { HistoryQuery, HistorySource } from '../components/types.js';

export class RecordHistory implements HistoryAccessor {
  // made on the first lookup: a record whose rules read only history[0] needs none
  private cache: Map<number, Promise<HistoryPoint>> | undefined;
  /** getNow's points by index */
  private points: HistoryPoint[] | undefined;
  private nowQuery: HistoryQuery | undefined;
  lookups = 0;

  constructor(
    /** the record's aggregated values: history[0] is this object, with `key` added */
    private readonly values: Record<string, Value>,
    private readonly key: Value[] | null,
    private readonly keyFields: string[],
    private readonly source: HistorySource,
    readonly windowEndMs: number,
    private readonly batchMs: number,
    private readonly accuracyMs: number,
  ) {}

  private currentPoint: (HistoryPoint & { key: Value[] | null }) | undefined;

  current(): HistoryPoint & { key: Value[] | null } {
    if (!this.currentPoint) {
      const point = this.values as HistoryPoint & { key: Value[] | null };
      point.key = this.key;
      this.currentPoint = point;
    }
    return this.currentPoint;
  }

  get(n: number): Promise<HistoryPoint> {
    if (!Number.isInteger(n) || n < 0) return Promise.reject(new Error(`history index must be a non-negative integer, got ${n}`));
    if (n === 0) return Promise.resolve(this.current());
    // a point getNow gave is this lookup's answer, counted once
    const known = this.points?.[n];
    if (known) return Promise.resolve(known);
    return this.at(n * this.batchMs);
  }

  /** history[n] at once when the source holds its points in memory (docs/backtest.md#speed), else undefined */
  getNow(n: number): HistoryPoint | undefined {
    const { pointNow, knownNow } = this.source;
    if ((!pointNow && !knownNow) || !Number.isInteger(n) || n < 0) return undefined;
    if (n === 0) return this.current();
    this.points ??= [];
    let p = this.points[n];
    if (!p) {
      // one query per record, its target moved for each index: the in-memory sources read it and keep nothing of it
      const q = (this.nowQuery ??= { keyFields: this.keyFields, key: this.key, targetMs: 0, toleranceMs: this.accuracyMs });
      q.targetMs = this.windowEndMs - n * this.batchMs;
      if (pointNow) p = pointNow.call(this.source, q) ?? {};
      else {
        p = knownNow!.call(this.source, q);
        // not known at once: get(n) asks the source, and counts the lookup
        if (!p) return undefined;
      }
      this.lookups++;
      this.points[n] = p;
    }
    return p;
  }

  /** the point `offsetMs` before this window's end (the legacy time_delta form uses arbitrary offsets) */
  at(offsetMs: number): Promise<HistoryPoint> {
    this.cache ??= new Map();
    let p = this.cache.get(offsetMs);
    if (!p) {
      this.lookups++;
      const q = { keyFields: this.keyFields, key: this.key, targetMs: this.windowEndMs - offsetMs, toleranceMs: this.accuracyMs };
      try {
        if (this.source.pointNow) p = Promise.resolve(this.source.pointNow(q) ?? {});
        else p = this.source.lookup(q).then((r): HistoryPoint => (r ? { ...r, key: this.key } : {}));
      } catch (e) {
        // get() answers with a promise whatever the source does: a lookup that throws at once rejects it
        p = Promise.reject(e as Error);
      }
      this.cache.set(offsetMs, p);
    }
    return p;
  }
}

/**
 * The history accessors of a window's aggregate rows, each made when first needed. User modules run in the sandbox,
 * which answers most of their lookups itself: the engine needs a row's accessor only to answer one of the others,
 * and one per row made up front (with its values object) was most of what the engine kept of a window with 100 000
 * keys (docs/performance.md#user-analysis-modules).
 */
export class WindowRecords {
  private readonly made: (RecordHistory | undefined)[] = [];

  constructor(
    private readonly groups: readonly { acc: readonly Value[]; key: Value[] | null }[],
    private readonly make: (acc: readonly Value[], key: Value[] | null) => RecordHistory,
  ) {}

  /** the accessor of row `i` */
  of(i: number): RecordHistory {
    let r = this.made[i];
    if (r === undefined) {
      const g = this.groups[i]!;
      r = this.made[i] = this.make(g.acc, g.key);
    }
    return r;
  }

  /** the lookups row `i`'s accessor has made (none when it was never needed) */
  lookupsOf(i: number): number {
    return this.made[i]?.lookups ?? 0;
  }
}
