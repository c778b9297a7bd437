/**
 * The contract's implementation: Node + the engine facade, no Electron. The
 * Electron main process (main/index.ts) and the web-mode server
 * (main/web-server.ts) both serve exactly this map; tests call it directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkConfig,
  configJsonSchema,
  dataStructureJsonSchema,
  checkForExport,
  EXPORT_TARGETS,
  exportProject,
  isExportTarget,
  planExport,
  refusalOf,
  verifyFlinkExport,
  isLive,
  listFunctions,
  nodeIO,
  preview,
  readHistory,
  summarize,
  systemClock,
  testsFileOf,
  type CheckOptions,
  type Clock,
  type ConfigIO,
  type PipelineConfig,
  type PipelinePlan,
} from '../../engine/index.js';
import type { AppInfo, CheckResult, Diagnostic, Handlers, Overlay, ProjectTrust } from './contract.js';
import { copySample, listSamples, openProject, RecentProjects, toPosix, findConfigFile, userCodeOf } from './project.js';
import { Access, isWithin } from './access.js';
import { TrustStore } from './trust.js';
import { ActiveRun, type Emit } from './runs.js';
import { RunHistory } from './run-history.js';
import { Evaluations, type EvaluationContext } from './evaluate.js';
import { Tails, connectionDefaults, listKeyspaces, listTopics, testCassandra, testInflux, testKafka } from './connections.js';

export interface HandlerOptions {
  mode: AppInfo['mode'];
  /** folder of sample projects (samples/ of the package) */
  samplesDir: string;
  /** where recent projects, trusted folders and the projects' run histories are remembered */
  stateDir: string;
  /** default parent folder for projects made from samples */
  projectsHome?: string;
  initialProject?: string;
  /** the initial project is trusted: a sample the app copied, or `--trust` on the command line */
  trustInitialProject?: boolean;
  /** what the web folder picker browses and typed folders may name (default: the home folder and projectsHome) */
  pickRoots?: string[];
  /** live results of runs go here (IPC send, WebSocket broadcast, a test's array) */
  emit: Emit;
  version?: string;
  /** time of runs and tails (tests: a VirtualClock); the system clock by default */
  clock?: Clock;
}

