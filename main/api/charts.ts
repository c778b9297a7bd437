/**
 * The charts' handlers (docs/workbench.md#charts-at-any-size): the summary of the project's run
 * (the active or last one) or, before any run, of its stored history; the key picker's list; and
 * zoomed-in ranges read from the store. The selection the UI sends with `chart.view` is the one
 * the run's `run.chart` deltas follow.
 */
import { readChartRange, summarizeStore, type ChartSummary, type KeySelection, type PipelinePlan } from '../../engine/index.js';
import type { Handlers } from './contract.js';
import type { ActiveRun } from './runs.js';

type ChartHandlers = Pick<Handlers, 'chart.view' | 'chart.keys' | 'chart.range'>;

export class ChartSources {
  /** the stored history of the project opened last (until a run of it replaces it) */
  private history: { root: string; plan: PipelinePlan; summary: ChartSummary | undefined } | undefined;
  private selection: KeySelection | undefined;

  constructor(
    private readonly current: () => { root: string; run: ActiveRun } | undefined,
    private readonly projectRoot: (dir: string) => string,
  ) {}

  /** the project's history, read when it is opened (the summary is built on the first `chart.view`) */
  setHistory(root: string, plan: PipelinePlan): void {
    this.history = { root, plan, summary: undefined };
    this.runShown = false;
  }

  /** a new run follows the selection the charts had, and is what they show until the project is reopened */
  started(run: ActiveRun, selection: KeySelection | undefined): void {
    if (selection) this.selection = selection;
    if (this.selection) run.selection = this.selection;
    this.runShown = true;
  }

  private runShown = false;

  private sourceOf(dir: string): { summary: ChartSummary; plan: PipelinePlan; run?: ActiveRun } | undefined {
    const root = this.projectRoot(dir);
    const cur = this.current();
    if (cur && cur.root === root && this.runShown) return { summary: cur.run.chart, plan: cur.run.plan, run: cur.run };
    const h = this.history;
    if (!h || h.root !== root) return undefined;
    h.summary ??= summarizeStore(h.plan);
    return h.summary ? { summary: h.summary, plan: h.plan } : undefined;
  }

  handlers(): ChartHandlers {
    return {
      'chart.view': async ({ dir, selection }) => {
        this.selection = selection;
        const s = this.sourceOf(dir);
        if (!s) return null;
        if (s.run) s.run.selection = selection;
        return s.summary.view(selection);
      },
      'chart.keys': async ({ dir, search, rank, limit }) => {
        const s = this.sourceOf(dir);
        return s ? s.summary.listKeys({ search, rank, limit: Math.max(1, Math.min(limit, 1000)) }) : { total: 0, keys: [] };
      },
      'chart.range': async ({ dir, from, to, buckets, shown }) => {
        if (!(to >= from) || !(buckets >= 1)) throw new Error(`chart.range: from ${from} to ${to} in ${buckets} buckets is not a range`);
        const s = this.sourceOf(dir);
        return s ? (readChartRange(s.plan, { from, to, buckets: Math.min(buckets, 8192), shown }) ?? null) : null;
      },
    };
  }
}
