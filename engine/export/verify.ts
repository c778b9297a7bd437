/**
 * Verify of a Flink export (docs/production.md#verifying-an-export): runs the exported job with
 * `--replay` on a recorded CSV and ts-engine on the same file, and answers `identical` or the first
 * differing lines (windows, then alerts). Equal means the same JSON lines in the same order, integers
 * and strings exact, doubles within 1e-9 relative (what the Flink parity tests require).
 *
 * ts-engine's side runs a copy of the config whose results print as JSON lines: files it writes
 * (sqlite stores) go to a scratch folder, outputs to servers are left out, so verifying never touches
 * the project's data or a production server.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { checkConfig } from '../pipeline/plan.js';
import { Runner } from '../pipeline/runner.js';
import { formatDiagnostic } from '../core/errors.js';
import { fileOptions } from './file-options.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface VerifyResult {
  /** unavailable: Python with apache-flink or Java was not found, or there is no CSV to replay */
  status: 'identical' | 'different' | 'unavailable' | 'failed';
  /** one line: what was compared, or why not */
  detail: string;
  /** the first differing lines (at most `maxDifferences`), each `windows line 12: expected … / got …` */
  differences: string[];
  windows: number;
  alerts: number;
}

export interface VerifyOptions {
  /** the project's config */
  configPath: string;
  /** the folder `ts-engine export … --target flink` wrote */
  exportDir: string;
  /** the CSV to replay; default: the config's csv input file */
  csv?: string;
  /** Python with apache-flink; default: <exportDir>/.venv, TS_ENGINE_FLINK_VENV, then python3 on PATH */
  python?: string;
  /** Java 17: default JAVA_HOME/bin/java, then java on PATH */
  java?: string;
  maxDifferences?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const isFloatText = (t: string) => /[.eE]/.test(t);

/** Two JSON lines are the same result: equal text outside numbers, integers exact, doubles within 1e-9 relative. */
export function sameJsonLine(a: string, b: string): boolean {
  if (a === b) return true;
  const na = a.match(NUMBER) ?? [];
  const nb = b.match(NUMBER) ?? [];
  if (a.replace(NUMBER, '#') !== b.replace(NUMBER, '#') || na.length !== nb.length) return false;
  return na.every((x, k) => {
    const y = nb[k]!;
    if (x === y) return true;
    if (!isFloatText(x) || !isFloatText(y)) return false;
    const fx = Number(x);
    const fy = Number(y);
    return Math.abs(fx - fy) <= 1e-9 * Math.max(Math.abs(fx), Math.abs(fy));
  });
}

/** The differing lines of two lists of JSON lines, in order, at most `max`. */
export function jsonLineDifferences(expected: readonly string[], actual: readonly string[], max = Number.POSITIVE_INFINITY): string[] {
  const out: string[] = [];
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n && out.length < max; i++) {
    const a = expected[i];
    const b = actual[i];
    if (a !== undefined && b !== undefined && sameJsonLine(a, b)) continue;
    out.push(
      `line ${i + 1}: expected ${a ?? '(no line)'}\n  got      ${b ?? '(no line)'}${a === undefined || b === undefined ? ` (${expected.length} vs ${actual.length} lines)` : ''}`,
    );
  }
  return out;
}

const works = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0;
};

/** The first Python that imports pyflink, or undefined. */
export function findFlinkPython(exportDir: string, explicit?: string): string | undefined {
  const venvs = [path.join(exportDir, '.venv'), process.env.TS_ENGINE_FLINK_VENV].filter((v): v is string => !!v);
  const candidates = explicit ? [explicit] : [...venvs.map((v) => path.join(v, 'bin', 'python')), 'python3'];
  return candidates.find((py) => (py === 'python3' || fs.existsSync(py)) && works(py, ['-c', 'import pyflink']));
}

export function findJava(explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : [...(process.env.JAVA_HOME ? [path.join(process.env.JAVA_HOME, 'bin', 'java')] : []), 'java'];
  return candidates.find((j) => works(j, ['-version']));
}

const unavailable = (detail: string): VerifyResult => ({ status: 'unavailable', detail, differences: [], windows: 0, alerts: 0 });
const failed = (detail: string): VerifyResult => ({ status: 'failed', detail, differences: [], windows: 0, alerts: 0 });

