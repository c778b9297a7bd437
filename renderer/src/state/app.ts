/**
 * The renderer's state, made once at start (main.ts) from its dependencies and handed to the
 * components through Svelte context (lib/app-context.ts). Unit tests build one the same way with
 * an in-process transport and a virtual clock (test/unit/renderer/helpers.ts); see
 * docs/architecture.md#the-renderer.
 */
import { ConnectionsState } from './connections.svelte';
import type { StateDeps, TextModel } from './deps';
import { ExportState } from './export.svelte';
import { RunState } from './run.svelte';
import { Workbench } from './workbench.svelte';

export class AppState<M extends TextModel = TextModel> {
  readonly wb: Workbench<M>;
  readonly run: RunState;
  readonly connections: ConnectionsState;
  readonly exports: ExportState;

  constructor(deps: StateDeps<M>) {
    this.wb = new Workbench(deps);
    this.run = new RunState(deps, this.wb);
    this.connections = new ConnectionsState(deps, this.wb);
    this.exports = new ExportState(deps, this.wb);
  }
}
