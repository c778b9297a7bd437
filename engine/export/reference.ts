/**
 * Export for production (`ts-engine export <config.json> <out-dir>`): rewrites a
 * ts-engine config in the reference format (docs/semantics.md#the-reference-format),
 * drops keys only ts-engine understands (each dropped JSON path is reported),
 * replaces secrets by `${ENV_NAME}` placeholders, and writes the config, the
 * data-structure file and the referenced user modules into a folder. What each
 * component becomes (dropped, keys dropped, notes) comes from its descriptor's
 * export hooks (components/descriptor.ts): another target adds its own mapping
 * beside `reference`. Secrets are found by the one rule of options/secrets.ts
 * (docs/secrets.md), wherever they sit.
 *
 * `toReferenceConfig` is pure (raw JSON in, JSON out); `exportProject` adds the
 * file system.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExportHooks, ReferenceMapping } from '../components/descriptor.js';
import type { ExportChange, ExportChangeKind } from './change.js';
import { alertSinkDescriptor, historyDescriptor, outputDescriptor, sourceDescriptor } from '../components/registry.js';
import { ensureDirectory } from '../core/files.js';
import { redactSecrets } from '../options/secrets.js';
import { LIFECYCLE_KEYS } from '../components/analyses/lifecycle-options.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ReferenceExport {
  config: Obj;
  /** JSON paths removed (e.g. `input.options.time_field`, `outputs[0]`) */
  dropped: string[];
  /** one line per thing a person should know: dropped keys, kept keys without reference equivalent */
  warnings: string[];
  /** JSON path of each secret → the placeholder written instead */
  secrets: Record<string, string>;
  /** every change of meaning, with its kind: `lossy` where the reference computes, stores or reports something else */
  changes: ExportChange[];
}

/** input.options keys of the input section only ts-engine understands (event time, pacing, error budget), and what dropping each does */
const INPUT_ONLY: { key: string; kind: ExportChangeKind; why: string }[] = [
  { key: 'time_field', kind: 'lossy', why: 'ts-engine only: event-time windows become processing-time windows in the reference' },
  { key: 'time_unit', kind: 'lossy', why: 'ts-engine only (event time)' },
  { key: 'allowed_lateness', kind: 'lossy', why: 'ts-engine only (event time): no late rows in the reference' },
  { key: 'rate', kind: 'lossy', why: 'ts-engine only (no reference equivalent): the rows are no longer paced, so the windows differ' },
  { key: 'speed', kind: 'note', why: 'ts-engine only (replay pacing, no reference equivalent)' },
  { key: 'max_error_rate', kind: 'lossy', why: 'ts-engine only (no reference equivalent): the run no longer stops on too many bad rows' },
];

/** What the reference target makes of a component: its descriptor's reference mapping (components/registry.ts). */
const reference = (d: { export?: ExportHooks } | undefined): ReferenceMapping => d?.export?.reference ?? {};

/** `outputs[0].options.influx.password` → `TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD` */
export function envNameFor(jsonPath: string): string {
  const segs = jsonPath
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '' && s !== 'options' && s !== 'option')
    .map((s) => (s === 'influx_options' || s === 'sqlite_options' ? s.replace('_options', '') : s));
  return ['TS_ENGINE', ...segs]
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_');
}

function brokerToServerPort(b: unknown): { server: string; port: number } | undefined {
  if (typeof b !== 'string') return undefined;
  const m = /^(.*):(\d+)$/.exec(b);
  return m ? { server: m[1]!, port: Number(m[2]) } : undefined;
}

/** envNameFor, made unique: two paths never share a variable (`Password` and `password` side by side). */
export function uniqueEnvNames(): (jsonPath: string) => string {
  const byPath = new Map<string, string>();
  const taken = new Set<string>();
  return (jsonPath) => {
    let name = byPath.get(jsonPath);
    if (name !== undefined) return name;
    const base = envNameFor(jsonPath);
    name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    byPath.set(jsonPath, name);
    taken.add(name);
    return name;
  };
}

