/**
 * The renderer's state, made once at start (main.ts) from its dependencies and handed to the
 * components through Svelte context (lib/app-context.ts). Unit tests build one the same way with
 * an in-process transport and a virtual clock (test/unit/renderer/helpers.ts); see
 * docs/architecture.md#the-renderer.
 */
import { AuthoringState } from './authoring.svelte';
import { ConnectionsState } from './connections.svelte';
import type { StateDeps, TextModel } from './deps';
import { BacktestState, ChartRequests, CompareState, ConfigTestsState } from './evaluate.svelte';
import { ExportState } from './export.svelte';
import { ListsState } from './lists.svelte';
import { RunState } from './run.svelte';
import { RunOutputState } from './run-output.svelte';
import { Workbench } from './workbench.svelte';

export class AppState<M extends TextModel = TextModel> {
  readonly wb: Workbench<M>;
  readonly run: RunState;
  readonly connections: ConnectionsState;
  readonly charts: ChartRequests;
  readonly backtest: BacktestState;
  readonly configTests: ConfigTestsState;
  readonly compare: CompareState;
  readonly authoring: AuthoringState;
  readonly output: RunOutputState;
  readonly exports: ExportState;
  readonly lists: ListsState;

  constructor(deps: StateDeps<M>) {
    this.wb = new Workbench(deps);
    this.run = new RunState(deps, this.wb);
    this.connections = new ConnectionsState(deps, this.wb);
    this.charts = new ChartRequests();
    this.backtest = new BacktestState(deps, this.wb, this.charts);
    this.configTests = new ConfigTestsState(deps, this.wb);
    this.compare = new CompareState(deps, this.wb, this.charts);
    this.authoring = new AuthoringState(deps, this.wb);
    this.output = new RunOutputState(deps, this.wb);
    this.exports = new ExportState(deps, this.wb);
    this.lists = new ListsState(deps, this.wb, this.run);
  }
}
