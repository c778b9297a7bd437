/**
 * The `ts-engine` export target: a production bundle that `ts-engine run` executes as it is
 * (docs/production.md#a-service-ts-engine-run). The config is the project's own text with two kinds of
 * edits only — every secret becomes a `${ENV}` placeholder (config/env-placeholders.ts) and the files it
 * names are re-pointed into the bundle — so numbers keep their exact spelling (integers stay integers,
 * big integers stay exact) and the bundle computes what the project computes. Beside it: the data
 * structure, the extension and analysis modules (with the local modules they import and their Python
 * twins), `.env.example`, a README and a systemd unit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDirectory } from '../core/files.js';
import { type ParsedJson, parseJsonWithLocations, pathKey } from '../options/json.js';
import { redactSecrets } from '../options/secrets.js';
import { placeholderNames, WHOLE_PLACEHOLDER } from '../config/env-placeholders.js';
import type { ExportChange } from './change.js';
import { fileOptions } from './file-options.js';
import { DASHBOARD_FILE, type GrafanaExport } from './grafana.js';
import { isModulePath, uniqueEnvNames } from './reference.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const toPosix = (p: string) => p.split(path.sep).join('/');

export interface BundlePlan {
  changes: ExportChange[];
  /** the bundle's config text */
  config: string;
  /** bundle-relative path → absolute source file to copy */
  copies: Map<string, string>;
  /** bundle-relative folders the pipeline writes into (sqlite databases, output files) */
  dataDirs: string[];
  /** JSON path of each secret → the placeholder written instead */
  secrets: Record<string, string>;
  /** each placeholder of the bundle's config → the JSON paths using it */
  placeholders: Map<string, string[]>;
  /** the config file's name and its folder's, for the README and the unit */
  name: string;
  project: string;
  /** the Grafana dashboard of the config's InfluxDB outputs (export/grafana.ts) */
  grafana?: GrafanaExport;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Where a file the config names goes in the bundle: the same relative place, or the top when it lies outside the project. */
function placeFor(configDir: string, ref: string): string {
  const abs = path.resolve(configDir, ref);
  const rel = path.relative(configDir, abs);
  return toPosix(rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(abs) : rel);
}

/** Relative imports of a JavaScript module (static, dynamic and re-exports), for copying what a module needs. */
function localImports(source: string): string[] {
  const specs: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g)) specs.push(m[2]!);
  return specs;
}

/**
 * Plans the bundle of the config at `configPath` (its text as saved: the placeholders it already has stay);
 * `grafana` is the dashboard of its InfluxDB outputs, when it has any.
 */