export function toReferenceConfig(raw: unknown): ReferenceExport {
  if (!isObj(raw)) throw new Error('the config must be a JSON object');
  const cfg = structuredClone(raw) as Obj;
  const dropped: string[] = [];
  const warnings: string[] = [];
  const secrets: Record<string, string> = {};
  const envName = uniqueEnvNames();
  const changes: ExportChange[] = [];
  /** a line for the person exporting, and the change it records at `p` */
  const say = (kind: ExportChangeKind, p: string, line: string) => {
    warnings.push(line);
    changes.push({ kind, path: p, message: line });
  };
  const drop = (o: Obj, key: string, p: string, why: string, kind: ExportChangeKind = 'lossy') => {
    if (o[key] === undefined) return;
    delete o[key];
    dropped.push(p);
    say(kind, p, `dropped ${p}: ${why}`);
  };
  const notesAt = (p: string, lines: string[] | undefined) => {
    for (const l of lines ?? []) say('note', p, l);
  };

  // ---- input ---------------------------------------------------------------
  const input = cfg.input;
  if (isObj(input)) {
    const opts = isObj(input.options) ? input.options : undefined;
    const source = typeof input.input_type === 'string' ? sourceDescriptor(input.input_type) : undefined;
    const map = reference(source);
    if (!opts) notesAt('input', map.notes?.({}, 'input.options'));
    if (opts) {
      notesAt(
        'input',
        map.notes?.(opts, 'input.options').filter((n) => !n.startsWith('kept input.options.')),
      );
      for (const { key, kind, why } of INPUT_ONLY) drop(opts, key, `input.options.${key}`, why, kind);
      for (const { key, why, sameResults } of map.dropKeys ?? []) drop(opts, key, `input.options.${key}`, why, sameResults ? 'note' : 'lossy');
      if (Array.isArray(opts.brokers)) {
        const first = brokerToServerPort(opts.brokers[0]);
        if (opts.brokers.length > 1)
          say(
            'note',
            'input.options.brokers',
            `input.options.brokers: the reference takes one server; kept only the first broker ${JSON.stringify(opts.brokers[0])}`,
          );
        delete opts.brokers;
        dropped.push('input.options.brokers');
        if (first && opts.server === undefined) {
          opts.server = first.server;
          opts.port = first.port;
          say('note', 'input.options.brokers', `input.options.brokers → input.options.server + port (${first.server}:${first.port})`);
        }
      }
      notesAt(
        'input.options',
        map.notes?.(opts, 'input.options').filter((n) => n.startsWith('kept input.options.')),
      );
    }
  }

  // ---- outputs -------------------------------------------------------------
  let outputs = cfg.outputs;
  if (isObj(outputs)) {
    outputs = [outputs];
    say('note', 'outputs', 'outputs: a single object became a one-element array (the reference needs an array)');
  }
  /** original output index → its index in the exported outputs */
  const keptIndex = new Map<number, number>();
  if (Array.isArray(outputs)) {
    const kept: unknown[] = [];
    outputs.forEach((o, i) => {
      const p = `outputs[${i}]`;
      const map = reference(isObj(o) && typeof o.method === 'string' ? outputDescriptor(o.method) : undefined);
      if (map.unsupported) {
        dropped.push(p);
        say('lossy', p, `dropped ${p}: ${map.unsupported}`);
        return;
      }
      if (isObj(o) && isObj(o.options)) {
        const oo = o.options;
        const hadKeys = Object.keys(oo).length > 0;
        for (const { key, why, sameResults } of map.dropKeys ?? []) drop(oo, key, `${p}.options.${key}`, why, sameResults ? 'note' : 'lossy');
        notesAt(`${p}.options`, map.notes?.(oo, `${p}.options`));
        // options emptied by the drops are left out, as the reference writes them
        if (hadKeys && Object.keys(oo).length === 0) delete o.options;
      }
      keptIndex.set(i, kept.length);
      kept.push(o);
    });
    if (kept.length === 0) say('lossy', 'outputs', 'outputs: nothing left for the reference (add a stdout or influx output)');
    cfg.outputs = kept;
  }

  // ---- processing ----------------------------------------------------------
  if (isObj(cfg.processing)) drop(cfg.processing, 'on_error', 'processing.on_error', 'ts-engine only (the reference fails on a bad row)');

  // ---- top level -----------------------------------------------------------
  drop(cfg, 'extensions', 'extensions', 'ts-engine only (extension functions must be ported to the reference by hand)');
  if (cfg.databases === undefined) cfg.databases = {};

  // ---- analysis ------------------------------------------------------------
  const an = cfg.analysis;
  if (isObj(an)) {
    drop(an, 'timeout_ms', 'analysis.timeout_ms', 'ts-engine only', 'note');
    // history: the reference needs analysis.historical with influx_options
    const h = an.historical;
    if (h === undefined) {
      const rawOutputs = Array.isArray(raw.outputs) ? raw.outputs : [raw.outputs];
      const mainIndex = rawOutputs.findIndex((o) => isObj(o) && o.main === true && o.method === 'influx');
      const mainInflux = rawOutputs[mainIndex] as Obj | undefined;
      if (mainInflux && isObj(mainInflux.options) && isObj(mainInflux.options.influx)) {
        const conn = structuredClone(mainInflux.options.influx);
        // the same secrets as the output's: one environment variable each, not two
        redactSecrets(conn, `outputs[${keptIndex.get(mainIndex) ?? mainIndex}].options.influx`, envName);
        an.historical = { method: 'influx', influx_options: conn };
        say('note', 'analysis.historical', 'added analysis.historical from the influx output marked "main" (the reference does not read "main")');
      } else {
        say('lossy', 'analysis.historical', 'analysis.historical is missing: the reference needs an influx history (ts-engine used the sqlite "main" output)');
      }
    } else if (isObj(h)) {
      const unsupported = reference(typeof h.method === 'string' ? historyDescriptor(h.method) : undefined).unsupported;
      if (unsupported) {
        delete an.historical;
        dropped.push('analysis.historical');
        say('lossy', 'analysis.historical', `dropped analysis.historical: ${unsupported}`);
      } else if (h.influx_options === undefined && h.options !== undefined) {
        h.influx_options = h.options;
        delete h.options;
        say('note', 'analysis.historical.options', 'analysis.historical.options renamed to influx_options (the reference spelling)');
      }
    }
    // alerts: one object with method stdout or kafka, options spelled "option"
    const list = Array.isArray(an.alert) ? an.alert : an.alert === undefined ? [] : [an.alert];
    const base = Array.isArray(an.alert) ? 'analysis.alert' : undefined;
    const keptAlerts: Obj[] = [];
    list.forEach((a, i) => {
      const p = base ? `${base}[${i}]` : 'analysis.alert';
      if (!isObj(a)) return;
      const sink = typeof a.method === 'string' ? alertSinkDescriptor(a.method) : undefined;
      const map = reference(sink);
      if (map.unsupported) {
        dropped.push(p);
        say('lossy', p, `dropped ${p}: ${map.unsupported}`);
        return;
      }
      // keys of stdout alerts sit beside "method"; other sinks' keys in option/options
      if (sink?.settings) for (const { key, why, sameResults } of map.dropKeys ?? []) drop(a, key, `${p}.${key}`, why, sameResults ? 'note' : 'lossy');
      if (a.option === undefined && a.options !== undefined) {
        a.option = a.options;
        delete a.options;
        say('note', `${p}.options`, `${p}.options renamed to option (the reference spelling)`);
      }
      if (a.method === 'kafka' && isObj(a.option) && Array.isArray(a.option.brokers)) {
        const first = brokerToServerPort(a.option.brokers[0]);
        delete a.option.brokers;
        dropped.push(`${p}.option.brokers`);
        if (first && a.option.server === undefined) {
          a.option.server = first.server;
          a.option.port = first.port;
          say('note', `${p}.option.brokers`, `${p}.option.brokers → server + port (${first.server}:${first.port})`);
        }
      }
      keptAlerts.push(a);
    });
    if (keptAlerts.length > 1) {
      keptAlerts.slice(1).forEach((_, j) => {
        dropped.push(`analysis.alert[${j + 1}]`);
      });
      say('lossy', 'analysis.alert', `analysis.alert: the reference takes one alert sink; kept the first (${String(keptAlerts[0]!.method)})`);
    }
    if (keptAlerts.length === 0 && an.alert !== undefined) {
      an.alert = { method: 'stdout' };
      say('lossy', 'analysis.alert', 'analysis.alert: no reference sink was left; wrote {"method": "stdout"}');
    } else if (keptAlerts.length > 0) an.alert = keptAlerts[0];
    // rules: the reference reads "options" (plural)
    if (Array.isArray(an.rule)) {
      an.rule.forEach((r, i) => {
        if (isObj(r) && r.options === undefined && r.option !== undefined) {
          r.options = r.option;
          delete r.option;
          say('note', `analysis.rule[${i}].option`, `analysis.rule[${i}].option renamed to options (the reference spelling)`);
        }
        // the reference alerts once per deviating record: a lifecycle is ts-engine only (docs/alerts.md)
        if (isObj(r))
          for (const k of LIFECYCLE_KEYS)
            drop(r, k, `analysis.rule[${i}].${k}`, 'the alert lifecycle is ts-engine only (the reference alerts once per deviating record)');
        if (isObj(r) && typeof r.module === 'string' && isModulePath(r.module)) {
          say(
            'lossy',
            `analysis.rule[${i}].module`,
            `analysis.rule[${i}].module ${JSON.stringify(r.module)} is a ts-engine (JavaScript) module: port it to a Python class analysis/<Name>.py for the reference`,
          );
        }
      });
    }
  }

  // ---- secrets (docs/secrets.md) --------------------------------------------------
  // by the rule of options/secrets.ts, wherever they are; processing holds expressions, not
  // settings (`token: one(x)` names a column)
  for (const r of redactSecrets(cfg, '', envName, (p) => p === 'processing')) secrets[r.path] = r.placeholder;
  if (Object.keys(secrets).length > 0) {
    warnings.push(
      `replaced secrets by environment placeholders: ${Object.entries(secrets)
        .map(([p, e]) => `${p} → ${e}`)
        .join(', ')}`,
    );
    for (const [p, e] of Object.entries(secrets)) changes.push({ kind: 'note', path: p, message: `the secret is read from the environment: ${e}` });
  }
  return { config: cfg, dropped, warnings, secrets, changes };
}

