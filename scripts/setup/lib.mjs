// Plumbing for the test set-up steps (scripts/setup/steps.mjs): where caches live, verified
// downloads, child processes whose output goes to a log file, a cross-process lock per step,
// and the two ways a step can end without a result. How the pieces fit: docs/testing.md.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Per-clone cache (git-ignored): extracted tools, built servers, jars, venvs, logs. */
export const CACHE_DIR = process.env.TS_ENGINE_CACHE ? path.resolve(process.env.TS_ENGINE_CACHE) : path.join(REPO_ROOT, '.cache');

/**
 * Per-user cache of verified downloads (archives, .deb files), shared by every clone on the
 * machine like ~/.m2 or the Go caches: a fresh clone re-extracts instead of re-downloading.
 */
export const DOWNLOADS_DIR = process.env.TS_ENGINE_DOWNLOADS
  ? path.resolve(process.env.TS_ENGINE_DOWNLOADS)
  : path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ts-engine', 'downloads');

/** Something a step needs is missing here and cannot be fetched: say what and how to get it. */
export class Unavailable extends Error {
  /** @param {string} reason @param {string} remedy */
  constructor(reason, remedy) {
    super(`${reason}; ${remedy}`);
    this.name = 'Unavailable';
    this.reason = reason;
    this.remedy = remedy;
  }
}

/** A step tried and failed (network, build error); `log` holds the whole story. */
export class SetupError extends Error {
  /** @param {string} message @param {string | undefined} log */
  constructor(message, log) {
    super(message);
    this.name = 'SetupError';
    this.log = log;
  }
}