export function planBundle(configPath: string, configText?: string, grafana?: GrafanaExport): BundlePlan {
  const absConfig = path.resolve(configPath);
  const configDir = path.dirname(absConfig);
  const text = configText ?? fs.readFileSync(absConfig, 'utf8');
  const doc: ParsedJson = parseJsonWithLocations(text);
  const root = doc.value;
  if (!isObj(root)) throw new Error('the config must be a JSON object');
  const changes: ExportChange[] = [];
  const edits: Edit[] = [];
  const copies = new Map<string, string>();
  const dataDirs = new Set<string>();
  const secrets: Record<string, string> = {};
  const replaceString = (jsonPath: string, value: string) => {
    const loc = doc.locs.get(jsonPath);
    if (loc) edits.push({ start: loc.start, end: loc.end, text: JSON.stringify(value) });
  };

  // ---- secrets: the one rule of options/secrets.ts (docs/secrets.md), as the other targets apply it ----
  // processing holds expressions, not settings (`token: one(x)` names a column)
  const redacted = structuredClone(root);
  for (const r of redactSecrets(redacted, '', uniqueEnvNames(), (p) => p === 'processing')) {
    secrets[r.path] = r.placeholder;
    changes.push({ kind: 'note', path: r.path, message: `the secret is read from the environment variable ${r.placeholder.slice(2, -1)} (.env.example)` });
  }
  /** the redacted values, written over the original text's values at the same place */
  const overwrite = (before: unknown, after: unknown, p: string) => {
    if (Array.isArray(before) && Array.isArray(after)) before.forEach((x, i) => overwrite(x, after[i], pathKey(p, i)));
    else if (isObj(before) && isObj(after)) for (const k of Object.keys(before)) overwrite(before[k], after[k], pathKey(p, k));
    else if (before !== after && typeof after === 'string') replaceString(p, after);
  };
  overwrite(root, redacted, '');

  // ---- code and structure the pipeline loads: copied, re-pointed when their place changes -------------
  /** copies one file (and, for a JavaScript module, the local modules it imports); returns its bundle path */
  const copy = (ref: string, jsonPath: string, what: string): string | undefined => {
    const abs = path.resolve(configDir, ref);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
      changes.push({ kind: 'blocker', path: jsonPath, message: `${what} ${abs} does not exist` });
      return undefined;
    }
    const place = placeFor(configDir, ref);
    copies.set(place, abs);
    if (/\.(m?js|cjs)$/.test(abs)) copyImports(abs, place, jsonPath);
    return place;
  };
  const copyImports = (abs: string, place: string, jsonPath: string) => {
    for (const spec of localImports(fs.readFileSync(abs, 'utf8'))) {
      const dep = path.resolve(path.dirname(abs), spec);
      const depPlace = toPosix(path.normalize(path.join(path.dirname(place), spec)));
      if (copies.has(depPlace)) continue;
      if (depPlace.startsWith('..') || !fs.existsSync(dep) || !fs.statSync(dep).isFile()) {
        changes.push({
          kind: 'blocker',
          path: jsonPath,
          message: `${abs} imports ${spec}, which is outside the project or missing: the bundle cannot hold it`,
        });
        continue;
      }
      copies.set(depPlace, dep);
      if (/\.(m?js|cjs)$/.test(dep)) copyImports(dep, depPlace, jsonPath);
    }
  };
  /** a module reference `file[#export]`: copied and re-pointed; module names of built-ins are left alone */
  const copyModule = (value: unknown, jsonPath: string, what: string) => {
    if (typeof value !== 'string' || WHOLE_PLACEHOLDER.test(value)) return;
    const [file, exportName] = value.split('#') as [string, string | undefined];
    const place = copy(file, jsonPath, what);
    if (place === undefined || place === toPosix(path.normalize(file))) return;
    const ref = place.includes('/') ? place : `./${place}`;
    replaceString(jsonPath, exportName === undefined ? ref : `${ref}#${exportName}`);
    changes.push({ kind: 'note', path: jsonPath, message: `${what} ${file} lies outside the project: the bundle holds it as ${ref}` });
  };

  const input = root.input;
  if (isObj(input)) {
    copyModule(input.data_structure, 'input.data_structure', 'data-structure file');
    // a replayed file is data, not part of the bundle: the bundle reads it where it is
    const opts = input.options;
    if (input.input_type === 'csv' && isObj(opts) && typeof opts.path === 'string' && !opts.path.includes('${') && !path.isAbsolute(opts.path)) {
      const abs = path.resolve(configDir, opts.path);
      replaceString('input.options.path', abs);
      changes.push({ kind: 'note', path: 'input.options.path', message: `the bundle replays the project's file by its absolute path ${abs}` });
    }
  }
  if (Array.isArray(root.extensions)) {
    root.extensions.forEach((e, i) => {
      if (typeof e === 'string') copyModule(e, `extensions[${i}]`, 'extension module');
      else if (isObj(e)) {
        copyModule(e.module, `extensions[${i}].module`, 'extension module');
        copyModule(e.python, `extensions[${i}].python`, 'Python twin');
      }
    });
  }
  const analysis = root.analysis;
  if (isObj(analysis) && Array.isArray(analysis.rule)) {
    analysis.rule.forEach((r, i) => {
      if (!isObj(r)) return;
      if (typeof r.module === 'string' && isModulePath(r.module)) copyModule(r.module, `analysis.rule[${i}].module`, 'analysis module');
      if (typeof r.python === 'string') copyModule(r.python, `analysis.rule[${i}].python`, 'Python twin');
    });
  }
  if (isObj(root.databases)) {
    for (const [k, v] of Object.entries(root.databases)) copyModule(v, `databases.${k}`, 'database file');
  }

  // ---- files the pipeline writes: relative ones live in the bundle, as a new store --------------------
  for (const { path: at, holder, key } of fileOptions(root)) {
    const v = holder[key] as string;
    if (v.includes('${') || path.isAbsolute(v)) continue;
    const dir = path.posix.dirname(toPosix(path.normalize(v)));
    if (dir.startsWith('..')) {
      changes.push({ kind: 'note', path: at, message: `${v} lies outside the bundle: the service writes to the same place relative to the bundle's folder` });
    } else if (dir !== '.') dataDirs.add(dir);
    changes.push({
      kind: 'note',
      path: at,
      message: `${v} is relative to the bundle: the service starts a new database there (copy the project's to keep its history)`,
    });
  }

  // ---- the bundle's text and its placeholders ---------------------------------------------------------
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  const placeholders = new Map<string, string[]>();
  const scan = (v: unknown, p: string) => {
    if (typeof v === 'string') for (const n of placeholderNames(v)) placeholders.set(n, [...(placeholders.get(n) ?? []), p]);
    else if (Array.isArray(v)) v.forEach((x, i) => scan(x, `${p}[${i}]`));
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) if (!(p === '' && k === 'processing')) scan(x, p === '' ? k : `${p}.${k}`);
  };
  scan(parseJsonWithLocations(out).value, '');
  return {
    changes,
    config: out,
    copies,
    dataDirs: [...dataDirs],
    secrets,
    placeholders,
    name: path.basename(absConfig),
    project: path.basename(configDir),
    grafana,
  };
}