export function isModulePath(m: string): boolean {
  return /[\\/]|\.(m?js|cjs|ts|mts)$/.test(m);
}

export interface ExportedProject extends ReferenceExport {
  outDir: string;
  /** files written, relative to outDir (config.json first) */
  files: string[];
}

/** Relative location inside the export folder for a file referenced from the config. */
function placeFor(configDir: string, ref: string): string {
  const abs = path.resolve(configDir, ref);
  const rel = path.relative(configDir, abs);
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(abs) : rel;
}

/**
 * Writes the reference-format config, the data-structure file, user analysis
 * modules and `databases` files into `outDir` (created if needed). Extension
 * modules are not copied: `extensions` is dropped.
 */
export function exportProject(configPath: string, outDir: string, configText?: string): ExportedProject {
  const absConfig = path.resolve(configPath);
  const configDir = path.dirname(absConfig);
  const text = configText ?? fs.readFileSync(absConfig, 'utf8');
  const raw = JSON.parse(text) as unknown;
  const result = toReferenceConfig(raw);
  const cfg = result.config;
  const out = path.resolve(outDir);
  if (out === configDir) throw new Error('export folder must differ from the project folder');
  ensureDirectory(out);
  const files: string[] = ['config.json'];
  const copy = (ref: string, what: string): string | undefined => {
    const src = path.resolve(configDir, ref);
    if (!fs.existsSync(src) || !fs.statSync(src).isFile()) {
      result.warnings.push(`${what} ${src} does not exist; not copied`);
      return undefined;
    }
    const rel = placeFor(configDir, ref);
    const dest = path.join(out, rel);
    ensureDirectory(path.dirname(dest));
    fs.copyFileSync(src, dest);
    const relPosix = rel.split(path.sep).join('/');
    if (!files.includes(relPosix)) files.push(relPosix);
    return relPosix;
  };

  const input = cfg.input;
  if (isObj(input) && typeof input.data_structure === 'string') {
    const placed = copy(input.data_structure, 'data-structure file');
    if (placed) input.data_structure = placed;
  }
  const an = cfg.analysis;
  if (isObj(an) && Array.isArray(an.rule)) {
    for (const r of an.rule) {
      if (isObj(r) && typeof r.module === 'string' && isModulePath(r.module)) {
        const [file, exp] = r.module.split('#');
        const placed = copy(file!, 'analysis module');
        if (placed) r.module = (placed.includes('/') ? placed : `./${placed}`) + (exp ? `#${exp}` : '');
      }
    }
  }
  if (isObj(cfg.databases)) {
    for (const [k, v] of Object.entries(cfg.databases)) {
      if (typeof v !== 'string') continue;
      const placed = copy(v, `databases.${k} file`);
      if (placed) cfg.databases[k] = placed;
    }
  }
  fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  return { ...result, outDir: out, files };
}
