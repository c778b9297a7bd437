/**
 * The engine's side of a sandbox process (docs/sandbox.md): starts it with a
 * heap limit and the Node permission model, sends requests, watches its
 * resident memory, and kills it when it exceeds its limits or the engine stops.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { workerScript } from '../paths.js';
import type { FailureKind, Reply, Request, SandboxEvent, SandboxLimits } from './protocol.js';

/**
 * node:child_process, loaded when a sandbox first starts: with node:net and node:dgram it cost every command ≈ 4 ms of
 * its start-up, and most runs have no user code (docs/performance.md#start-up).
 */
const childProcess = () => process.getBuiltinModule('node:child_process');

/** Exit code of a sandbox that found itself over its memory limit (host.ts). */
const MEMORY_EXIT_CODE = 86;
const WATCH_INTERVAL_MS = 20;

export type SandboxFailureKind = FailureKind | 'memory' | 'crash';

export class SandboxError extends Error {
  override name = 'SandboxError';
  constructor(
    readonly kind: SandboxFailureKind,
    message: string,
  ) {
    super(message);
  }
}

const live = new Set<SandboxProcess>();
let exitHookInstalled = false;

let permissionFlag: string | null | undefined;

/**
 * Node's permission model keeps the sandbox process from writing files,
 * starting processes or loading addons; it reads the engine's code and the
 * input file it is given (user code in its realm has no file access at all).
 */
function permissionArgs(dist: string, readable: readonly string[]): string[] {
  if (permissionFlag === undefined) {
    const flags = process.allowedNodeEnvironmentFlags;
    permissionFlag = flags.has('--permission') ? '--permission' : flags.has('--experimental-permission') ? '--experimental-permission' : null;
    // Electron's Node may list a flag it does not accept when run as Node: try it once
    if (permissionFlag && process.versions.electron) {
      const probe = childProcess().spawnSync(process.execPath, [permissionFlag, '--no-warnings', '-e', '0'], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        timeout: 10_000,
      });
      if (probe.status !== 0) permissionFlag = null;
    }
  }
  return permissionFlag ? [permissionFlag, ...[path.join(dist, '*'), ...readable].map((f) => `--allow-fs-read=${f}`)] : [];
}

function residentMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class SandboxProcess {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private stderrTail = '';
  /** why we ended the process ourselves */
  private endReason: SandboxError | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private exitedPromise: Promise<SandboxError> | undefined;
  onEvent: ((e: SandboxEvent) => void) | undefined;

  /** files the process may read besides the engine's code (a CSV input it reads itself) */
  private readonly readable: string[];

  constructor(
    readonly limits: SandboxLimits,
    /** the user modules it hosts (or is loading), for messages */
    public label: string,
    readable: readonly string[] = [],
  ) {
    // the permission flag separates paths with commas
    this.readable = readable.filter((f) => path.isAbsolute(f) && !f.includes(','));
  }

  /** Whether the process may read this file. */
  reads(file: string): boolean {
    if (permissionFlag === undefined) permissionArgs('', []);
    return permissionFlag === null || this.readable.includes(file);
  }

  get alive(): boolean {
    return this.child !== undefined;
  }

  memoryError(): SandboxError {
    return new SandboxError(
      'memory',
      `user code in ${this.label} exceeded the sandbox memory limit of ${this.limits.memoryMb} MB (sandbox.memory_mb); the sandbox was stopped`,
    );
  }

  private start(): ChildProcess {
    const script = workerScript('sandbox-host');
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    const child = childProcess().fork(script, [JSON.stringify(this.limits)], {
      execArgv: [`--max-old-space-size=${this.limits.memoryMb}`, ...permissionArgs(path.dirname(script), this.readable), '--no-warnings'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env,
      // its own process group: a terminal's Ctrl-C goes to the engine, which stops the run and then the sandbox
      detached: process.platform !== 'win32',
    });
    this.child = child;
    this.endReason = undefined;
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const s of live) s.child?.kill('SIGKILL');
      });
    }
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
    });
    child.on('message', (m: Reply | SandboxEvent) => {
      if ('event' in m) {
        this.onEvent?.(m);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.refIfBusy();
      if (m.ok) p.resolve(m.result);
      else p.reject(new SandboxError(m.kind, m.message));
    });
    child.on('error', () => {
      // a failed send or spawn ends in 'exit' as well, which reports it
    });
    this.exitedPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        clearInterval(this.watchdog);
        live.delete(this);
        if (this.child === child) this.child = undefined;
        const err = this.endReason ?? this.classifyExit(code, signal);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        resolve(err);
      });
    });
    if (child.pid !== undefined && residentMb(child.pid) !== undefined) {
      const pid = child.pid;
      this.watchdog = setInterval(() => {
        const mb = residentMb(pid);
        if (mb !== undefined && mb > this.limits.memoryMb) this.kill(this.memoryError());
      }, WATCH_INTERVAL_MS);
      this.watchdog.unref();
    }
    (child.stderr as unknown as { unref?(): void }).unref?.();
    this.refIfBusy();
    return child;
  }

  private classifyExit(code: number | null, signal: NodeJS.Signals | null): SandboxError {
    if (code === MEMORY_EXIT_CODE || /heap out of memory|Reached heap limit|allocation failed|invalid size error|Invalid array length/i.test(this.stderrTail)) {
      return this.memoryError();
    }
    return new SandboxError('crash', `the sandbox process of ${this.label} ended unexpectedly (${signal ?? `exit code ${code}`})`);
  }

  /** An idle sandbox never keeps the engine's process alive. */
  private refIfBusy(): void {
    const c = this.child;
    if (!c) return;
    const channel = c.channel as unknown as { ref?(): void; unref?(): void } | undefined;
    if (this.pending.size > 0) {
      c.ref();
      channel?.ref?.();
    } else {
      c.unref();
      channel?.unref?.();
    }
  }

  /** Sends a request; with `deadlineMs`, a sandbox that has not answered by then is killed. */
  request<T>(req: Request, opts: { deadlineMs?: number; deadlineMessage?: string } = {}): Promise<T> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => clearTimeout(timer);
      this.pending.set(id, {
        resolve: (v) => {
          done();
          resolve(v as T);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      if (opts.deadlineMs !== undefined) {
        timer = setTimeout(() => {
          this.kill(
            new SandboxError('timeout', opts.deadlineMessage ?? `the sandbox of ${this.label} did not answer within ${opts.deadlineMs} ms and was stopped`),
          );
        }, opts.deadlineMs);
      }
      this.refIfBusy();
      child.send({ id, ...req });
    });
  }

  /** Sends a message that has no answer. */
  notify(req: Request): void {
    this.child?.send({ id: 0, ...req });
  }

  kill(reason: SandboxError): void {
    if (!this.child) return;
    this.endReason ??= reason;
    this.child.kill('SIGKILL');
  }

  /** Ends the process; resolves once it is gone. */
  async close(): Promise<void> {
    const c = this.child;
    if (!c) return;
    // an idle sandbox is unreferenced: hold the event loop until it is gone
    c.ref();
    this.kill(new SandboxError('internal', 'the sandbox was closed'));
    await this.exitedPromise;
  }
}
