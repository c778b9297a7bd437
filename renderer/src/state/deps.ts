/**
 * What the renderer's state classes are built with (docs/architecture.md#the-renderer): the
 * contract's transport, a scheduler for every timer they start, a settings store, and the editor
 * host that owns the text models. Nothing here touches the DOM, so the state classes run under
 * plain Node in unit tests (test/unit/renderer/), where the transport serves the real handlers
 * in-process (main/api/in-process.ts) and the scheduler is a VirtualClock.
 */
import type { Diagnostic, FunctionCatalog, PipelineSummary, Transport } from '../../../main/api/contract';

export type { Transport };

/** Time for the state classes: the browser's timers in the app, a virtual clock in tests (engine/core/clock.ts fits). */
export interface Scheduler {
  /** epoch milliseconds */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

/** Small user preferences that outlive the page (speed, autosave): localStorage in the app, a Map in tests. */
export interface Settings {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

/** An editor document: the subset of Monaco's ITextModel the workbench uses. */
export interface TextModel {
  getValue(): string;
  setValue(text: string): void;
  /** changes with every edit and returns to an earlier value on undo (what "dirty" compares) */
  getAlternativeVersionId(): number;
  onDidChangeContent(listener: () => void): { dispose(): void };
  dispose(): void;
}

/** Where the documents live and how diagnostics and completions reach the editor: Monaco in the app. */
export interface EditorHost<M extends TextModel = TextModel> {
  createModel(file: { dir: string; path: string }, text: string): M;
  showDiagnostics(model: M, diagnostics: Diagnostic[]): void;
  /** the config and data-structure files get their JSON Schemas */
  configureSchemas(dir: string, configFile: string, dataStructureFile: string | null, schemas: { config: object; dataStructure: object }): void;
  /** what completion inside transformation and rule strings offers */
  setCompletion(ctx: { functions?: FunctionCatalog; summary?: PipelineSummary }): void;
}

export interface StateDeps<M extends TextModel = TextModel> {
  transport: Transport;
  scheduler: Scheduler;
  settings: Settings;
  editor: EditorHost<M>;
}

/** Settings kept in memory (tests, and a browser whose storage is unavailable). */
export function memorySettings(initial: Record<string, string> = {}): Settings {
  const values = new Map(Object.entries(initial));
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => void values.set(key, value),
  };
}

/** A repeating timer on a Scheduler (which only has one-shot timers); returns its stop function. */
export function every(scheduler: Scheduler, ms: number, fn: () => void): () => void {
  let timer: unknown;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    timer = scheduler.setTimeout(tick, ms);
    fn();
  };
  timer = scheduler.setTimeout(tick, ms);
  return () => {
    stopped = true;
    scheduler.clearTimeout(timer);
  };
}
