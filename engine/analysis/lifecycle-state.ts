/**
 * Where a live run keeps its alert lifecycle state (docs/alerts.md#restart): a row of the
 * `alert_lifecycle` table in the store (or in `analysis.state_path`), written in the same SQLite
 * transaction that is committed just before the source's offsets. A run restarted after a crash
 * reads it back, so it goes on from the windows its offsets go on from, with the same episodes
 * and alert ids.
 */
import { quoteIdent, type Db, type SqliteStores } from '../connectors/sqlite-store.js';
import type { LifecycleSnapshot } from './lifecycle.js';

const TABLE = 'alert_lifecycle';

export class LifecycleStateStore {
  private db: Db | undefined;

  constructor(
    private readonly stores: SqliteStores,
    private readonly file: string,
    /** what the state belongs to (the source it reads), so two pipelines can share one file */
    private readonly scope: string,
    private readonly now: () => number,
  ) {}

  async open(): Promise<LifecycleSnapshot | undefined> {
    const db = (this.db = this.stores.acquire(this.file));
    await this.stores.whenUnlocked(db, () =>
      db.exec(`CREATE TABLE IF NOT EXISTS ${quoteIdent(TABLE)} (scope TEXT PRIMARY KEY, snapshot TEXT NOT NULL, saved_at INTEGER NOT NULL)`),
    );
    const row = db.prepare(`SELECT snapshot FROM ${quoteIdent(TABLE)} WHERE scope = ?`).get(this.scope) as { snapshot: string } | undefined;
    if (!row) return undefined;
    const snap = JSON.parse(row.snapshot) as LifecycleSnapshot;
    return snap.version === 1 ? snap : undefined;
  }

  /** Written into the pipeline's open batch: durable with the next flush, which comes before the offsets' commit. */
  async save(snap: LifecycleSnapshot): Promise<void> {
    const db = this.db!;
    await this.stores.batch(db, () =>
      db.prepare(`INSERT OR REPLACE INTO ${quoteIdent(TABLE)} (scope, snapshot, saved_at) VALUES (?, ?, ?)`).run(this.scope, JSON.stringify(snap), this.now()),
    );
  }

  close(): void {
    if (this.db) this.stores.release(this.file);
    this.db = undefined;
  }
}
