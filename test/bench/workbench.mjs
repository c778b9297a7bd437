#!/usr/bin/env node
// Workbench benchmark (docs/performance.md#the-workbench): the sensor sample's config (analysis on) over a 1 M-row copy of
// its CSV, replayed at max speed by `ts-engine run` and by the workbench in Chromium (web mode), in the same run,
// alternating, median of --repeat runs. During each UI replay a tab is clicked every 150 ms and the time from the click
// to the next frame is recorded (input latency); the page's JS heap (after a forced GC) is taken before the run and
// after it. Targets (issue 13): UI rows/s ≥ 0.8 × the CLI's; p95 click → frame ≤ 100 ms; heap at the end ≤ 1.3 × at
// the start. Prints a table and, with --json, one JSON line at the end.
//
//   node test/bench/workbench.mjs [--rows N] [--repeat N] [--json] [--verbose: each replay's click latencies in order]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { optionReader, sensorsCsv } from './generated.mjs';
import { ensureStep } from '../../scripts/setup/index.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'bin/ts-engine.mjs');
const args = process.argv.slice(2);
const opt = optionReader(args);
const repeat = Number(opt('repeat', 3));
const rows = Number(opt('rows', 1_000_000));
/** --click-every MS: a tab clicked this often during the replay (0: none, to profile the replay alone) */
const CLICK_EVERY_MS = Number(opt('click-every', 150));
/** --tabs a,b: the tabs clicked in turn (the latest windows and the charts by default) */
const TABS = opt('tabs', 'windows,chart').split(',');
/** --profile DIR: CPU profiles of the page (CDP) and of the web-mode server (--cpu-prof) of the last UI run */
const profileDir = opt('profile', undefined);

const ensureData = async () => (await sensorsCsv('workbench', rows)).csv;

/** a copy of the sample project reading `csv` */
function project(csv, dir) {
  cpSync(join(ROOT, 'samples/sensors'), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.input.options.path = csv;
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return configPath;
}

const clearStore = (dir) => rmSync(join(dir, 'data/sensors.db'), { force: true });

function cliRun(configPath) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'run', configPath, '--no-progress'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`ts-engine run exited ${r.status}\n${r.stderr}`);
  return seconds;
}

async function startServer(dir, home) {
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profileDir)] : [];
  const server = spawn(process.execPath, [...prof, join(ROOT, 'out/main/web-main.js'), '--port', '0', '--project', dir, '--trust'], {
    cwd: ROOT,
    env: { ...process.env, HOME: home, TS_ENGINE_STATE_DIR: join(home, 'state'), TS_ENGINE_PROJECTS: join(home, 'projects') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout.on('data', (d) => (out += d));
  server.stderr.on('data', (d) => (out += d));
  const url = await new Promise((res, rej) => {
    const poll = setInterval(() => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearInterval(poll);
        res(m[1]);
      }
    }, 50);
    server.once('exit', (code) => {
      clearInterval(poll);
      rej(new Error(`web mode exited with ${code}:\n${out}`));
    });
  });
  return { server, url };
}

async function heapMB(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize').value / 1e6;
}

