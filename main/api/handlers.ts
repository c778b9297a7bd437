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
  inferStructure,
  isLive,
  listFunctions,
  structureFileText,
  nodeIO,
  preview,
  readHistory,
  storedAlertsPage,
  storedEpisodesPage,
  storedRowErrorsPage,
  storedWindowsPage,
  summarize,
  systemClock,
  testsFileOf,
  type CheckOptions,
  type Clock,
  type ConfigIO,
  type PipelineConfig,
  type PipelinePlan,
} from '../../engine/index.js';
import type { AppInfo, CheckResult, Diagnostic, Handlers, NewFileKind, Overlay, ProjectInfo, ProjectTrust } from './contract.js';
import { analysisModuleText, configText, csvHead, csvInput, extensionModuleText, templateFiles } from './templates.js';
import { ActiveConfigs, copySample, listSamples, openProject, RecentProjects, toPosix, findConfigFile, userCodeOf } from './project.js';
import { Access, isWithin } from './access.js';
import { TrustStore } from './trust.js';
import { ActiveRun, type Emit } from './runs.js';
import { ChartSources } from './charts.js';
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

const projectRelative = (dir: string, file: string): string | undefined => {
  const r = path.relative(dir, path.resolve(dir, file));
  return r.startsWith('..') || path.isAbsolute(r) ? undefined : toPosix(r);
};

/** `<module file>:<line>:<col>: <what>` inside a message about a user module (a syntax or import error esbuild located) */
const MODULE_PLACE_RE = /((?:[A-Za-z]:)?[\\/][^:\n]*?\.(?:m?[jt]s|c[jt]s|tsx?|jsx?)):(\d+):(\d+): (.+)$/;

/**
 * Diagnostics with project-relative files; an error located inside a user module of the project is
 * also marked in that module, at its line (the config keeps its marker at the place naming the module).
 */
function relDiagnostics(dir: string, diags: Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of diags) {
    out.push({ ...d, file: projectRelative(dir, d.file) ?? d.file });
    const m = MODULE_PLACE_RE.exec(d.message);
    const moduleFile = m ? projectRelative(dir, m[1]!) : undefined;
    if (!m || moduleFile === undefined || moduleFile === d.file) continue;
    const line = Number(m[2]);
    const column = Number(m[3]);
    out.push({ ...d, file: moduleFile, line, column, endLine: line, endColumn: column + 1, path: '', message: m[4]! });
  }
  return out;
}

/** `~/x` typed in a path field means the home folder. */
const expandHome = (p: unknown) => (typeof p === 'string' && (p === '~' || p.startsWith('~/')) ? path.join(os.homedir(), p.slice(1)) : p);

