/**
 * The renderer's state built as the app builds it (renderer/src/main.ts), with test dependencies:
 * the real handler map served in-process (main/api/in-process.ts), a VirtualClock for the
 * state's timers and the back end's, settings in memory, and plain-text documents in place of
 * Monaco models. See docs/architecture.md#the-renderer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Clock, VirtualClock } from '../../../engine/core/clock.js';
import type { Diagnostic, EventName, Events } from '../../../main/api/contract.js';
import { InProcessTransport, type InProcessOptions } from '../../../main/api/in-process.js';
import { AppState } from '../../../renderer/src/state/app.js';
import { memorySettings, type EditorHost, type TextModel } from '../../../renderer/src/state/deps.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** A document as plain text; versions behave like Monaco's alternative version ids (an undo back to saved is clean). */
export class PlainTextModel implements TextModel {
  private versions: string[];
  private at = 0;
  private readonly listeners = new Set<() => void>();
  diagnostics: Diagnostic[] = [];
  disposed = false;

  constructor(
    readonly path: string,
    text: string,
  ) {
    this.versions = [text];
  }
  getValue(): string {
    return this.versions[this.at]!;
  }
  setValue(text: string): void {
    this.versions = [...this.versions.slice(0, this.at + 1), text];
    this.at++;
    for (const l of [...this.listeners]) l();
  }
  undo(): void {
    if (this.at === 0) return;
    this.at--;
    for (const l of [...this.listeners]) l();
  }
  getAlternativeVersionId(): number {
    return this.at;
  }
  onDidChangeContent(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  dispose(): void {
    this.disposed = true;
  }
}

export class PlainEditorHost implements EditorHost<PlainTextModel> {
  schemasFor: { configFile: string; dataStructureFile: string | null } | undefined;
  completion: Parameters<EditorHost['setCompletion']>[0] = {};
  createModel(file: { dir: string; path: string }, text: string): PlainTextModel {
    return new PlainTextModel(file.path, text);
  }
  showDiagnostics(model: PlainTextModel, diagnostics: Diagnostic[]): void {
    model.diagnostics = diagnostics;
  }
  configureSchemas(_dir: string, configFile: string, dataStructureFile: string | null): void {
    this.schemasFor = { configFile, dataStructureFile };
  }
  setCompletion(ctx: Parameters<EditorHost['setCompletion']>[0]): void {
    this.completion = { ...this.completion, ...ctx };
  }
}

export interface TestApp {
  app: AppState<PlainTextModel>;
  transport: InProcessTransport;
  /** the VirtualClock of the state and the back end, unless the test passed its own clock */
  clock: VirtualClock;
  editor: PlainEditorHost;
  tmp: string;
  /** a copy of samples/<name> in the temp folder */
  sample(name: string): string;
  /** resolves with the first `event` (from now on) that satisfies `pred` */
  next<E extends EventName>(event: E, pred?: (p: Events[E]) => boolean): Promise<Events[E]>;
  dispose(): Promise<void>;
}

export function testApp(
  opts: Partial<Pick<InProcessOptions, 'events'>> & {
    settings?: Record<string, string>;
    /** time of the state and the back end (a test against real servers passes systemClock) */
    clock?: Clock;
  } = {},
): TestApp {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-renderer-'));
  const virtual = new VirtualClock(Date.UTC(2026, 0, 1));
  const clock = opts.clock ?? virtual;
  const transport = new InProcessTransport({
    mode: 'web',
    samplesDir: path.join(ROOT, 'samples'),
    stateDir: path.join(tmp, 'state'),
    projectsHome: path.join(tmp, 'projects'),
    pickRoots: [tmp],
    clock,
    events: opts.events,
  });
  const editor = new PlainEditorHost();
  const app = new AppState({ transport, scheduler: clock, settings: memorySettings(opts.settings), editor });
  return {
    app,
    transport,
    clock: virtual,
    editor,
    tmp,
    sample(name) {
      const dir = path.join(tmp, name);
      fs.cpSync(path.join(ROOT, 'samples', name), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
      return dir;
    },
    next(event, pred = () => true) {
      return new Promise((resolve) => {
        const off = transport.on(event, (p) => {
          if (!pred(p)) return;
          off();
          resolve(p);
        });
      });
    },
    async dispose() {
      await transport.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