/** The command that runs this installation of ts-engine, with absolute paths (systemd needs them). */
function cliCommand(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const bin = path.join(dir, 'bin', 'ts-engine.mjs');
    if (fs.existsSync(bin)) return `${process.execPath} ${bin}`;
    dir = path.dirname(dir);
  }
  return 'ts-engine';
}

/** The unit's name: the project folder's for a `config.json`, else the config's name; letters, digits and `-`. */
export function serviceName(plan: Pick<BundlePlan, 'name' | 'project'>): string {
  const base = plan.name === 'config.json' ? plan.project : plan.name.replace(/\.json$/i, '');
  return `ts-engine-${base.replace(/[^A-Za-z0-9-]+/g, '-')}`;
}

function envExample(plan: BundlePlan): string {
  const lines = [
    '# Environment of the pipeline: copy to .env, fill in, keep it out of version control.',
    '# `ts-engine run` and `check` fill each ${NAME} of the config from these; a missing one stops the run with its place.',
  ];
  for (const [name, paths] of plan.placeholders) lines.push('', `# ${paths.join(', ')}`, `${name}=`);
  return `${lines.join('\n')}\n`;
}

function unit(plan: BundlePlan, outDir: string): string {
  return `# systemd unit of ${plan.name}, exported by ts-engine (docs/production.md)
[Unit]
Description=ts-engine pipeline ${plan.name} (${outDir})
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
WorkingDirectory=${outDir}
EnvironmentFile=${outDir}/.env
ExecStart=${cliCommand()} run ${outDir}/config.json
# SIGTERM: the run flushes its outputs, commits its Kafka offsets and exits 130
SuccessExitStatus=130
# 2 = invalid config or a missing variable: restarting cannot help
RestartPreventExitStatus=2
Restart=on-failure
RestartSec=5
TimeoutStopSec=60
NoNewPrivileges=true
ProtectSystem=full
PrivateTmp=true

[Install]
WantedBy=multi-user.target
`;
}

function readme(plan: BundlePlan, outDir: string): string {
  const svc = serviceName(plan);
  const cli = cliCommand();
  const vars = [...plan.placeholders.keys()];
  return [
    `# ${plan.name}: production bundle`,
    '',
    `Exported by \`ts-engine export ${plan.name} <out-dir>\` (target \`ts-engine\`). It computes what the project computes:`,
    "the config is the project's own, with secrets moved to the environment and files re-pointed into this folder.",
    '',
    '## Environment',
    '',
    vars.length === 0
      ? 'The config has no `${NAME}` placeholder; `.env` may stay empty.'
      : `Copy \`.env.example\` to \`.env\` and set ${vars.map((v) => `\`${v}\``).join(', ')}.`,
    '',
    '## Check and run by hand',
    '',
    '```sh',
    `cd ${outDir}`,
    'cp .env.example .env && chmod 600 .env     # then fill it in',
    'set -a && . ./.env && set +a',
    `${cli} check config.json --connect`,
    `${cli} run config.json`,
    '```',
    '',
    '## Run as a service (systemd)',
    '',
    '```sh',
    `sudo cp ${outDir}/${svc}.service /etc/systemd/system/${svc}.service`,
    'sudo systemctl daemon-reload',
    `sudo systemctl enable --now ${svc}`,
    `journalctl -u ${svc} -f`,
    '```',
    '',
    `The unit runs \`${cli} run ${outDir}/config.json\` in this folder with \`.env\` as its environment, restarts it`,
    'on a failure (exit 1) but not on an invalid config (exit 2), and stops it with SIGTERM (outputs flushed, exit 130).',
    'Edit its paths if you move this folder or ts-engine. Add `User=` to run it as a dedicated user.',
    '',
    ...(plan.grafana?.readme ?? []),
    ...(plan.changes.length > 0 ? ['## What the export changed', '', ...plan.changes.map((c) => `- \`${c.path}\` (${c.kind}): ${c.message}`), ''] : []),
  ].join('\n');
}

/** Writes the planned bundle into outDir (created if needed); returns the written files, relative to it. */
export function writeBundle(plan: BundlePlan, outDir: string): string[] {
  const out = path.resolve(outDir);
  ensureDirectory(out);
  const files: string[] = [];
  const write = (rel: string, text: string, mode?: number) => {
    ensureDirectory(path.dirname(path.join(out, rel)));
    fs.writeFileSync(path.join(out, rel), text, mode === undefined ? undefined : { mode });
    files.push(rel);
  };
  write('config.json', plan.config);
  for (const [rel, src] of plan.copies) {
    ensureDirectory(path.dirname(path.join(out, rel)));
    fs.copyFileSync(src, path.join(out, rel));
    files.push(rel);
  }
  for (const d of plan.dataDirs) ensureDirectory(path.join(out, d));
  write('.env.example', envExample(plan));
  write('.gitignore', '.env\n');
  write(`${serviceName(plan)}.service`, unit(plan, out));
  write('README.md', readme(plan, out));
  if (plan.grafana) write(DASHBOARD_FILE, `${JSON.stringify(plan.grafana.dashboard, null, 2)}\n`);
  return files;
}
