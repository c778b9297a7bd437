/**
 * The contract's implementation: Node + the engine facade, no Electron. The
 * Electron main process (main/index.ts) and the web-mode server
 * (main/web-server.ts) both serve exactly this map; tests call it directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check,
  configJsonSchema,
  dataStructureJsonSchema,
  exportProject,
  isLive,
  listFunctions,
  nodeIO,
  preview,
  readHistory,
  systemClock,
  type Clock,
  type ConfigIO,
  type PipelinePlan,
} from '../../engine/index.js';
import type { AppInfo, CheckResult, Diagnostic, Handlers, Overlay } from './contract.js';
import { copySample, inside, listSamples, openProject, RecentProjects, toPosix, findConfigFile } from './project.js';
import { ActiveRun, type Emit } from './runs.js';
import { Tails, connectionDefaults, listTopics, testInflux, testKafka } from './connections.js';

export interface HandlerOptions {
  mode: AppInfo['mode'];
  /** folder of sample projects (samples/ of the package) */
  samplesDir: string;
  /** where recent projects are remembered */
  stateDir: string;
  /** default parent folder for projects made from samples */
  projectsHome?: string;
  initialProject?: string;
  /** live results of runs go here (IPC send, WebSocket broadcast, a test's array) */
  emit: Emit;
  version?: string;
  /** time of runs and tails (tests: a VirtualClock); the system clock by default */
  clock?: Clock;
}

/** Config-relative I/O that sees unsaved editor buffers first. */
function overlayIO(dir: string, overlay: Overlay | undefined): ConfigIO {
  if (!overlay || Object.keys(overlay).length === 0) return nodeIO;
  const byAbs = new Map(Object.entries(overlay).map(([rel, text]) => [path.resolve(dir, rel), text]));
  return {
    readFile: (abs) => byAbs.get(path.resolve(abs)) ?? nodeIO.readFile(abs),
    exists: (abs) => byAbs.has(path.resolve(abs)) || nodeIO.exists(abs),
  };
}

function relDiagnostics(dir: string, diags: Diagnostic[]): Diagnostic[] {
  return diags.map((d) => {
    const r = path.relative(dir, path.resolve(dir, d.file));
    return { ...d, file: r.startsWith('..') || path.isAbsolute(r) ? d.file : toPosix(r) };
  });
}

/** `~/x` typed in a path field means the home folder. */
const expandHome = (p: string) => (p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p);

function configFileOf(dir: string): string {
  const f = findConfigFile(dir);
  if (!f) throw new Error(`${dir} has no config file`);
  return f;
}

/** check() as plain data, plus the compiled plan for the caller's own use. */
async function checkProject(dirArg: string, overlay?: Overlay): Promise<{ result: CheckResult; plan?: PipelinePlan }> {
  const dir = path.resolve(dirArg);
  const configFile = configFileOf(dir);
  const configAbs = path.join(dir, configFile);
  const text = overlay?.[configFile];
  const r = await check(configAbs, text, overlayIO(dir, overlay));
  return { result: { ok: r.ok, diagnostics: relDiagnostics(dir, r.diagnostics), summary: r.summary }, plan: r.plan };
}