/** one UI replay: seconds from the click on Run to "finished" on screen, the click → frame latencies, the heap before and after */
async function uiRun(browser, url, server) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(url);
  await page.getByTestId('problems-summary').filter({ hasText: '0 errors' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('tab-chart').click();
  await page.waitForTimeout(500);
  // the time from a click's event to the first task after the next frame (the click has been painted)
  await page.evaluate(() => {
    const w = /** @type {any} */ (globalThis);
    w.__latencies = [];
    document.addEventListener(
      'pointerdown',
      (e) => {
        const at = e.timeStamp;
        requestAnimationFrame(() => setTimeout(() => w.__latencies.push(performance.now() - at), 0));
      },
      { capture: true },
    );
  });
  const heapStart = await heapMB(cdp);
  const tabs = [];
  for (const t of TABS) tabs.push(await page.getByTestId(`tab-${t}`).boundingBox());
  const state = page.getByTestId('run-state');
  if (profileDir) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
    await browser.startTracing(page, { path: join(profileDir, 'page-trace.json'), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  }
  // the replay's time is taken in the page, from the click on Run to the frame "finished" appears in
  // (the polling below would add up to a click interval to it)
  await page.evaluate(() => {
    const w = /** @type {any} */ (globalThis);
    w.__runStart = null;
    w.__runEnd = null;
    const run = document.querySelector('[data-testid="run-start"]');
    document.addEventListener(
      'click',
      (e) => {
        if (w.__runStart === null && e.target instanceof Node && run?.contains(e.target)) w.__runStart = e.timeStamp;
      },
      { capture: true },
    );
    const ended = new MutationObserver(() => {
      const text = document.querySelector('[data-testid="run-state"]')?.textContent;
      if (w.__runStart !== null && w.__runEnd === null && (text === 'finished' || text === 'failed' || text === 'stopped')) {
        w.__runEnd = performance.now();
        ended.disconnect();
      }
    });
    ended.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const cpuAtStart = cpuSeconds(server.pid);
  const t0 = performance.now();
  await page.getByTestId('run-start').click();
  let clicks = 0;
  for (;;) {
    const text = await state.textContent();
    if (text === 'finished' || text === 'failed' || text === 'stopped') {
      if (text !== 'finished') throw new Error(`the UI replay ended ${text}`);
      break;
    }
    if (CLICK_EVERY_MS === 0) {
      await page.waitForTimeout(100);
      continue;
    }
    const b = tabs[clicks++ % tabs.length];
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    await page.waitForTimeout(CLICK_EVERY_MS);
  }
  const cpu = cpuSpent(cpuAtStart, cpuSeconds(server.pid));
  const polledSeconds = (performance.now() - t0) / 1000;
  const inPage = await page.evaluate(() => {
    const w = /** @type {any} */ (globalThis);
    return w.__runStart !== null && w.__runEnd !== null ? (w.__runEnd - w.__runStart) / 1000 : null;
  });
  const seconds = inPage ?? polledSeconds;
  if (profileDir) {
    await browser.stopTracing();
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(join(profileDir, 'page.cpuprofile'), JSON.stringify(profile));
  }
  if (args.includes('--verbose'))
    console.log(`  click → frame, in order: ${(await page.evaluate(() => /** @type {any} */ (globalThis).__latencies)).map((l) => l.toFixed(0)).join(' ')}`);
  const progress = await page.getByTestId('run-progress').textContent();
  const latencies = await page.evaluate(() => /** @type {any} */ (globalThis).__latencies.splice(0));
  // the same clicks with the run over: what the tabs cost by themselves
  await page.waitForTimeout(500);
  for (let i = 0; i < 10; i++) {
    const b = tabs[i % tabs.length];
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    await page.waitForTimeout(300);
  }
  const idleLatencies = await page.evaluate(() => /** @type {any} */ (globalThis).__latencies.splice(0));
  await page.getByTestId('tab-chart').click();
  await page.waitForTimeout(1000);
  const heapEnd = await heapMB(cdp);
  await page.goto('about:blank');
  await page.close();
  return { seconds, polledSeconds, cpu, latencies, idleLatencies, heapStart, heapEnd, progress };
}

/**
 * CPU seconds (user + system, from /proc) so far of the web-mode server and of each kind of
 * Chromium process (browser, renderer, gpu-process, utility…): where the cores went during a UI
 * replay. Empty where there is no /proc.
 */
function cpuSeconds(serverPid) {
  const byKind = {};
  if (!existsSync('/proc')) return byKind;
  const ticks = 100;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const kind = Number(pid) === serverPid ? 'server' : /chrom/.test(cmd.split('\0')[0] ?? '') ? (/--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser') : null;
      if (kind === null) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byKind[kind] = (byKind[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / ticks;
    } catch {
      // the process ended meanwhile
    }
  }
  return byKind;
}

/** what each kind used between two cpuSeconds (a renderer started meanwhile counts whole) */
const cpuSpent = (before, after) => Object.fromEntries(Object.entries(after).map(([k, v]) => [k, Math.max(0, v - (before[k] ?? 0))]));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

const csv = await ensureData();
if (!existsSync(join(ROOT, 'out/main/web-main.js')) || args.includes('--build')) {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
const chromiumPath = (await ensureStep('chromium')).path;
const tmp = mkdtempSync(join(tmpdir(), 'bench-workbench-'));
const cliDir = join(tmp, 'cli');
const uiDir = join(tmp, 'ui');
const cliConfig = project(csv, cliDir);
project(csv, uiDir);
const { server, url } = await startServer(uiDir, join(tmp, 'home'));
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  const load1AtStart = loadavg()[0];
  const cli = [];
  const ui = [];
  for (let i = 0; i < repeat; i++) {
    clearStore(cliDir);
    cli.push(cliRun(cliConfig));
    clearStore(uiDir);
    ui.push(await uiRun(browser, url, server));
  }
  const uiSeconds = median(ui.map((u) => u.seconds));
  const cliSeconds = median(cli);
  const latencies = ui.flatMap((u) => u.latencies);
  const idle = ui.flatMap((u) => u.idleLatencies);
  const last = ui.at(-1);
  const result = {
    rows,
    repeat,
    cliSeconds,
    uiSeconds,
    uiOverCli: cliSeconds / uiSeconds,
    clicks: latencies.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    latencyMaxMs: Math.max(...latencies),
    idleLatencyP50Ms: percentile(idle, 50),
    idleLatencyP95Ms: percentile(idle, 95),
    heapStartMB: median(ui.map((u) => u.heapStart)),
    heapEndMB: median(ui.map((u) => u.heapEnd)),
    heapEndOverStart: median(ui.map((u) => u.heapEnd / u.heapStart)),
    uiProgress: last.progress,
    load1AtStart,
    load1AtEnd: loadavg()[0],
  };
  const kinds = [...new Set(ui.flatMap((u) => Object.keys(u.cpu)))].sort();
  result.cpuSeconds = Object.fromEntries(kinds.map((k) => [k, median(ui.map((u) => u.cpu[k] ?? 0))]));
  const fmt = (n) => n.toFixed(2);
  console.log(
    `\nworkbench replay of ${rows.toLocaleString('en-US')} rows, analysis on, max speed (median of ${repeat}, load ${fmt(load1AtStart)} → ${fmt(result.load1AtEnd)})`,
  );
  console.log(`  ts-engine run (CLI)           ${fmt(cliSeconds)} s   ${Math.round(rows / cliSeconds).toLocaleString('en-US')} rows/s`);
  console.log(
    `  workbench (Chromium, web)     ${fmt(uiSeconds)} s   ${Math.round(rows / uiSeconds).toLocaleString('en-US')} rows/s   ${fmt(result.uiOverCli)} × the CLI`,
  );
  console.log(
    `  click → frame during the replay: p50 ${fmt(result.latencyP50Ms)} ms, p95 ${fmt(result.latencyP95Ms)} ms, max ${fmt(result.latencyMaxMs)} ms (${latencies.length} clicks)`,
  );
  console.log(`  the same clicks after the replay:  p50 ${fmt(result.idleLatencyP50Ms)} ms, p95 ${fmt(result.idleLatencyP95Ms)} ms (${idle.length} clicks)`);
  if (kinds.length > 0)
    console.log(
      `  CPU during the UI replay: ${kinds.map((k) => `${k} ${fmt(result.cpuSeconds[k])} s`).join(', ')} (${fmt(uiSeconds)} s on ${availableParallelism()} cores)`,
    );
  console.log(`  page JS heap: ${fmt(result.heapStartMB)} MB before, ${fmt(result.heapEndMB)} MB after (${fmt(result.heapEndOverStart)} ×)`);
  mkdirSync(join(ROOT, 'test/bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'test/bench/results/workbench-latest.json'),
    `${JSON.stringify({ ...result, cli, ui: ui.map(({ latencies: _l, idleLatencies: _i, ...u }) => u) }, null, 2)}\n`,
  );
  if (args.includes('--json')) console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));
  rmSync(tmp, { recursive: true, force: true });
}
