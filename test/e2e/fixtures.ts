/**
 * A web-mode workbench per test: `node out/main/web-main.js` on a free port,
 * over a fresh copy of a sample project in a temp folder, with its own state
 * folder (recent projects, trusted folders) and the temp folder as its home
 * folder (what the folder picker and typed paths may reach), so nothing
 * outside the temp folder is touched.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = path.join(root, 'test/e2e/screenshots');

export interface Workbench {
  url: string;
  /** temp folder holding the project copy (and anything else the test writes) */
  tmp: string;
  /** the project folder (absent when started without one) */
  project: string;
  server: ChildProcess;
  log: () => string;
}

export interface StartOptions {
  sample?: string;
  openProject?: boolean;
  /** writes the project into the given folder instead of copying the sample */
  writeProject?: (dir: string) => void;
  /** start with the project trusted (`--trust`, as a person who knows the folder would); default true */
  trust?: boolean;
}

export async function startWorkbench(opts: StartOptions = {}): Promise<Workbench> {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-e2e-')));
  const project = path.join(tmp, opts.sample ?? 'sensors');
  if (opts.openProject !== false) {
    if (opts.writeProject) opts.writeProject(project);
    else fs.cpSync(path.join(root, 'samples', opts.sample ?? 'sensors'), project, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  }
  const args = [path.join(root, 'out/main/web-main.js'), '--port', '0'];
  if (opts.openProject !== false) args.push('--project', project);
  if (opts.openProject !== false && opts.trust !== false) args.push('--trust');
  const server = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, HOME: tmp, TS_ENGINE_STATE_DIR: path.join(tmp, 'state'), TS_ENGINE_PROJECTS: path.join(tmp, 'projects') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode did not start in 15 s:\n${out}`)), 15_000);
    const poll = setInterval(() => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m[1]!);
      }
    }, 50);
    server.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`web mode exited with ${code}:\n${out}`));
    });
  });
  return { url, tmp, project, server, log: () => out };
}

/**
 * Stops the server, after `page` has left it: a page still loading (a reload at the end of a test,
 * Monaco's language modes loaded on demand) would otherwise see its requests refused and report the
 * failures as page errors of the test.
 */
export async function stopWorkbench(w: Workbench, page?: Page): Promise<void> {
  if (page && !page.isClosed()) {
    // the WebSocket does not count: this waits for the page's lazy imports and API calls
    await page.waitForLoadState('networkidle', { timeout: 15_000 }).catch(() => {});
    await page.goto('about:blank');
  }
  if (w.server.exitCode === null) {
    const exited = new Promise((r) => w.server.once('exit', r));
    w.server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (w.server.exitCode === null) w.server.kill('SIGKILL');
  }
  fs.rmSync(w.tmp, { recursive: true, force: true });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

/** The page opened on the workbench, with page errors failing the test. */
export const test = base.extend<{ wb: Workbench; errors: string[] }>({
  errors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await use(errors);
    expect(errors, 'errors thrown in the page').toEqual([]);
  },
  wb: async ({ page }, use) => {
    const w = await startWorkbench();
    await use(w);
    await stopWorkbench(w, page);
  },
});

export { expect };

/** 1-based line of the first line of a file containing `needle`. */
export function lineOf(file: string, needle: string): number {
  const i = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return i + 1;
}