export function createHandlers(opts: HandlerOptions): Handlers & { dispose(): Promise<void> } {
  const recent = new RecentProjects(path.join(opts.stateDir, 'recent-projects.json'));
  const projectsHome = opts.projectsHome ?? path.join(os.homedir(), 'ts-engine-projects');
  let run: ActiveRun | undefined;
  const clock = opts.clock ?? systemClock;
  const tails = new Tails(opts.emit, undefined, clock);

  const requireRun = () => {
    if (!run || run.finished) throw new Error('no run in progress');
    return run;
  };

  return {
    async 'app.info'() {
      return {
        version: opts.version ?? '0.1.0',
        mode: opts.mode,
        samples: listSamples(opts.samplesDir),
        recent: recent.list(),
        initialProject: opts.initialProject,
        projectsHome,
      };
    },

    async 'schema.get'() {
      return { config: configJsonSchema as object, dataStructure: dataStructureJsonSchema as object };
    },

    async 'functions.list'({ dir }) {
      if (dir) {
        const { plan } = await checkProject(dir).catch(() => ({ plan: undefined }));
        if (plan) return listFunctions(plan);
      }
      return listFunctions();
    },

    async 'fs.listDir'({ path: p }) {
      const abs = path.resolve(p && p.length > 0 ? expandHome(p) : os.homedir());
      const entries = fs
        .readdirSync(abs, { withFileTypes: true })
        .filter((e) => !e.name.startsWith('.'))
        .map((e) => ({ name: e.name, dir: e.isDirectory() }))
        .sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
      const parent = path.dirname(abs);
      return { path: abs, parent: parent === abs ? null : parent, entries };
    },

    async 'project.open'({ dir }) {
      const info = openProject(expandHome(dir));
      recent.add(info.dir);
      return info;
    },

    async 'project.fromSample'({ sample, dir }) {
      const samples = listSamples(opts.samplesDir);
      if (!samples.some((s) => s.name === sample)) throw new Error(`unknown sample ${JSON.stringify(sample)} (have: ${samples.map((s) => s.name).join(', ')})`);
      const dest = path.resolve(expandHome(dir));
      copySample(path.join(opts.samplesDir, sample), dest);
      const info = openProject(dest);
      recent.add(info.dir);
      return info;
    },

    async 'project.recent'() {
      return recent.list();
    },

    async 'file.read'({ dir, path: rel }) {
      const abs = inside(dir, rel);
      return { text: fs.readFileSync(abs, 'utf8'), mtimeMs: fs.statSync(abs).mtimeMs };
    },

    async 'file.write'({ dir, path: rel, text }) {
      const abs = inside(dir, rel);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      // write-then-rename: a crash never leaves a half-written config on disk
      const tmp = `${abs}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, abs);
      return { mtimeMs: fs.statSync(abs).mtimeMs };
    },

    async 'config.check'({ dir, overlay }) {
      return (await checkProject(dir, overlay)).result;
    },

    async 'config.preview'({ dir, overlay, maxRows }) {
      const started = performance.now();
      const { result, plan } = await checkProject(dir, overlay);
      const p = plan ? preview(plan, { maxRows: maxRows ?? 1000 }) : undefined;
      return { check: result, preview: p, elapsedMs: performance.now() - started };
    },

    async 'run.start'({ dir, speed, startPaused }) {
      if (run && !run.finished) throw new Error('a run is already in progress; stop it first');
      const { result, plan } = await checkProject(dir);
      if (!plan || !result.summary) {
        const first = result.diagnostics.find((d) => d.severity === 'error');
        throw new Error(`the config on disk is invalid${first ? `: ${first.file}:${first.line}:${first.column}: ${first.message}` : ''}`);
      }
      // a live input is never paced: event-time replay speed applies to files only
      const live = isLive(plan.config);
      run = new ActiveRun(plan, opts.emit, { speed: live ? 0 : speed, startPaused, clock });
      return { runId: run.runId, summary: result.summary };
    },

    async 'run.pause'() {
      requireRun().runner.pause();
    },
    async 'run.resume'() {
      requireRun().runner.resume();
    },
    async 'run.step'() {
      requireRun().runner.step();
    },
    async 'run.stop'() {
      const r = run;
      if (!r || r.finished) return;
      r.runner.stop();
      await r.done;
    },
    async 'run.setSpeed'({ speed }) {
      if (!(speed >= 0)) throw new Error('speed must be ≥ 0 (0 = as fast as possible)');
      const r = requireRun();
      if (!isLive(r.plan.config)) r.runner.setSpeed(speed);
    },
    async 'run.status'() {
      return run ? run.status() : null;
    },

    async 'history.load'({ dir, maxWindows }) {
      const { result, plan } = await checkProject(dir);
      if (!plan) return { windows: [], alerts: [], truncated: false, summary: result.summary };
      const h = readHistory(plan, maxWindows ?? 5000, (f) => toPosix(path.relative(path.resolve(dir), f)));
      return { ...h, summary: result.summary };
    },

    async 'export.write'({ dir, outDir }) {
      const { result } = await checkProject(dir);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0)
        throw new Error(
          `the config on disk is invalid (${errors.length} error${errors.length > 1 ? 's' : ''}); fix it before exporting: ${errors[0]!.file}:${errors[0]!.line}:${errors[0]!.column}: ${errors[0]!.message}`,
        );
      const r = exportProject(path.join(path.resolve(dir), configFileOf(path.resolve(dir))), path.resolve(expandHome(outDir)));
      return { outDir: r.outDir, files: r.files, warnings: r.warnings, dropped: r.dropped, secrets: r.secrets };
    },

    async 'connection.defaults'({ dir, overlay }) {
      const { plan } = await checkProject(dir, overlay);
      return connectionDefaults(plan?.config);
    },

    async 'connection.testKafka'(a) {
      return testKafka(a, clock);
    },

    async 'connection.listTopics'(a) {
      return listTopics(a, clock);
    },

    async 'connection.tailStart'(a) {
      return tails.start(a);
    },

    async 'connection.tailStop'({ tailId }) {
      await tails.stop(tailId);
    },

    async 'connection.tailKeepAlive'({ tailId }) {
      return tails.keepAlive(tailId);
    },

    async 'connection.testInflux'(a) {
      return testInflux(a, clock);
    },

    async dispose() {
      await tails.stopAll();
      if (run && !run.finished) {
        run.runner.stop();
        await run.done;
      }
    },
  };
}
