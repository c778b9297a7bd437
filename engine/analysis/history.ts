/**
 * History for analysis (docs/semantics.md#history-lookups): index n targets
 * `window_end − n × batchDuration`, accepting a stored point within ± accuracy,
 * closest first; lookups are cached per record.
 */
import type { Value } from '../core/types.js';
import type { HistoryAccessor, HistoryPoint } from '../extensions/types.js';
import type { HistorySource } from '../components/types.js';

export class RecordHistory implements HistoryAccessor {
  private readonly cache = new Map<number, Promise<HistoryPoint>>();
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

  current(): HistoryPoint & { key: Value[] | null } {
    return { ...this.values, key: this.key };
  }

  get(n: number): Promise<HistoryPoint> {
    if (!Number.isInteger(n) || n < 0) return Promise.reject(new Error(`history index must be a non-negative integer, got ${n}`));
    if (n === 0) return Promise.resolve(this.current());
    return this.at(n * this.batchMs);
  }

  /** the point `offsetMs` before this window's end (the legacy time_delta form uses arbitrary offsets) */
  at(offsetMs: number): Promise<HistoryPoint> {
    let p = this.cache.get(offsetMs);
    if (!p) {
      this.lookups++;
      p = this.source
        .lookup({ keyFields: this.keyFields, key: this.key, targetMs: this.windowEndMs - offsetMs, toleranceMs: this.accuracyMs })
        .then((r): HistoryPoint => (r ? { ...r, key: this.key } : {}));
      this.cache.set(offsetMs, p);
    }
    return p;
  }
}