function configFileOf(dir: string, picked: string | undefined): string {
  const f = findConfigFile(dir, picked);
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
async function checkProject(dir: string, configFile: string, overlay: Overlay | undefined, userModules: CheckOptions['userModules']): Promise<Checked> {
  const text = overlay?.[configFile];
  // unsaved module buffers too: a module is checked as it is in the editor
  const unsaved = new Map(Object.entries(overlay ?? {}).map(([rel, t]) => [path.resolve(dir, rel), t]));
  const sources = unsaved.size > 0 ? (abs: string) => unsaved.get(path.resolve(abs)) : undefined;
  const r = await checkConfig(path.join(dir, configFile), text, overlayIO(dir, overlay), { userModules, sources });
  const ok = !r.diagnostics.some((d) => d.severity === 'error');
  const result = { ok, diagnostics: relDiagnostics(dir, r.diagnostics), summary: r.plan ? summarize(r.plan) : undefined };
  return { result, plan: r.plan, config: ok ? r.validation?.config : undefined, configFile, functions: r.plan ?? r.extensions };
}

const firstError = (result: CheckResult) => {
  const d = result.diagnostics.find((x) => x.severity === 'error');
  return d ? `${d.file}:${d.line}:${d.column}: ${d.message}` : '';
};

/** The templates of "New project": the samples, then an empty CSV project and a Kafka project. */
function projectTemplatesOf(samplesDir: string): AppInfo['templates'] {
  return [
    ...listSamples(samplesDir).map((s) => ({
      id: `sample:${s.name}` as const,
      title: `${s.name} sample`,
      description: `a copy of ${s.description}, with its data`,
    })),
    { id: 'csv' as const, title: 'CSV project', description: 'a config over a small CSV file with a header: replace the data, infer its structure' },
    { id: 'kafka' as const, title: 'Kafka project', description: 'a config reading CSV lines from a Kafka topic (localhost:9092, topic readings)' },
  ];
}

/** The data structure of a CSV file of the project, inferred from its first rows, with what was guessed. */
function inferFrom(root: string, csv: string) {
  const s = inferStructure(csvHead(csv));
  const notes = s.fields.map(
    (f) => `${f.name} (column ${f.index}): ${f.type}${f.guessed === 'timestamp' ? ', epoch times' : ''}${f.empty > 0 ? `, ${f.empty} empty` : ''}`,
  );
  notes.unshift(
    `${toPosix(path.relative(root, csv))}: ${s.header ? 'header line, ' : 'no header, '}separator ${JSON.stringify(s.separator)}, ${s.rowsSampled} rows looked at` +
      (s.time ? `; event time: ${s.time.field} (epoch ${s.time.unit})` : '; no event-time column found'),
  );
  return { s, notes };
}

export function createHandlers(opts: HandlerOptions): HandlerMap {
  const recent = new RecentProjects(path.join(opts.stateDir, 'recent-projects.json'));
  const trust = new TrustStore(path.join(opts.stateDir, 'trusted-folders.json'));
  const runHistory = new RunHistory(path.join(opts.stateDir, 'runs'));
  const activeConfigs = new ActiveConfigs(path.join(opts.stateDir, 'active-configs.json'));
  /** the project's active config: the one picked for it, else config.json or the first config */
  const configOf = (root: string) => configFileOf(root, activeConfigs.get(root));
  const projectTemplates = () => projectTemplatesOf(opts.samplesDir);
  /** the text of a new file of a project, from its template */
  const newFileText = (root: string, rel: string, kind: NewFileKind, csv: string | undefined): { text: string; notes: string[] } => {
    if (kind === 'analysis-module' || kind === 'extension-module') {
      if (!/\.(m?js|m?ts)$/.test(rel)) throw new Error(`a module is a .ts, .mts, .js or .mjs file, not ${rel}`);
      return { text: kind === 'analysis-module' ? analysisModuleText(rel) : extensionModuleText(rel), notes: [] };
    }
    if (!rel.endsWith('.json')) throw new Error(`a ${kind} is a .json file, not ${rel}`);
    if (kind === 'config' && rel.includes('/'))
      throw new Error(`a config goes at the top of the project folder (its paths are relative to it), not in ${path.dirname(rel)}`);
    const current = openProject(root, activeConfigs.get(root));
    const csvRel = csv ?? current.dataFile;
    if (kind === 'data-structure') {
      if (!csvRel) throw new Error('no CSV file given to infer the data structure from');
      const { s, notes } = inferFrom(root, access.file(root, csvRel));
      return { text: structureFileText(s), notes };
    }
    // a config: over a CSV given (its structure inferred beside it), else over the active config's input
    if (csv !== undefined) {
      const csvAbs = access.file(root, csv);
      const { s, notes } = inferFrom(root, csvAbs);
      const dsRel = rel.replace(/\.json$/, '.structure.json');
      const dsAbs = access.file(root, dsRel);
      if (fs.existsSync(dsAbs)) throw new Error(`${dsRel} exists already; pick another config name`);
      fs.writeFileSync(dsAbs, structureFileText(s), { flag: 'wx' });
      const relTo = (p: string) => toPosix(path.relative(path.dirname(path.join(root, rel)), p));
      const fields = s.fields.map((f) => ({ name: f.name, type: f.type }));
      const store = relTo(path.join(root, 'data', `${path.basename(rel, '.json')}.db`));
      return {
        text: configText({ input: csvInput(relTo(dsAbs), relTo(csvAbs), s), fields, timeField: s.time?.field, store }),
        notes: [`wrote ${dsRel}`, ...notes],
      };
    }
    const raw = JSON.parse(fs.readFileSync(path.join(root, current.configFile), 'utf8')) as { input?: Record<string, unknown> };
    if (!raw.input || !current.dataStructureFile)
      throw new Error(`the active config ${current.configFile} names no data structure to start a new config from; give a CSV`);
    const ds = JSON.parse(fs.readFileSync(path.join(root, current.dataStructureFile), 'utf8')) as Record<string, { index: number; type: string }>;
    const fields = Object.entries(ds)
      .sort((a, b) => a[1].index - b[1].index)
      .map(([name, f]) => ({ name, type: f.type }));
    const opts = (raw.input.options ?? {}) as { time_field?: string };
    const store = toPosix(path.join('data', `${path.basename(rel, '.json')}.db`));
    return { text: configText({ input: raw.input, fields, timeField: opts.time_field, store }), notes: [`the input of ${current.configFile}`] };
  };
  const projectInfo = (root: string): ProjectInfo => ({ ...openProject(root, activeConfigs.get(root)), trust: trustOf(root) });
  const projectsHome = opts.projectsHome ?? path.join(os.homedir(), 'ts-engine-projects');
  const access = new Access(opts.pickRoots ?? [os.homedir(), projectsHome], () => recent.list());
  let run: ActiveRun | undefined;
  let runDir: string | undefined;
  const clock = opts.clock ?? systemClock;
  const tails = new Tails(opts.emit, undefined, clock);
  const evaluations = new Evaluations();
  const charts = new ChartSources(
    () => (run && runDir ? { root: runDir, run } : undefined),
    (dir) => access.project(dir),
  );

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
        text = fs.readFileSync(path.join(dir, configOf(dir)), 'utf8');
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
    const configFile = configOf(root);
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
    return { root, configFile: configOf(root), io: overlayIO(root, overlay), overlay };
  };
  const needsModules = (t: ProjectTrust) => `it needs the config's user modules (${t.userCode.join(', ')}), which are not loaded until then`;
  /**
   * The plan of the project's config on disk, to read its store with (history, the lists): none when it does not compile;
   * refused in restricted mode when its rows need user functions, which are only parsed there.
   */
  const storePlan = async (dir: string, what: string): Promise<{ root: string; result: CheckResult; plan?: PipelinePlan }> => {
    const root = access.project(dir);
    const { result, plan } = await checkProject(root, configOf(root), undefined, userModules(root));
    if (plan && plan.untrusted !== 'rows') return { root, result, plan };
    const t = trustOf(root);
    if (result.ok && !t.trusted && t.userCode.length > 0) throw restricted(root, what, needsModules(t));
    return { root, result };
  };
  const projectPath = (root: string) => (file: string) => toPosix(path.relative(root, file));

  const map: HandlerMap = {
    async 'app.info'() {
      return {
        version: opts.version ?? '0.1.0',
        mode: opts.mode,
        samples: listSamples(opts.samplesDir),
        templates: projectTemplates(),
        recent: recent.list(),
        initialProject: opts.initialProject,
        projectsHome,
      };
    },

    async 'schema.get'() {
      return { config: configJsonSchema as object, dataStructure: dataStructureJsonSchema as object };
    },

    async 'functions.list'({ dir, overlay }) {
      if (dir) {
        const root = access.project(dir);
        const { functions } = await checkProject(root, configOf(root), overlay, userModules(root)).catch(() => ({ functions: undefined }));
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
      const info = projectInfo(real);
      access.opened(real);
      recent.add(real);
      return info;
    },

    async 'project.fromSample'({ sample, dir }) {
      const samples = listSamples(opts.samplesDir);
      if (!samples.some((s) => s.name === sample)) throw new Error(`unknown sample ${JSON.stringify(sample)} (have: ${samples.map((s) => s.name).join(', ')})`);
      const dest = access.folder(expandHome(dir), 'a new project');
      copySample(path.join(opts.samplesDir, sample), dest);
      // the app wrote every file of it: nothing to distrust
      trust.trust(dest);
      const info = projectInfo(dest);
      access.opened(dest);
      recent.add(dest);
      return info;
    },

    async 'project.create'({ template, dir }) {
      if (typeof template === 'string' && template.startsWith('sample:')) return map['project.fromSample']({ sample: template.slice(7), dir });
      if (template !== 'csv' && template !== 'kafka') throw new Error(`unknown project template ${JSON.stringify(template)} (csv, kafka, sample:<name>)`);
      const dest = access.folder(expandHome(dir), 'a new project');
      if (fs.existsSync(dest) && fs.readdirSync(dest).length > 0) throw new Error(`${dest} is not empty; pick a new folder for the project`);
      for (const [rel, text] of Object.entries(templateFiles(template))) {
        fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
        fs.writeFileSync(path.join(dest, rel), text, { flag: 'wx' });
      }
      // the app wrote every file of it: nothing to distrust
      trust.trust(dest);
      const info = projectInfo(dest);
      access.opened(dest);
      recent.add(dest);
      return info;
    },

    async 'project.setConfig'({ dir, configFile }) {
      const root = access.project(dir);
      const abs = access.file(root, configFile);
      const rel = toPosix(path.relative(root, abs));
      if (!openProject(root).configs.includes(rel))
        throw new Error(`${rel} is not a config of the project (a JSON file with "input" and "processing" in its folder)`);
      activeConfigs.set(root, rel);
      return projectInfo(root);
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

    async 'file.create'({ dir, path: rel, kind, csv }) {
      const root = access.project(dir);
      const abs = access.file(root, rel);
      const relPath = toPosix(path.relative(root, abs));
      if (fs.existsSync(abs)) throw new Error(`${relPath} exists already; pick another name`);
      const { text, notes } = newFileText(root, relPath, kind, csv);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, text, { flag: 'wx' });
      return { project: projectInfo(root), path: relPath, notes };
    },

    async 'file.rename'({ dir, from, to }) {
      const root = access.project(dir);
      const src = access.file(root, from);
      const dest = access.file(root, to);
      if (!fs.existsSync(src) || !fs.statSync(src).isFile()) throw new Error(`${String(from)} is not a file of the project`);
      if (fs.existsSync(dest)) throw new Error(`${String(to)} exists already; pick another name`);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.renameSync(src, dest);
      const fromRel = toPosix(path.relative(root, src));
      if (activeConfigs.get(root) === fromRel) activeConfigs.set(root, toPosix(path.relative(root, dest)));
      return projectInfo(root);
    },

    async 'file.delete'({ dir, path: rel }) {
      const root = access.project(dir);
      const abs = access.file(root, rel);
      if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new Error(`${String(rel)} is not a file of the project`);
      const relPath = toPosix(path.relative(root, abs));
      const info = openProject(root, activeConfigs.get(root));
      if (info.configs.length === 1 && info.configs[0] === relPath) throw new Error(`${relPath} is the project's only config; it is not deleted`);
      if (run && !run.finished && runDir === root && info.configFile === relPath) throw new Error(`${relPath} is running; stop the run first`);
      fs.rmSync(abs);
      if (activeConfigs.get(root) === relPath) activeConfigs.set(root, undefined);
      return projectInfo(root);
    },

    async 'config.check'({ dir, overlay }) {
      const root = access.project(dir);
      return (await checkProject(root, configOf(root), overlay, userModules(root))).result;
    },

    async 'config.preview'({ dir, overlay, maxRows }) {
      const started = performance.now();
      const root = access.project(dir);
      const { result, plan, configFile, functions } = await checkProject(root, configOf(root), overlay, userModules(root));
      const t = trustOf(root, overlay?.[configFile]);
      // restricted mode: user modules were only parsed; a preview never runs analyses, nor user functions there
      const p = plan && plan.untrusted !== 'rows' ? await preview(plan, { maxRows: maxRows ?? 1000 }) : undefined;
      const why = !p && result.ok && !t.trusted && t.userCode.length > 0 ? restricted(root, 'the preview', needsModules(t)).message : undefined;
      return {
        check: result,
        preview: p,
        trust: t,
        restricted: why,
        functions: functions ? listFunctions(functions) : undefined,
        elapsedMs: performance.now() - started,
      };
    },

    async 'run.start'({ dir, speed, startPaused, chartKeys, untilEnd }) {
      if (run && !run.finished) throw new Error('a run is already in progress; stop it first');
      const root = access.project(dir);
      if (!trust.covering(root)) throw restricted(root, 'running', "a run loads the config's user modules and writes to its outputs");
      const { result, plan, configFile } = await checkProject(root, configOf(root), undefined, 'load');
      if (!plan || !result.summary) throw new Error(`the config on disk is invalid${result.ok ? '' : `: ${firstError(result)}`}`);
      // a live input is never paced: event-time replay speed applies to files only
      const live = isLive(plan.config);
      run = new ActiveRun(plan, opts.emit, {
        configFile,
        speed: live ? 0 : speed,
        startPaused,
        untilEnd: live && untilEnd === true,
        clock,
        onEnd: (record) => runHistory.add(root, record),
      });
      runDir = root;
      charts.started(run, chartKeys);
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
      const { root, result, plan } = await storePlan(dir, 'history');
      if (!plan) return { windows: [], alerts: [], episodes: [], truncated: false, summary: result.summary };
      const h = await readHistory(plan, maxWindows ?? 5000, (f) => toPosix(path.relative(root, f)));
      charts.setHistory(root, plan);
      return { ...h, summary: result.summary };
    },

    async 'store.alerts'({ dir, ...page }) {
      const { root, plan } = await storePlan(dir, 'the alerts list');
      return plan ? storedAlertsPage(plan, page, projectPath(root)) : { total: 0, rows: [], counts: { firing: 0, resolved: 0, nodata: 0 }, all: 0 };
    },

    async 'store.episodes'({ dir, ...page }) {
      const { root, plan } = await storePlan(dir, 'the episodes list');
      return plan ? storedEpisodesPage(plan, page, projectPath(root)) : { total: 0, rows: [], counts: { firing: 0, resolved: 0, nodata: 0 }, all: 0 };
    },

    async 'store.windows'({ dir, ...page }) {
      const { root, plan } = await storePlan(dir, 'the windows list');
      return plan ? storedWindowsPage(plan, page, projectPath(root)) : { total: 0, rows: [] };
    },

    async 'store.rowErrors'({ dir, ...page }) {
      const { root, plan } = await storePlan(dir, 'the bad rows list');
      return plan ? storedRowErrorsPage(plan, page, projectPath(root)) : { total: 0, rows: [], reasons: [] };
    },

    ...charts.handlers(),

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
      return verifyFlinkExport({ configPath: path.join(root, configOf(root)), exportDir: job, csv: csvPath });
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
      const { plan, config } = await checkProject(root, configOf(root), overlay, userModules(root));
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
  return map;
}