/** The config as ts-engine runs it for the comparison: results as JSON lines, written files in `scratch`, the csv replayed. */
function comparisonConfig(raw: Obj, csv: string, scratch: string): Obj {
  const cfg = structuredClone(raw);
  const input = cfg.input as Obj;
  const opts = isObj(input.options) ? input.options : {};
  if (input.input_type !== 'csv') {
    const keep = ['sep', 'batchDuration', 'time_field', 'time_unit', 'allowed_lateness'];
    input.input_type = 'csv';
    input.options = Object.fromEntries(keep.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
  }
  const o = input.options as Obj;
  o.path = csv;
  for (const k of ['speed', 'rate', 'max_error_rate']) delete o[k];
  const list = Array.isArray(cfg.outputs) ? cfg.outputs : [cfg.outputs];
  const local = list.filter((x): x is Obj => isObj(x) && (x.method === 'sqlite' || x.method === 'file'));
  cfg.outputs = [...local, { method: 'stdout', options: { format: 'jsonl' } }];
  if (isObj(cfg.analysis)) cfg.analysis.alert = { method: 'stdout', format: 'jsonl' };
  fileOptions(cfg).forEach(({ holder, key }, i) => {
    holder[key] = path.join(scratch, `${i}-${path.basename(holder[key] as string)}`);
  });
  return cfg;
}

/** ts-engine's windows and alerts as JSON lines. */
async function tsEngineLines(configPath: string, cfg: Obj, scratch: string): Promise<{ lines: string[] } | { error: string }> {
  const outcome = await checkConfig(configPath, JSON.stringify(cfg));
  if (!outcome.plan) {
    const first = outcome.diagnostics.find((d) => d.severity === 'error');
    return { error: `the config cannot run for the comparison: ${first ? formatDiagnostic(first) : 'invalid'}` };
  }
  let text = '';
  const stdout = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  await new Runner(outcome.plan, { stdout, deadLetterPath: path.join(scratch, 'ts-dead.jsonl'), warn: () => {} }).run();
  return { lines: text.split('\n').filter((l) => l !== '') };
}

function runJob(python: string, exportDir: string, args: string[], o: VerifyOptions): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, [path.join(exportDir, 'job.py'), ...args], {
      cwd: exportDir,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Flink starts its Python workers with the python on PATH
      env: { ...process.env, PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}` },
      signal: o.signal,
      timeout: o.timeoutMs ?? 900_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8000);
    });
    child.on('error', (e) => resolve({ status: null, stderr: `${stderr}${e.message}` }));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

const readLines = (f: string) =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

/** Runs both sides on the CSV and compares them. */
export async function verifyFlinkExport(o: VerifyOptions): Promise<VerifyResult> {
  const exportDir = path.resolve(o.exportDir);
  if (!fs.existsSync(path.join(exportDir, 'job.py'))) return failed(`${exportDir} holds no exported Flink job (job.py)`);
  const raw = JSON.parse(fs.readFileSync(o.configPath, 'utf8')) as Obj;
  const input = isObj(raw.input) ? raw.input : {};
  const configured = input.input_type === 'csv' && isObj(input.options) && typeof input.options.path === 'string' ? input.options.path : undefined;
  const csvRef = o.csv ?? configured;
  if (csvRef === undefined) return unavailable('the config reads Kafka: name a recorded CSV of the topic to replay');
  const csv = path.resolve(path.dirname(path.resolve(o.configPath)), csvRef);
  if (!fs.existsSync(csv)) return unavailable(`the CSV ${csv} does not exist`);
  const python = findFlinkPython(exportDir, o.python);
  if (!python) {
    return unavailable(
      `no Python with apache-flink found (${path.join(exportDir, '.venv')}, TS_ENGINE_FLINK_VENV, python3): python3 -m venv ${path.join(exportDir, '.venv')} && ${path.join(exportDir, '.venv/bin/pip')} install -r requirements.txt`,
    );
  }
  const java = findJava(o.java);
  if (!java) return unavailable('no Java found (JAVA_HOME or java on PATH): Flink needs Java 17');

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-verify-'));
  try {
    const mine = await tsEngineLines(o.configPath, comparisonConfig(raw, csv, scratch), scratch).catch((e: Error) => ({
      error: `ts-engine's run failed: ${e.message}`,
    }));
    if ('error' in mine) return failed(mine.error);
    const windowsFile = path.join(scratch, 'flink-windows.jsonl');
    const alertsFile = path.join(scratch, 'flink-alerts.jsonl');
    const job = await runJob(
      python,
      exportDir,
      [
        '--replay',
        csv,
        '--sink',
        `jsonl:${windowsFile}`,
        '--alerts',
        `jsonl:${alertsFile}`,
        '--dead-letters',
        `jsonl:${path.join(scratch, 'flink-dead.jsonl')}`,
      ],
      o,
    );
    if (job.status !== 0) return failed(`the Flink job failed (exit ${job.status ?? 'killed'}): ${job.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const expectedWindows = mine.lines.filter((l) => l.startsWith('{"window_start"'));
    const expectedAlerts = mine.lines.filter((l) => l.startsWith('{"module"'));
    const max = o.maxDifferences ?? 5;
    const differences = [
      ...jsonLineDifferences(expectedWindows, readLines(windowsFile), max).map((d) => `windows ${d}`),
      ...jsonLineDifferences(expectedAlerts, readLines(alertsFile), max).map((d) => `alerts ${d}`),
    ].slice(0, max);
    const counts = { windows: expectedWindows.length, alerts: expectedAlerts.length };
    const what = `${counts.windows} window line(s) and ${counts.alerts} alert(s) of ${path.basename(csv)}`;
    return differences.length === 0
      ? { status: 'identical', detail: `identical: ${what}`, differences, ...counts }
      : { status: 'different', detail: `different: ${what} compared; the first differences are listed`, differences, ...counts };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
