/**
 * History for analysis (docs/semantics.md#history-lookups): index n targets
 * `window_end − n × batchDuration`, accepting a stored point within ± accuracy,
 * closest first; lookups are cached per record.
 */
import type { Value } from '../core/types.js';
import type { HistoryAccessor, HistoryPoint } from '../extensions/types.js';
import type { HistorySource } from '../components/types.js';

export class RecordHistory implements HistoryAccessor {
  // made on the first lookup: a record whose rules read only history[0] needs none
  private cache: Map<number, Promise<HistoryPoint>> | undefined;
  private points: Map<number, HistoryPoint> | undefined;
  lookups = 0;

  constructor(
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
    // built once per record: the built-ins read it once per checked column
    this.currentPoint ??= { ...this.values, key: this.key };
    return this.currentPoint;
  }

  get(n: number): Promise<HistoryPoint> {
    if (!Number.isInteger(n) || n < 0) return Promise.reject(new Error(`history index must be a non-negative integer, got ${n}`));
    if (n === 0) return Promise.resolve(this.current());
    return this.at(n * this.batchMs);
  }

  /** history[n] at once when the source holds its points in memory (docs/backtest.md#speed), else undefined */
  getNow(n: number): HistoryPoint | undefined {
    if (!this.source.pointNow || !Number.isInteger(n) || n < 0) return undefined;
    if (n === 0) return this.current();
    const offsetMs = n * this.batchMs;
    this.points ??= new Map();
    let p = this.points.get(offsetMs);
    if (!p) {
      this.lookups++;
      p = this.source.pointNow({ keyFields: this.keyFields, key: this.key, targetMs: this.windowEndMs - offsetMs, toleranceMs: this.accuracyMs }) ?? {};
      this.points.set(offsetMs, p);
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
      if (this.source.pointNow) p = Promise.resolve(this.source.pointNow(q) ?? {});
      else p = this.source.lookup(q).then((r): HistoryPoint => (r ? { ...r, key: this.key } : {}));
      this.cache.set(offsetMs, p);
    }
    return p;
  }
}
