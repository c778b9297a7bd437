/** Project folders on disk: discovery of the config and its files, safe relative paths, recent projects. */
import fs from 'node:fs';
import path from 'node:path';
import type { FileKind, ProjectFile, ProjectInfo } from './contract.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const SKIP_DIRS = new Set(['node_modules', '.git', '.vite', 'out', 'dist']);
const MAX_FILES = 500;

export const toPosix = (p: string) => p.split(path.sep).join('/');

/** The config files of a folder (top level): config.json (even when it does not parse yet), and every *.json with input + processing. */
export function listConfigFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    if (name === 'config.json') {
      out.unshift(name);
      continue;
    }
    if (isConfigText(readText(path.join(dir, name)))) out.push(name);
  }
  return out;
}

const isConfigText = (text: string | undefined) => {
  try {
    const v = text === undefined ? undefined : (JSON.parse(text) as unknown);
    return isObj(v) && 'input' in v && 'processing' in v;
  } catch {
    return false;
  }
};

function readText(file: string): string | undefined {
  try {
    return fs.statSync(file).size < 4_000_000 ? fs.readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** The config file of a folder: the one picked before (when it is still there), else config.json, else the first *.json with input + processing. */
export function findConfigFile(dir: string, picked?: string): string | undefined {
  if (picked !== undefined && fs.existsSync(path.join(dir, picked))) return picked;
  return listConfigFiles(dir)[0];
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Files named by a config (relative to the project folder, when inside it). */
export function referencedFiles(dir: string, configFile: string, configText?: string): { dataStructure?: string; dataFile?: string; modules: string[] } {
  const cfgAbs = path.join(dir, configFile);
  let raw: unknown;
  try {
    raw = JSON.parse(configText ?? fs.readFileSync(cfgAbs, 'utf8'));
  } catch {
    return { modules: [] };
  }
  const cfgDir = path.dirname(cfgAbs);
  const rel = (p: string) => {
    const r = path.relative(dir, path.resolve(cfgDir, p));
    return r.startsWith('..') || path.isAbsolute(r) ? undefined : toPosix(r);
  };
  const out: { dataStructure?: string; dataFile?: string; modules: string[] } = { modules: [] };
  if (!isObj(raw)) return out;
  const input = raw.input;
  if (isObj(input)) {
    if (typeof input.data_structure === 'string') out.dataStructure = rel(input.data_structure);
    const o = input.options;
    if (input.input_type === 'csv' && isObj(o) && typeof o.path === 'string' && o.path !== '-') out.dataFile = rel(o.path);
  }
  for (const m of modulesNamed(raw)) pushDefined(out.modules, rel(m.split('#')[0]!));
  return out;
}

/** The user modules a parsed config names, as written: extension modules, then analysis modules given by path. */
function modulesNamed(raw: Obj): string[] {
  const out: string[] = [];
  if (Array.isArray(raw.extensions)) for (const e of raw.extensions) if (typeof e === 'string') pushDefined(out, e);
  const an = raw.analysis;
  if (isObj(an) && Array.isArray(an.rule)) {
    for (const r of an.rule) if (isObj(r) && typeof r.module === 'string' && /[\\/]|\.(m?js|cjs|ts|mts)$/.test(r.module)) pushDefined(out, r.module);
  }
  return out;
}

/** The user modules a config text names (what restricted mode does not load); none when it is not valid JSON. */
export function userCodeOf(configText: string): string[] {
  try {
    const raw = JSON.parse(configText) as unknown;
    return isObj(raw) ? modulesNamed(raw) : [];
  } catch {
    return [];
  }
}

function pushDefined(list: string[], v: string | undefined) {
  if (v !== undefined && !list.includes(v)) list.push(v);
}

function kindOf(rel: string, refs: ReturnType<typeof referencedFiles>, configs: readonly string[]): FileKind {
  if (configs.includes(rel)) return 'config';
  if (rel === refs.dataStructure) return 'data-structure';
  if (refs.modules.includes(rel) || /\.(m?js|cjs|ts|mts)$/.test(rel)) return 'module';
  if (rel === refs.dataFile || /\.(csv|tsv|txt|jsonl)$/.test(rel)) return 'data';
  return 'other';
}

export function listProjectFiles(dir: string, configFile: string, configs: readonly string[] = [configFile]): ProjectFile[] {
  const refs = referencedFiles(dir, configFile);
  const files: ProjectFile[] = [];
  const walk = (abs: string, depth: number) => {
    if (depth > 4 || files.length >= MAX_FILES) return;
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(abs, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p, depth + 1);
      } else if (e.isFile()) {
        if (/\.(db|db-wal|db-shm)$/.test(e.name)) continue;
        const rel = toPosix(path.relative(dir, p));
        files.push({ path: rel, kind: kindOf(rel, refs, configs), size: fs.statSync(p).size });
      }
    }
  };
  walk(dir, 0);
  const order: Record<FileKind, number> = { config: 0, 'data-structure': 1, module: 2, data: 3, other: 4 };
  // the active config first, the other configs after it
  const rank = (f: ProjectFile) => (f.path === configFile ? -1 : order[f.kind]);
  return files.sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

export function openProject(dirArg: string, picked?: string): Omit<ProjectInfo, 'trust'> {
  const dir = path.resolve(dirArg);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  const configFile = findConfigFile(dir, picked);
  if (!configFile)
    throw new Error(`${dir} has no config file (config.json, or a JSON file with "input" and "processing"): create a new project in it from a template`);
  const refs = referencedFiles(dir, configFile);
  const configs = listConfigFiles(dir);
  if (!configs.includes(configFile)) configs.unshift(configFile);
  return {
    dir,
    name: path.basename(dir),
    configFile,
    configs,
    dataStructureFile: refs.dataStructure,
    dataFile: refs.dataFile,
    files: listProjectFiles(dir, configFile, configs),
  };
}

/** Copies a sample folder (without its store files) into `dest`, which must be absent or empty. */
export function copySample(sampleDir: string, dest: string): void {
  if (fs.existsSync(dest) && fs.readdirSync(dest).length > 0) throw new Error(`${dest} is not empty; pick a new folder for the project`);
  fs.cpSync(sampleDir, dest, {
    recursive: true,
    filter: (src) => !/\.(db|db-wal|db-shm)$/.test(src) && !/generate-[^/\\]*\.mjs$/.test(src),
  });
}

/** Sample projects shipped in samples/: folders holding a config.json. */
export function listSamples(samplesDir: string): { name: string; description: string }[] {
  if (!fs.existsSync(samplesDir)) return [];
  const out: { name: string; description: string }[] = [];
  for (const e of fs.readdirSync(samplesDir, { withFileTypes: true })) {
    if (!e.isDirectory() || !fs.existsSync(path.join(samplesDir, e.name, 'config.json'))) continue;
    const cfg = readJson(path.join(samplesDir, e.name, 'config.json'));
    const op = isObj(cfg) && isObj(cfg.processing) && isObj(cfg.processing.aggregations) ? String(cfg.processing.aggregations.operation_type) : '';
    out.push({ name: e.name, description: `${e.name} sample (${op})` });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export class RecentProjects {
  constructor(private readonly file: string) {}
  list(): string[] {
    const v = readJson(this.file);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && fs.existsSync(x)) : [];
  }
  add(dir: string): void {
    const list = [dir, ...this.list().filter((d) => d !== dir)].slice(0, 10);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, JSON.stringify(list, null, 2));
  }
}

/** The config picked per project (project folder → config file), remembered across sessions. */
export class ActiveConfigs {
  constructor(private readonly file: string) {}
  private read(): Record<string, string> {
    const v = readJson(this.file);
    return isObj(v) ? (Object.fromEntries(Object.entries(v).filter(([, c]) => typeof c === 'string')) as Record<string, string>) : {};
  }
  get(dir: string): string | undefined {
    return this.read()[dir];
  }
  set(dir: string, configFile: string | undefined): void {
    const all = this.read();
    if (configFile === undefined) delete all[dir];
    else all[dir] = configFile;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, JSON.stringify(all, null, 2));
  }
}
