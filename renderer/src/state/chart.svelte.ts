/**
 * The charts (docs/workbench.md#charts-at-any-size): which keys are drawn as lines (pinned keys
 * and the top N by peak or by alerts, the others as one band), the summarised data the back end
 * sends (whole, then deltas at most 5 times a second during a run), the key picker's search,
 * and the zoomed-in range, read from the store so a zoom shows every window again.
 */
import { ChartData } from '../lib/chart-data';
import type { ChartKeyStat, ChartView, KeyRanking, KeySelection } from '../../../main/api/contract';
import type { Scheduler, Settings, StateDeps, Transport } from './deps';
import type { Workbench } from './workbench.svelte';

const SELECTION_SETTING = 'ts-engine-chart-keys';
export const TOP_CHOICES = [0, 3, 5, 10, 20, 50] as const;
const DEFAULT_TOP = 10;
/** the charts redraw at most this often (as often as the back end sends views during a run: fewer redraws leave a max-speed replay its CPU) */
const REDRAW_MS = 200;
/** keys listed by the picker's search */
const PICKER_LIMIT = 50;
/** a zoom settles this long before its range is read */
const ZOOM_SETTLE_MS = 150;

export interface ZoomedRange {
  /** seconds, as the charts' x */
  min: number;
  max: number;
  /** the store's buckets of the range, once read (null: no store; the summary is drawn) */
  data: ChartData | null;
}

function loadSelection(settings: Settings): KeySelection {
  try {
    const s = JSON.parse(settings.get(SELECTION_SETTING) ?? 'null') as Partial<KeySelection> | null;
    if (s && Array.isArray(s.pinned) && typeof s.top === 'number' && s.rank) return { pinned: s.pinned.map(String), top: s.top, rank: s.rank };
  } catch {
    // an unreadable setting is the default
  }
  return { pinned: [], top: DEFAULT_TOP, rank: { by: 'alerts' } };
}

export class ChartState {
  selection = $state.raw<KeySelection>({ pinned: [], top: DEFAULT_TOP, rank: { by: 'alerts' } });
  /** bumped when the data changed; charts redraw on it */
  version = $state(0);
  readonly data = new ChartData();
  zoom = $state.raw<ZoomedRange | null>(null);
  search = $state('');
  found = $state.raw<{ total: number; keys: ChartKeyStat[] }>({ total: 0, keys: [] });
  private redrawPending = false;
  private zoomTimer: unknown;
  private zoomSeq = 0;
  private columnsSeen = '';
  private readonly transport: Transport;
  private readonly scheduler: Scheduler;
  private readonly settings: Settings;

  constructor(
    deps: Pick<StateDeps, 'transport' | 'scheduler' | 'settings'>,
    private readonly wb: Workbench,
  ) {
    this.transport = deps.transport;
    this.scheduler = deps.scheduler;
    this.settings = deps.settings;
    this.selection = loadSelection(this.settings);
  }

  /** A view from the back end: applied, or (a delta that does not follow) the whole view asked for again. */
  take(view: ChartView): void {
    if (!this.data.apply(view)) {
      void this.refresh();
      return;
    }
    // a config whose columns changed ranks by the peak of one it has
    const cols = view.columns.join('\n');
    if (cols !== this.columnsSeen) {
      this.columnsSeen = cols;
      const r = this.selection.rank;
      if (r.by === 'peak' && !view.columns.includes(r.column)) void this.select({ rank: { by: 'alerts' } });
    }
    this.bump();
  }

  /** New data to come (a run starts, the project's history is read again): a zoom the user chose stays. */
  clear(): void {
    this.data.clear();
    this.found = { total: 0, keys: [] };
    this.bump();
  }

  private bump(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    this.scheduler.setTimeout(() => {
      this.redrawPending = false;
      this.version++;
    }, REDRAW_MS);
  }

  /** The whole view of the open project with the current selection. */
  async refresh(): Promise<void> {
    const dir = this.wb.project?.dir;
    if (!dir) return;
    try {
      const view = await this.transport.invoke('chart.view', { dir, selection: this.selection });
      if (this.wb.project?.dir !== dir) return;
      if (view) this.take(view);
      else this.clear();
      if (this.search !== '' || this.found.keys.length > 0) await this.find(this.search);
    } catch (e) {
      this.wb.notify('error', `charts: ${(e as Error).message}`);
    }
  }

  async select(change: Partial<KeySelection>): Promise<void> {
    this.selection = { ...this.selection, ...change };
    this.settings.set(SELECTION_SETTING, JSON.stringify(this.selection));
    await this.refresh();
    if (this.zoom) this.zoomTo(this.zoom.min, this.zoom.max, this.zoomWidth);
  }

  /** Pins a key, or unpins it. */
  togglePin(label: string): Promise<void> {
    const pinned = this.selection.pinned.includes(label) ? this.selection.pinned.filter((l) => l !== label) : [...this.selection.pinned, label];
    return this.select({ pinned });
  }

  rankBy(rank: KeyRanking): Promise<void> {
    return this.select({ rank });
  }

  /** The keys whose label contains `text`, best ranked first. */
  async find(text: string): Promise<void> {
    this.search = text;
    const dir = this.wb.project?.dir;
    if (!dir) return;
    try {
      const r = await this.transport.invoke('chart.keys', { dir, search: text, rank: this.selection.rank, limit: PICKER_LIMIT });
      if (this.search === text) this.found = r;
    } catch (e) {
      this.wb.notify('error', `charts: ${(e as Error).message}`);
    }
  }

  private zoomWidth = 1000;

  /**
   * The user zoomed (or a panel jumped) to [min, max] seconds on a chart `width` pixels wide: the
   * store's buckets of that range are read once the zoom settles.
   */
  zoomTo(min: number, max: number, width: number): void {
    const z = this.zoom;
    // every chart follows the zoom, and each reports the range it was set to: the same range is no new zoom
    if (z && Math.abs(z.min - min) < 1e-6 && Math.abs(z.max - max) < 1e-6) return;
    this.zoomWidth = width;
    this.zoom = { min, max, data: null };
    this.scheduler.clearTimeout(this.zoomTimer);
    const seq = ++this.zoomSeq;
    this.zoomTimer = this.scheduler.setTimeout(() => void this.readRange(seq, min, max, width), ZOOM_SETTLE_MS);
  }

  private async readRange(seq: number, min: number, max: number, width: number): Promise<void> {
    const dir = this.wb.project?.dir;
    if (!dir) return;
    try {
      const view = await this.transport.invoke('chart.range', {
        dir,
        from: Math.floor(min * 1000),
        to: Math.ceil(max * 1000),
        buckets: Math.max(16, Math.round(width)),
        shown: this.data.shown,
      });
      if (seq !== this.zoomSeq || !this.zoom) return;
      let data: ChartData | null = null;
      if (view) {
        data = new ChartData();
        data.apply(view);
      }
      this.zoom = { min, max, data };
      this.bump();
    } catch (e) {
      this.wb.notify('error', `charts: ${(e as Error).message}`);
    }
  }

  /** Back to the whole run. */
  resetZoom(): void {
    this.zoomSeq++;
    this.scheduler.clearTimeout(this.zoomTimer);
    this.zoom = null;
    this.bump();
  }
}
