/**
 * A long list the back end pages (docs/workbench.md#lists): the rows a virtualised table shows
 * are fetched a page at a time as it scrolls, and kept; a change of filters starts over; a run
 * adding rows marks the pages stale, and those in view are fetched again, at most every
 * `refreshMs` however often the run reports. A list no table shows (its tab is not open) is not
 * fetched while a run adds rows, or only every `hiddenRefreshMs` when a badge shows its count:
 * each fetch is a query the back end answers beside the replay. Built with its scheduler and the
 * function that fetches a page, so it runs under Node in unit tests
 * (docs/architecture.md#the-renderer).
 */
import type { ListPage, ListPageRequest } from '../../../main/api/contract';
import type { Scheduler } from './deps';

/** pages kept beyond those in view: scrolling back is instant, memory stays bounded */
const PAGES_KEPT = 40;

interface CachedPage<T> {
  rows: T[];
  /** the generation it was fetched in: older ones are stale (still shown until fetched again) */
  generation: number;
}

export class PagedList<T, F extends object, P extends ListPage<T> = ListPage<T>> {
  /** rows the filters keep */
  total = $state(0);
  /** the latest reply (counts, reasons, the store read) */
  latest = $state.raw<P | null>(null);
  filters = $state.raw<F>({} as F);
  error = $state<string | null>(null);
  /** bumped when rows arrive: what rowAt returns changed */
  version = $state(0);

  private pages = new Map<number, CachedPage<T>>();
  /** `<filterSeq>:<page>` of the pages being fetched */
  private readonly inFlight = new Set<string>();
  /** bumped when the rows may have changed (filters, a run adding rows): replies of an older one are stale */
  private generation = 0;
  /** bumped when the filters change: replies for other filters are dropped */
  private filterSeq = 0;
  private view = { first: 0, last: 0 };
  private refreshTimer: unknown = undefined;
  /** the delay the pending refresh was set with */
  private refreshDelay = 0;
  private filterTimer: unknown = undefined;
  /** the tables showing the list now */
  private watchers = 0;
  /** rows were added while no table showed the list: the first to show it fetches again */
  private staleUnseen = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly fetchPage: (req: ListPageRequest<F>) => Promise<P>,
    readonly pageSize = 100,
    private readonly refreshMs = 400,
    /** while no table shows the list, a run's rows refetch it this often (undefined: not at all) */
    private readonly hiddenRefreshMs: number | undefined = undefined,
  ) {}

  /** A table shows the list from now until the returned function is called. */
  watch(): () => void {
    this.watchers++;
    if (this.watchers === 1 && (this.staleUnseen || this.refreshTimer !== undefined)) {
      this.scheduler.clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
      this.refresh();
    }
    let watching = true;
    return () => {
      if (watching) this.watchers--;
      watching = false;
    };
  }

  /** The row at `index` once its page came, else undefined (show shows it is coming). */
  rowAt(index: number): T | undefined {
    void this.version;
    return this.pages.get(Math.floor(index / this.pageSize))?.rows[index % this.pageSize];
  }

  /** The rows `first`..`last` are in view: fetch the pages they need that are missing or stale. */
  show(first: number, last: number): void {
    this.view = { first: Math.max(0, first), last: Math.max(first, last) };
    this.loadView();
  }

  /** Other filters: the list starts over from its first row. */
  setFilters(filters: F): void {
    this.scheduler.clearTimeout(this.filterTimer);
    this.filters = filters;
    this.filterSeq++;
    this.generation++;
    // the table scrolls back to its first row: fetch those, not the rows where it was
    this.view = { first: 0, last: this.view.last - this.view.first };
    // the total stays until the new one comes: the list shrinks once, it does not flash empty
    this.pages.clear();
    this.version++;
    this.loadView();
  }

  /** Other filters after a pause in typing: one fetch for a word, not one per letter. */
  setFiltersSoon(filters: F, ms = 250): void {
    this.scheduler.clearTimeout(this.filterTimer);
    this.filterTimer = this.scheduler.setTimeout(() => this.setFilters(filters), ms);
  }

  /**
   * The rows may have changed (a run added some): the pages in view are fetched again, soon, at
   * most every refreshMs; a list no table shows only every hiddenRefreshMs, or once shown again.
   * `ended`: the run's last rows, fetched soon whether shown or not (the counts are final).
   */
  changed(ended = false): void {
    const ms = ended || this.watchers > 0 ? this.refreshMs : this.hiddenRefreshMs;
    if (ms === undefined) {
      this.staleUnseen = true;
      return;
    }
    // a sooner refresh replaces a later one (the run ended while a hidden list waited)
    if (this.refreshTimer !== undefined && this.refreshDelay <= ms) return;
    this.scheduler.clearTimeout(this.refreshTimer);
    this.refreshDelay = ms;
    this.refreshTimer = this.scheduler.setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, ms);
  }

  /** Everything is stale now: the pages in view are fetched again at once. */
  refresh(): void {
    this.staleUnseen = false;
    this.generation++;
    this.loadView();
  }

  /** Forgets every row (another project): the next show fetches from scratch. */
  clear(): void {
    this.scheduler.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.filterSeq++;
    this.generation++;
    this.pages.clear();
    this.total = 0;
    this.latest = null;
    this.error = null;
    this.version++;
  }

  private loadView(): void {
    const firstPage = Math.floor(this.view.first / this.pageSize);
    const lastPage = Math.floor(this.view.last / this.pageSize);
    for (let p = firstPage; p <= lastPage; p++) {
      const cached = this.pages.get(p);
      if (cached?.generation === this.generation || this.inFlight.has(`${this.filterSeq}:${p}`)) continue;
      // beyond the end: nothing to fetch (page 0 always is, for the total)
      if (p > 0 && p * this.pageSize >= this.total && this.latest !== null) continue;
      void this.load(p);
    }
  }

  private async load(page: number): Promise<void> {
    const filterSeq = this.filterSeq;
    const generation = this.generation;
    const flight = `${filterSeq}:${page}`;
    this.inFlight.add(flight);
    try {
      const reply = await this.fetchPage({ offset: page * this.pageSize, limit: this.pageSize, filters: this.filters });
      if (filterSeq !== this.filterSeq) return;
      this.error = null;
      this.total = reply.total;
      this.latest = reply;
      this.pages.set(page, { rows: reply.rows, generation });
      this.evictAround(page);
      this.version++;
    } catch (e) {
      if (filterSeq === this.filterSeq) this.error = (e as Error).message;
      return;
    } finally {
      this.inFlight.delete(flight);
    }
    // the total grew into the view, or a run added rows while this page was coming (it is stale already)
    if (filterSeq === this.filterSeq) this.loadView();
  }

  /** Keeps the PAGES_KEPT pages nearest the one that came. */
  private evictAround(page: number): void {
    if (this.pages.size <= PAGES_KEPT) return;
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - page) - Math.abs(a - page));
    for (const p of far.slice(0, this.pages.size - PAGES_KEPT)) this.pages.delete(p);
  }
}