/** The handler map plus what only the app itself may call (never the renderer: not a contract name). */
export interface HandlerMap extends Handlers {
  /** a folder the user picked in the native dialog (Electron main process) may now be used */
  grantFolder(dir: string): Promise<void>;
  dispose(): Promise<void>;
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
const expandHome = (p: unknown) => (typeof p === 'string' && (p === '~' || p.startsWith('~/')) ? path.join(os.homedir(), p.slice(1)) : p);

function configFileOf(dir: string): string {
  const f = findConfigFile(dir);
  if (!f) throw new Error(`${dir} has no config file`);
  return f;
}

interface Checked {
  result: CheckResult;
  plan?: PipelinePlan;
  /** the validated config, when it has no errors (also when the plan needs user modules that were not loaded) */
  config?: PipelineConfig;
  configFile: string;
  /** the functions the config's modules define (loaded, or parsed in restricted mode), also when it does not compile */
  functions?: Parameters<typeof listFunctions>[0];
}

/** check() of a project folder (a real path) as plain data, plus the compiled plan for the caller's own use. */
async function checkProject(dir: string, overlay: Overlay | undefined, userModules: CheckOptions['userModules']): Promise<Checked> {
  const configFile = configFileOf(dir);
  const text = overlay?.[configFile];
  const r = await checkConfig(path.join(dir, configFile), text, overlayIO(dir, overlay), { userModules });
  const ok = !r.diagnostics.some((d) => d.severity === 'error');
  const result = { ok, diagnostics: relDiagnostics(dir, r.diagnostics), summary: r.plan ? summarize(r.plan) : undefined };
  return { result, plan: r.plan, config: ok ? r.validation?.config : undefined, configFile, functions: r.plan ?? r.extensions };
}

const firstError = (result: CheckResult) => {
  const d = result.diagnostics.find((x) => x.severity === 'error');
  return d ? `${d.file}:${d.line}:${d.column}: ${d.message}` : '';
};

export function createHandlers(opts: HandlerOptions): HandlerMap {
  const recent = new RecentProjects(path.join(opts.stateDir, 'recent-projects.json'));
  const trust = new TrustStore(path.join(opts.stateDir, 'trusted-folders.json'));
  const runHistory = new RunHistory(path.join(opts.stateDir, 'runs'));
  const projectsHome = opts.projectsHome ?? path.join(os.homedir(), 'ts-engine-projects');
  const access = new Access(opts.pickRoots ?? [os.homedir(), projectsHome], () => recent.list());
  let run: ActiveRun | undefined;
  let runDir: string | undefined;
  const clock = opts.clock ?? systemClock;
  const tails = new Tails(opts.emit, undefined, clock);
  const evaluations = new Evaluations();

  if (opts.initialProject) {
    access.grant(opts.initialProject);
    if (opts.trustInitialProject) trust.trust(opts.initialProject);
  }

  const requireRun = () => {
    if (!run || run.finished) throw new Error('no run in progress');
    return run;
  };

  const trustOf = (dir: string, configText?: string): ProjectTrust => {
    const via = trust.covering(dir)?.path;
    let text = configText;
    if (text === undefined) {
      try {
        text = fs.readFileSync(path.join(dir, configFileOf(dir)), 'utf8');
      } catch {
        text = '';
      }
    }
    return { trusted: via !== undefined, via, userCode: userCodeOf(text) };
  };
  /** restricted mode: nothing from an untrusted folder is imported */
  const userModules = (dir: string): CheckOptions['userModules'] => (trust.covering(dir) ? 'load' : 'skip');
  const restricted = (dir: string, what: string, why: string) =>
    new Error(`${what} is off in restricted mode: ${dir} is not a trusted folder, and ${why}. Trust the folder to allow it`);
  /** the config on disk, checked as an export checks it (restricted mode: modules are copied, never loaded) */
  const checkedForExport = async (root: string) => {
    const configFile = configFileOf(root);
    const outcome = await checkForExport(path.join(root, configFile), { userModules: userModules(root) });
    const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      const result = { ok: false, diagnostics: relDiagnostics(root, outcome.diagnostics) };
      throw new Error(`the config on disk is invalid (${errors.length} error${errors.length > 1 ? 's' : ''}); fix it before exporting: ${firstError(result)}`);
    }
    return { outcome, configFile };
  };
  const planProjectExport = async (dir: string, target: string) => {
    if (!isExportTarget(target)) throw new Error(`unknown export target '${target}' (${EXPORT_TARGETS.map((t) => t.name).join(', ')})`);
    const root = access.project(dir);
    const { outcome, configFile } = await checkedForExport(root);
    return planExport(target, path.join(root, configFile), outcome);
  };
  /** evaluations replay the config with its user modules loaded: a trusted folder only, as runs */
  const evaluationOf = (dir: unknown, overlay: Overlay | undefined, what: string): EvaluationContext => {
    const root = access.project(dir);
    if (!trust.covering(root)) throw restricted(root, what, "it replays the config, which loads the config's user modules");
    return { root, configFile: configFileOf(root), io: overlayIO(root, overlay), overlay };
  };
  const needsModules = (t: ProjectTrust) => `it needs the config's user modules (${t.userCode.join(', ')}), which are not loaded until then`;

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
        const root = access.project(dir);
        const { functions } = await checkProject(root, undefined, userModules(root)).catch(() => ({ functions: undefined }));
        if (functions) return listFunctions(functions);
      }
      return listFunctions();
    },

    async 'fs.listDir'({ path: p }) {
      const real = access.folder(p && p.length > 0 ? expandHome(p) : os.homedir(), 'browsing');
      const entries = fs
        .readdirSync(real, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => ({ name: e.name, dir: true as const, project: fs.existsSync(path.join(real, e.name, 'config.json')) || undefined }))
        .sort((a, b) => a.name.localeCompare(b.name));
      return { path: real, parent: access.parentFor(real), entries };
    },

    async 'dialog.pickFolder'() {
      throw new Error('there is no native folder dialog in web mode: use the folder picker');
    },

    async 'project.open'({ dir }) {
      const real = access.folder(expandHome(dir), 'opening a project');
      const info = openProject(real);
      access.opened(real);
      recent.add(real);
      return { ...info, trust: trustOf(real) };
    },

    async 'project.fromSample'({ sample, dir }) {
      const samples = listSamples(opts.samplesDir);
      if (!samples.some((s) => s.name === sample)) throw new Error(`unknown sample ${JSON.stringify(sample)} (have: ${samples.map((s) => s.name).join(', ')})`);
      const dest = access.folder(expandHome(dir), 'a new project');
      copySample(path.join(opts.samplesDir, sample), dest);
      // the app wrote every file of it: nothing to distrust
      trust.trust(dest);
      const info = openProject(dest);
      access.opened(dest);
      recent.add(dest);
      return { ...info, trust: trustOf(dest) };
    },

    async 'project.recent'() {
      return recent.list();
    },

    async 'trust.set'({ dir, trusted, scope }) {
      const root = access.project(dir);
      if (trusted) trust.trust(scope === 'parent' ? path.dirname(root) : root);
      else {
        trust.revoke(root);
        // what runs was loaded while trusted: a revoked folder runs no further
        if (run && !run.finished && runDir !== undefined && isWithin(root, runDir)) {
          run.runner.stop();
          await run.done;
        }
      }
      return trustOf(root);
    },

    async 'trust.list'() {
      return trust.list();
    },

    async 'trust.forget'({ path: folder }) {
      if (typeof folder !== 'string') throw new Error('no folder given');
      trust.forget(folder);
      return trust.list();
    },

    async 'file.read'({ dir, path: rel }) {
      const abs = access.file(dir, rel);
      return { text: fs.readFileSync(abs, 'utf8'), mtimeMs: fs.statSync(abs).mtimeMs };
    },

    async 'file.write'({ dir, path: rel, text }) {
      const abs = access.file(dir, rel);
      if (typeof text !== 'string') throw new Error('no text given');
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      // write-then-rename: a crash never leaves a half-written config on disk
      const tmp = `${abs}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, abs);
      return { mtimeMs: fs.statSync(abs).mtimeMs };
    },

    async 'config.check'({ dir, overlay }) {
      const root = access.project(dir);
      return (await checkProject(root, overlay, userModules(root))).result;
    },

    async 'config.preview'({ dir, overlay, maxRows }) {
      const started = performance.now();
      const root = access.project(dir);
      const { result, plan, configFile } = await checkProject(root, overlay, userModules(root));
      const t = trustOf(root, overlay?.[configFile]);
      // restricted mode: user modules were only parsed; a preview never runs analyses, nor user functions there
      const p = plan && plan.untrusted !== 'rows' ? await preview(plan, { maxRows: maxRows ?? 1000 }) : undefined;
      const why = !p && result.ok && !t.trusted && t.userCode.length > 0 ? restricted(root, 'the preview', needsModules(t)).message : undefined;
      return { check: result, preview: p, trust: t, restricted: why, elapsedMs: performance.now() - started };
    },

    async 'run.start'({ dir, speed, startPaused }) {
      if (run && !run.finished) throw new Error('a run is already in progress; stop it first');
      const root = access.project(dir);
      if (!trust.covering(root)) throw restricted(root, 'running', "a run loads the config's user modules and writes to its outputs");
      const { result, plan, configFile } = await checkProject(root, undefined, 'load');
      if (!plan || !result.summary) throw new Error(`the config on disk is invalid${result.ok ? '' : `: ${firstError(result)}`}`);
      // a live input is never paced: event-time replay speed applies to files only
      const live = isLive(plan.config);
      run = new ActiveRun(plan, opts.emit, {
        configFile,
        speed: live ? 0 : speed,
        startPaused,
        clock,
        onEnd: (record) => runHistory.add(root, record),
      });
      runDir = root;
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
    async 'run.history'({ dir }) {
      return runHistory.list(access.project(dir));
    },

    async 'history.load'({ dir, maxWindows }) {
      const root = access.project(dir);
      const { result, plan } = await checkProject(root, undefined, userModules(root));
      // restricted mode: a plan whose rows need user functions (only parsed) is not one to read history with
      if (!plan || plan.untrusted === 'rows') {
        const t = trustOf(root);
        if (result.ok && !t.trusted && t.userCode.length > 0) throw restricted(root, 'history', needsModules(t));
        return { windows: [], alerts: [], episodes: [], truncated: false, summary: result.summary };
      }
      const h = await readHistory(plan, maxWindows ?? 5000, (f) => toPosix(path.relative(root, f)));
      return { ...h, summary: result.summary };
    },

    async 'export.targets'() {
      return EXPORT_TARGETS.map((t) => ({ ...t }));
    },

    async 'export.plan'({ dir, target }) {
      const planned = await planProjectExport(dir, target);
      const refusal = refusalOf(planned.changes, false, target);
      return { target, changes: planned.changes, ...(refusal ? { refusal } : {}) };
    },

    async 'export.write'({ dir, outDir, target, allowLossy }) {
      const out = access.folder(expandHome(outDir), 'the export');
      if (target === undefined) {
        const root = access.project(dir);
        const { configFile } = await checkedForExport(root);
        const r = exportProject(path.join(root, configFile), out);
        return { outDir: r.outDir, files: r.files, warnings: r.warnings, dropped: r.dropped, secrets: r.secrets, changes: [] };
      }
      const planned = await planProjectExport(dir, target);
      const refusal = refusalOf(planned.changes, allowLossy === true, target);
      if (refusal) throw new Error(`export (${target}) refused: ${refusal.message.replace(' (listed above)', '')}`);
      const files = planned.write(out);
      return { target, changes: planned.changes, outDir: out, files, warnings: [], dropped: [], secrets: planned.secrets };
    },

    async 'export.verify'({ dir, exportDir, csv }) {
      const root = access.project(dir);
      if (!trust.covering(root)) throw restricted(root, 'verifying an export', "it runs the config's user modules and the exported job");
      const job = access.folder(expandHome(exportDir), 'the exported job');
      const csvPath = csv === undefined ? undefined : access.folder(expandHome(csv), 'the CSV to replay');
      return verifyFlinkExport({ configPath: path.join(root, configFileOf(root)), exportDir: job, csv: csvPath });
    },

    async 'backtest.run'({ dir, labels, sweep, labelTimeUnit, overlay }) {
      const ctx = evaluationOf(dir, overlay, 'a backtest');
      access.file(ctx.root, labels);
      let last = 0;
      return evaluations.backtest(ctx, { labels, sweep, labelTimeUnit }, (p) => {
        // a replay reports often; the panel's progress bar needs a few a second
        const now = clock.now();
        if (now - last < 200) return;
        last = now;
        opts.emit('backtest.progress', p);
      });
    },

    async 'configTests.run'({ dir, overlay }) {
      const ctx = evaluationOf(dir, overlay, 'running the config tests');
      const testsFile = toPosix(testsFileOf(ctx.configFile));
      if (overlay?.[testsFile] === undefined && !fs.existsSync(path.join(ctx.root, testsFile))) return null;
      return evaluations.configTests(ctx, testsFile);
    },

    async 'diff.run'({ dir, against, overlay }) {
      const ctx = evaluationOf(dir, overlay, 'a comparison');
      if (against !== undefined) access.file(ctx.root, against);
      return evaluations.diff(ctx, against);
    },

    async 'evaluation.cancel'({ kind }) {
      return { cancelled: evaluations.cancel(kind) };
    },

    async 'connection.defaults'({ dir, overlay }) {
      const root = access.project(dir);
      const { plan, config } = await checkProject(root, overlay, userModules(root));
      return connectionDefaults(plan?.config ?? config);
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

    async 'connection.testCassandra'(a) {
      return testCassandra(a, clock);
    },

    async 'connection.listKeyspaces'(a) {
      return listKeyspaces(a, clock);
    },

    async grantFolder(dir) {
      access.grant(dir);
    },

    async dispose() {
      evaluations.cancelAll();
      await tails.stopAll();
      if (run && !run.finished) {
        run.runner.stop();
        await run.done;
      }
    },
  };
}
