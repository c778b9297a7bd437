/**
 * The Alerts, Windows and Bad rows lists (docs/workbench.md#lists): every row the project's store
 * holds, paged by the back end (store.alerts, store.episodes, store.windows, store.rowErrors) and
 * refreshed while a run adds rows. A config without an embedded store has nothing to page: its
 * lists show what the renderer holds of the run (RunState), filtered the same way, and say so.
 */
import type {
  AlertEpisode,
  AlertEvent,
  AlertFilters,
  AlertListPage,
  ListPage,
  ListPageRequest,
  RowErrorEvent,
  RowErrorFilters,
  RowErrorPage,
  WindowFilters,
  WindowRow,
} from '../../../main/api/contract';
import { countStates, episodeState, type AlertState } from '../lib/alert-states';
import { keyLabel } from '../lib/series';
import type { StateDeps, Transport } from './deps';
import { PagedList } from './paged-list.svelte';
import type { RunState } from './run.svelte';
import type { Workbench } from './workbench.svelte';

/** The Bad rows list's filters: the engine's, with the run chosen by scope (the latest run by default). */
export interface BadRowFilters extends Omit<RowErrorFilters, 'runId'> {
  allRuns?: boolean;
}

/** how often a run refetches the alert count of the Alerts tab's badge while the tab is closed */
const BADGE_REFRESH_MS = 2000;

export type BadRowPage = ListPage<RowErrorEvent> & Pick<RowErrorPage, 'reasons'>;

const newestFirst = <T>(items: readonly T[], order: ListPageRequest<unknown>['order']) => (order === 'oldest' ? [...items] : [...items].reverse());

const slice = <T>(items: readonly T[], req: ListPageRequest<unknown>) => items.slice(req.offset, req.offset + req.limit);

const contains = (text: string, part: string | undefined) => !part || text.toLowerCase().includes(part.toLowerCase());

/** What the panel lists of the renderer's own alerts or episodes, as the store's pages would give them. */
function alertsInMemory<T>(
  items: readonly T[],
  req: ListPageRequest<AlertFilters>,
  of: (x: T) => Pick<AlertEvent, 'rule' | 'key' | 'field'>,
  stateOf: (x: T) => AlertState,
): AlertListPage<T> {
  const f = req.filters ?? {};
  const others = items.filter((x) => {
    const a = of(x);
    return (!f.rule || a.rule === f.rule) && (!f.field || a.field === f.field) && contains(keyLabel(a.key), f.key);
  });
  const kept = f.state ? others.filter((x) => stateOf(x) === f.state) : others;
  return { total: kept.length, rows: slice(newestFirst(kept, req.order), req), counts: countStates(others, stateOf), all: items.length };
}

export class ListsState {
  readonly alerts: PagedList<AlertEvent, AlertFilters, AlertListPage<AlertEvent>>;
  readonly episodes: PagedList<AlertEpisode, AlertFilters, AlertListPage<AlertEpisode>>;
  readonly windows: PagedList<WindowRow, WindowFilters>;
  readonly rowErrors: PagedList<RowErrorEvent, BadRowFilters, BadRowPage>;
  private readonly transport: Transport;

  constructor(
    deps: Pick<StateDeps, 'transport' | 'scheduler'>,
    private readonly wb: Workbench,
    private readonly run: RunState,
  ) {
    this.transport = deps.transport;
    const s = deps.scheduler;
    const t = this.transport;
    // the Alerts tab's badge counts what the store holds: refetched while the tab is closed too, more slowly
    this.alerts = new PagedList(
      s,
      (req) =>
        this.storeOr(
          (dir) => t.invoke('store.alerts', { dir, ...req }),
          () =>
            alertsInMemory(
              run.alerts,
              req,
              (a) => a,
              (a) => a.state,
            ),
        ),
      undefined,
      undefined,
      BADGE_REFRESH_MS,
    );
    this.episodes = new PagedList(s, (req) =>
      this.storeOr(
        (dir) => t.invoke('store.episodes', { dir, ...req }),
        () => alertsInMemory(run.episodes, req, (e) => e, episodeState),
      ),
    );
    this.windows = new PagedList(s, (req) =>
      this.storeOr(
        (dir) => t.invoke('store.windows', { dir, ...req }),
        () => this.windowsInMemory(req),
      ),
    );
    this.rowErrors = new PagedList(s, (asked) => {
      // bad rows read as a compiler's errors do: in input order
      const req = { ...asked, order: 'oldest' as const };
      const { allRuns, ...f } = req.filters ?? {};
      const filters = { ...f, runId: allRuns ? undefined : this.badRowsRun };
      return this.storeOr(
        (dir) => t.invoke('store.rowErrors', { dir, ...req, filters }),
        () => this.badRowsInMemory(req),
      );
    });
    const lists = [this.alerts, this.episodes, this.windows, this.rowErrors];
    const on = this.transport.on.bind(this.transport);
    on('run.alerts', () => this.alerts.changed());
    on('run.episodes', () => this.episodes.changed());
    on('run.windows', () => this.windows.changed());
    on('run.rowErrors', () => this.rowErrors.changed());
    // the last rows of a run, and a new run's first: whatever the run sent last
    on('run.finished', () => {
      for (const l of lists) l.changed(true);
    });
    wb.onProject(() => {
      for (const l of lists) {
        l.clear();
        l.refresh();
      }
    });
    // a saved config may name another store
    wb.onSaved(() => {
      for (const l of lists) l.refresh();
    });
  }

  /** Whether a list pages the store (its latest reply named it), rather than what the renderer holds. */
  fromStore(list: { latest: ListPage<unknown> | null }): boolean {
    return list.latest?.source !== undefined;
  }

  /** A page from the store; from `inMemory` when the config has no embedded store (the reply names none). */
  private async storeOr<P extends ListPage<unknown>>(ask: (dir: string) => Promise<P>, inMemory: () => P): Promise<P> {
    const dir = this.wb.project?.dir;
    if (!dir) return inMemory();
    const reply = await ask(dir);
    return reply.source === undefined ? inMemory() : reply;
  }

  /** Rows of the windows the renderer keeps (the latest few, newest first already). */
  private windowsInMemory(req: ListPageRequest<WindowFilters>): ListPage<WindowRow> {
    const f = req.filters ?? {};
    const rows = this.run.latest
      .filter((w) => (f.from === undefined || w.windowEnd >= f.from) && (f.to === undefined || w.windowStart <= f.to))
      .flatMap((w) => w.rows.map((r) => ({ windowStart: w.windowStart, windowEnd: w.windowEnd, ...r })))
      .filter((r) => contains(keyLabel(r.key), f.key));
    const ordered = req.order === 'oldest' ? rows.reverse() : rows;
    return { total: ordered.length, rows: slice(ordered, req) };
  }

  /** The run whose bad rows are listed unless all runs are asked for: the one on screen, else the latest of the history. */
  get badRowsRun(): string | undefined {
    return this.run.runId ?? this.run.history[0]?.runId;
  }

  /** The run's bad rows the renderer keeps (the first the run sent). */
  private badRowsInMemory(req: ListPageRequest<BadRowFilters>): BadRowPage {
    const f = req.filters ?? {};
    const errors = this.run.rowErrors.filter((e) => contains(e.source, f.source));
    const counts = new Map<string, number>();
    for (const e of errors) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
    const reasons = [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
    const kept = f.reason ? errors.filter((e) => e.reason === f.reason) : errors;
    return { total: kept.length, rows: slice(newestFirst(kept, req.order), req), reasons };
  }
}
