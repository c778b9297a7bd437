/**
 * Validation's view of user modules (docs/sandbox.md): each module is bundled,
 * loaded in a sandbox process, and described there as plain data; its custom
 * resultType rules are asked there too. Answers are remembered per module text,
 * granted files and limits, so the workbench's check on every edit starts no
 * process while the modules stay the same.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { UnsavedSources } from '../core/files.js';
import type { FieldType } from '../core/types.js';
import { bundleModule } from './bundle.js';
import { SandboxError, SandboxProcess } from './client.js';
import type { LoadResult, ModuleBundle, ModuleShape, SandboxLimits } from './protocol.js';

type Shape = { shape: ModuleShape } | { error: string };
type Answer = { type: string } | { error: string };

const MAX_CACHED = 500;
const shapes = new Map<string, Shape>();
const answers = new Map<string, Answer>();

function remember<V>(m: Map<string, V>, key: string, v: V): V {
  if (m.size >= MAX_CACHED) m.clear();
  m.set(key, v);
  return v;
}

export class ModuleInspector {
  private sandbox: SandboxProcess | undefined;
  /** module file → its index in the sandbox's loaded bundles, and its shape */
  private loaded = new Map<string, { index: number; result: Shape }>();
  private loadedCount = 0;
  /** the bundles the sandbox loaded, in order */
  private loadedBundles: ModuleBundle[] = [];
  private readonly bundles = new Map<string, ModuleBundle | { file: string; error: string }>();
  private contextHash: string | undefined;

  constructor(
    private readonly limits: SandboxLimits,
    private readonly files: Record<string, string>,
    /** a CSV input the run that may adopt this sandbox reads through it */
    private readonly input?: string,
    /** editor buffers not saved yet: modules are checked as they are there */
    private readonly sources?: UnsavedSources,
  ) {}

  /**
   * The limits and granted files, part of every cached shape's key. Hashed when the first module is looked at: a
   * config without user code never needs it, and SHA-256's first use costs about a millisecond of its `check`.
   */
  private get context(): string {
    if (this.contextHash === undefined) {
      const h = createHash('sha256').update(JSON.stringify(this.limits));
      for (const [name, text] of Object.entries(this.files)) h.update(name).update('\0').update(text).update('\0');
      this.contextHash = h.digest('hex');
    }
    return this.contextHash;
  }

  private async bundle(file: string): Promise<ModuleBundle | { file: string; error: string }> {
    let b = this.bundles.get(file);
    if (!b) {
      b = await bundleModule(file, this.sources);
      this.bundles.set(file, b);
    }
    return b;
  }

  private keyOf(b: ModuleBundle): string {
    return createHash('sha256').update(this.context).update(b.code).digest('hex');
  }

  /** Loads a bundle into this inspector's sandbox (once); its shape, or why it failed. */
  private async load(b: ModuleBundle): Promise<{ index: number; result: Shape }> {
    const known = this.loaded.get(b.file);
    if (known !== undefined) return known;
    this.sandbox ??= new SandboxProcess(this.limits, path.basename(b.file), this.input ? [this.input] : []);
    this.sandbox.label = path.basename(b.file);
    const first = this.loadedCount === 0;
    try {
      const r = await this.sandbox.request<LoadResult>(
        { op: 'load', bundles: [b], files: first ? this.files : {} },
        { deadlineMs: 3 * this.limits.startupTimeoutMs + 5000 },
      );
      const loaded = { index: this.loadedCount++, result: r.modules[0]! };
      this.loadedBundles.push(b);
      if (!('error' in loaded.result)) this.loaded.set(b.file, loaded);
      return loaded;
    } catch (e) {
      // the process is gone (memory, crash): a fresh one starts with the next request
      this.loaded = new Map();
      this.loadedCount = 0;
      this.loadedBundles = [];
      return { index: -1, result: { error: e instanceof SandboxError ? e.message : (e as Error).message } };
    }
  }

  async shapeOf(file: string): Promise<{ bundle: ModuleBundle; shape: ModuleShape } | { error: string }> {
    const b = await this.bundle(file);
    if ('error' in b) return { error: b.error };
    const key = this.keyOf(b);
    const r = shapes.get(key) ?? remember(shapes, key, (await this.load(b)).result);
    return 'error' in r ? r : { bundle: b, shape: r.shape };
  }

  /** The answer of a module's i-th transform function's resultType to these argument types. */
  async resultType(file: string, index: number, types: FieldType[]): Promise<Answer> {
    const b = await this.bundle(file);
    if ('error' in b) return { error: b.error };
    const key = `${this.keyOf(b)}:${index}:${types.join(',')}`;
    const hit = answers.get(key);
    if (hit) return hit;
    const { index: m, result } = await this.load(b);
    if ('error' in result) return result;
    this.sandbox!.label = path.basename(file);
    try {
      const a = await this.sandbox!.request<Answer>({ op: 'resultType', module: m, index, types }, { deadlineMs: this.limits.startupTimeoutMs + 5000 });
      return remember(answers, key, a);
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  /**
   * Hands over the sandbox when it has loaded exactly these bundles, in this
   * order (a run that follows its check then starts no second process).
   */
  adopt(bundles: readonly ModuleBundle[]): SandboxProcess | undefined {
    const s = this.sandbox;
    const same = bundles.length === this.loadedBundles.length && bundles.every((b, i) => b === this.loadedBundles[i]);
    if (!s?.alive || !same) return undefined;
    this.sandbox = undefined;
    return s;
  }

  async close(): Promise<void> {
    await this.sandbox?.close();
  }
}
