// Shared plumbing for the real-server test harnesses (kafka.ts, influx.ts):
// free loopback ports, a child process that can never outlive the test
// process, a bounded log buffer, and temp-dir clean-up at exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        rej(new Error('no port'));
        return;
      }
      srv.close(() => res(addr.port));
    });
  });
}

/** n distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- clean-up --
// Every live child and every temp dir is registered here. On process exit
// (normal exit, uncaught error, SIGINT/SIGTERM/SIGHUP) children get SIGKILL and
// the temp dirs are removed. Against a SIGKILL of the test process itself
// (where no JS runs) children are started under `setpriv --pdeathsig KILL`,
// so the kernel kills them when their parent dies.

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveChildren.clear();
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSig = () => {
      killAllNow();
      // keep the default behaviour (die by that signal) unless someone else
      // also listens and will decide.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSig);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSig);
  }
}

export function registerTempDir(dir: string): void {
  installHooks();
  tempDirs.add(dir);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * mkdtemp in the OS temp dir, owned by this process (pid in `.owner-pid`),
 * removed at exit. Also sweeps dirs with the same prefix left behind by
 * test processes that were SIGKILLed (their servers died with them through
 * the parent-death signal, but no JS ran to delete their data).
 */
export function makeTempDir(prefix: string): string {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(prefix)) continue;
    const d = join(base, name);
    try {
      const owner = Number(readFileSync(join(d, '.owner-pid'), 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) rmSync(d, { recursive: true, force: true });
    } catch {
      /* not ours, or being created right now */
    }
  }
  const dir = mkdtempSync(join(base, prefix));
  writeFileSync(join(dir, '.owner-pid'), String(process.pid));
  registerTempDir(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

let setprivOk: boolean | undefined;
function haveSetpriv(): boolean {
  if (setprivOk === undefined) {
    const r = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' });
    setprivOk = r.status === 0;
  }
  return setprivOk;
}

/** Keeps the last `max` characters of a child's stdout+stderr. */
export class LogBuffer {
  private chunks: string[] = [];
  private size = 0;
  constructor(private readonly max = 4 * 1024 * 1024) {}
  append(s: string): void {
    this.chunks.push(s);
    this.size += s.length;
    while (this.size > this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }
  text(): string {
    return this.chunks.join('');
  }
  tail(chars = 4000): string {
    const t = this.text();
    return t.length > chars ? t.slice(t.length - chars) : t;
  }
}

export interface Managed {
  child: ChildProcess;
  /** Resolves with the exit code/signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
}

/**
 * Spawns a long-running server process tied to this process's life.
 * stdout/stderr go into `log`.
 */
export function spawnManaged(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; log: LogBuffer }): Managed {
  installHooks();
  const [file, argv] = haveSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv as string[], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let running = true;
  liveChildren.add(child);
  child.stdout!.setEncoding('utf8').on('data', (d: string) => opts.log.append(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => opts.log.append(d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('error', (err) => {
      opts.log.append(`\n[harness] spawn error: ${String(err)}\n`);
      running = false;
      liveChildren.delete(child);
      res({ code: -1, signal: null });
    });
    child.on('exit', (code, signal) => {
      running = false;
      liveChildren.delete(child);
      opts.log.append(`\n[harness] process exited code=${code} signal=${signal}\n`);
      res({ code, signal });
    });
  });
  return { child, exited, isRunning: () => running };
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function terminate(m: Managed, graceMs: number): Promise<void> {
  if (!m.isRunning()) return;
  m.child.kill('SIGTERM');
  const t = setTimeout(() => m.child.kill('SIGKILL'), graceMs);
  await m.exited;
  clearTimeout(t);
}

/** SIGKILL; resolves when the process is gone. */
export async function killHard(m: Managed): Promise<void> {
  if (!m.isRunning()) return;
  m.child.kill('SIGKILL');
  await m.exited;
}

/**
 * Polls `probe` every `intervalMs` until it returns true; fails early if the
 * process exits and after `timeoutMs`.
 */
export async function waitUntil(what: string, m: Managed, log: LogBuffer, probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!m.isRunning()) {
      throw new Error(`${what}: process exited before it was ready. Last log lines:\n${log.tail()}`);
    }
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not ready after ${timeoutMs} ms. Last log lines:\n${log.tail()}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Runs a command to completion without blocking the event loop; throws with
 * the tail of its output on failure, returns the output otherwise.
 */
export async function runChecked(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; what: string }): Promise<string> {
  const log = new LogBuffer(1024 * 1024);
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (d: string) => log.append(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => log.append(d));
  const code = await new Promise<number | null>((res, rej) => {
    child.on('error', (err) => rej(new Error(`${opts.what}: cannot run ${cmd}: ${String(err)}`)));
    child.on('close', (c) => res(c));
  });
  if (code !== 0) {
    throw new Error(`${opts.what} failed (${cmd} ${args.join(' ')}; exit ${code}):\n${log.tail(6000)}`);
  }
  return log.text();
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