/** Path relative to the repository when inside it: shorter progress lines. */
export function shown(p) {
  const rel = path.relative(REPO_ROOT, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** First executable named `name` on PATH (or on `envPath`). */
export function which(name, envPath = process.env.PATH ?? '') {
  for (const dir of envPath.split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Output of a quick probe command (`java -version`, `go env GOVERSION`), or undefined if it cannot run. */
export function probe(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 60_000 });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`;
}

/** Compares dotted versions numerically: '1.10' > '1.9'. */
export function versionAtLeast(version, min) {
  const a = version.split(/[.+_-]/).map((x) => Number.parseInt(x, 10) || 0);
  const b = min.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

// ------------------------------------------------------------------ stamps --

/** A directory is complete when its stamp holds the key of what was put there (written last). */
export function readStamp(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, '.ready.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeStamp(dir, stamp) {
  fs.writeFileSync(path.join(dir, '.ready.json'), `${JSON.stringify(stamp, null, 2)}\n`);
}

export function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

/** Replaces `dest` by the finished `tmp` directory in one rename (readers never see half a folder). */
export function publishDir(tmp, dest) {
  if (fs.existsSync(dest)) {
    const old = `${dest}.old-${process.pid}`;
    fs.renameSync(dest, old);
    fs.rmSync(old, { recursive: true, force: true });
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.renameSync(tmp, dest);
}

/** A fresh scratch directory beside `dest` (same file system, so publishDir can rename it). */
export function scratchDir(dest) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  return fs.mkdtempSync(`${dest}.tmp-`);
}

// ------------------------------------------------------------------- locks --

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding a lock directory, so two test processes never fetch the same thing
 * at once (the second waits, then finds it ready). A lock whose owner died is taken over.
 */
export async function withLock(name, fn, onWait) {
  const dir = path.join(CACHE_DIR, 'locks', `${name}.lock`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = Number.parseInt(fs.readFileSync(path.join(dir, 'pid'), { encoding: 'utf8', flag: 'a+' }), 10);
      if (owner === process.pid) throw new Error(`set-up lock ${name} taken twice by one process`);
      if (Number.isInteger(owner) && !pidAlive(owner)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (!told) onWait?.(Number.isInteger(owner) ? owner : undefined);
      told = true;
      // another process is fetching; it removes the lock when done
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// --------------------------------------------------------------- processes --

/** Process groups of running set-up commands: killed when this process ends. */
const running = new Set();
let exitHookInstalled = false;

function killRunning() {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
}

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killRunning);
}

/** Kills every set-up command still running (a build in the background when the tests failed). */
export function abortRunning() {
  killRunning();
}

/**
 * Runs a command to completion with its output appended to `log` (never on the console).
 * Fails with the command's last output line. `nice` lowers its CPU priority (background builds).
 */
export async function run(cmd, args, { env = process.env, cwd, log, nice = false, what }) {
  installExitHook();
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const out = fs.openSync(log, 'a');
  fs.writeSync(out, `\n$ ${[cmd, ...args].join(' ')}${cwd ? `   (in ${cwd})` : ''}\n`);
  const [file, argv] = nice && which('nice', env.PATH) ? ['nice', ['-n', '10', cmd, ...args]] : [cmd, args];
  // own process group: a build's compilers and linkers go with it when it is aborted
  const child = spawn(file, argv, { env, cwd, stdio: ['ignore', out, out], detached: true });
  running.add(child.pid);
  const code = await new Promise((resolve) => {
    child.on('error', (err) => {
      fs.writeSync(out, `cannot run ${cmd}: ${err.message}\n`);
      resolve(-1);
    });
    child.on('exit', (c, signal) => resolve(c ?? signal));
  });
  running.delete(child.pid);
  fs.closeSync(out);
  if (code !== 0) {
    throw new SetupError(`${what ?? path.basename(cmd)} failed (exit ${code}): ${lastLine(log)}`, log);
  }
}

/** The last non-empty line of a log file (the error, usually). */
export function lastLine(log) {
  try {
    const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i].trim();
      if (l && !l.startsWith('$ ')) return l.length > 300 ? `${l.slice(0, 300)}…` : l;
    }
  } catch {
    /* no log */
  }
  return '(no output)';
}

export function tailOf(log, lines = 30) {
  try {
    return fs.readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// --------------------------------------------------------------- downloads --

/**
 * Downloads `url` into the per-user download cache and checks its digest (`sha256`, `sha512` or
 * `sha1` hex, or a custom `verify(file)`), reusing a verified earlier download. Returns the path.
 * Network errors and 5xx answers are retried three times.
 */
export async function download(url, { sha256: s256, sha512, sha1, verify, log, name = path.basename(new URL(url).pathname) }) {
  const [algo, want] = s256 ? ['sha256', s256] : sha512 ? ['sha512', sha512] : sha1 ? ['sha1', sha1] : [undefined, undefined];
  if (!algo && !verify) throw new Error(`download ${url}: no digest to check it against`);
  fs.mkdirSync(DOWNLOADS_DIR, { recursive: true });
  const file = path.join(DOWNLOADS_DIR, want ? `${want.slice(0, 16)}-${name}` : name);
  const ok = async (f) => (algo ? (await digestOf(f, algo)) === want : await verify(f));
  if (fs.existsSync(file) && (await ok(file))) return file;

  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const tmp = `${file}.part-${process.pid}`;
    try {
      fs.appendFileSync(log, `GET ${url} (attempt ${attempt})\n`);
      const res = await fetch(url, { redirect: 'follow' });
      if (!res.ok) {
        lastError = new SetupError(`GET ${url}: HTTP ${res.status}`, log);
        if (res.status < 500) break;
      } else {
        await fs.promises.writeFile(tmp, res.body);
        if (!(await ok(tmp))) throw new SetupError(`GET ${url}: the download does not match its ${algo ?? 'expected'} digest`, log);
        fs.renameSync(tmp, file);
        return file;
      }
    } catch (e) {
      lastError = e instanceof SetupError ? e : new SetupError(`GET ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`, log);
      if (e instanceof SetupError) break;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
  }
  throw lastError;
}

export async function digestOf(file, algo) {
  const h = createHash(algo);
  for await (const chunk of fs.createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}
