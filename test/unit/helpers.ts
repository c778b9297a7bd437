/**
 * Shared helpers of the engine unit tests: in-memory configs, plans, one-off
 * expression evaluation, running lines through a Processor, temp dirs and the CLI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { afterAll, expect } from 'vitest';
import type { Diagnostic } from '../../engine/core/errors.js';
import type { FieldType, InputField, Value } from '../../engine/core/types.js';
import { checkConfig, type PipelinePlan } from '../../engine/pipeline/plan.js';
import type { ConfigIO } from '../../engine/config/validate.js';
import { Processor, type ProcessorOptions } from '../../engine/pipeline/processor.js';
import type { ClosedWindow } from '../../engine/core/window.js';
import { compileBody, type ConfigLookup } from '../../engine/expr/compile.js';
import { compileRowParser } from '../../engine/pipeline/row-parser.js';
import { referenceLine, rowShape, SEPARATOR, sortedGroups } from '../../engine/components/outputs/format.js';
import { RemoteProcessor, type SegmentView } from '../../engine/sandbox/remote-processor.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin/ts-engine.mjs');

// ---- data structures ---------------------------------------------------------

export type StructureSpec = Record<string, [index: number, type: FieldType]>;

export function structure(spec: StructureSpec): Record<string, { index: number; type: FieldType }> {
  return Object.fromEntries(Object.entries(spec).map(([name, [index, type]]) => [name, { index, type }]));
}

export function fieldsOf(spec: StructureSpec): InputField[] {
  return Object.entries(spec)
    .map(([name, [index, type]]) => ({ name, index, type }))
    .sort((a, b) => a.index - b.index);
}

/** The sensor data structure of Section 14. */
export const SENSOR_SPEC: StructureSpec = {
  timestamp: [0, 'LongType'],
  sensor_id: [1, 'LongType'],
  sensor_type: [2, 'StringType'],
  pressure: [3, 'DoubleType'],
  temperature: [4, 'DoubleType'],
  rotation_speed: [5, 'DoubleType'],
  torque: [6, 'DoubleType'],
};

/** The flow data structure of the reference tests (docs/semantics.md#language): src_ip, dst_ip strings, packet_size, sampling_rate longs. */
export const FLOW_SPEC: StructureSpec = {
  src_ip: [0, 'StringType'],
  dst_ip: [1, 'StringType'],
  packet_size: [2, 'LongType'],
  sampling_rate: [3, 'LongType'],
  src_mac: [4, 'StringType'],
  dst_mac: [5, 'StringType'],
  in_vlan: [6, 'LongType'],
};

/** One column of every parseable type plus a few extras, for expression tests. */
export const MIXED_SPEC: StructureSpec = {
  ii: [0, 'LongType'],
  dd: [1, 'DoubleType'],
  ff: [2, 'FloatType'],
  bo: [3, 'BooleanType'],
  ss: [4, 'StringType'],
  s: [5, 'StringType'],
  x: [6, 'IntegerType'],
  packet_size: [7, 'LongType'],
  neg: [8, 'LongType'],
};

export const SECTION14_ROWS = ['1523800000,5,seal.t1,250,516,2500,500', '1523800001,5,seal.t1,260,520,900,480', '1523800002,72,seal.t2,240,510,4100,510'];

export const SECTION14_TRANSFORMATION = [
  'counter: one(timestamp)',
  'sensor_id',
  'sensor_type',
  'rpm_min: rotation_speed',
  'rpm_max: rotation_speed',
  'rpm_sum: rotation_speed',
  'speed_lt: lt(rotation_speed, 1000)',
  'speed_gt: gt(rotation_speed, 4000)',
];

export const SECTION14_RULE = [
  'key: (sensor_id, sensor_type)',
  'sum(counter)',
  'min(rpm_min)',
  'max(rpm_max)',
  'sum(rpm_sum)',
  'sum(speed_lt)',
  'sum(speed_gt)',
];

// ---- expressions ---------------------------------------------------------------

/** Evaluates one transformation body against one CSV row of `spec`. */
export function evalExpr(body: string, spec: StructureSpec = MIXED_SPEC, row?: string, configLookup?: ConfigLookup): { value: Value; type: FieldType } {
  const fields = fieldsOf(spec);
  const c = compileBody(body, fields, { configLookup });
  const r: Value[] = new Array(fields.length).fill(null);
  if (c.usedSlots.length > 0) {
    if (row === undefined) throw new Error(`${body} reads fields; pass a row`);
    compileRowParser(fields, c.usedSlots, ',')(row, r);
  }
  return { value: c.run(r), type: c.type };
}

// ---- configs and plans ------------------------------------------------------------

export interface ConfigParts {
  transformation: unknown;
  rule: unknown;
  operation?: string;
  options?: Record<string, unknown>;
  inputType?: string;
  outputs?: unknown;
  analysis?: unknown;
  extensions?: unknown;
  processingExtra?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export function makeConfig(p: ConfigParts): Record<string, unknown> {
  return {
    input: {
      input_type: p.inputType ?? 'csv',
      data_structure: 'ds.json',
      options: p.options ?? { path: 'data.csv' },
    },
    outputs: p.outputs ?? [{ method: 'stdout' }],
    processing: {
      transformation: p.transformation,
      aggregations: { operation_type: p.operation ?? 'reduceByKey', rule: p.rule },
      ...(p.processingExtra ?? {}),
    },
    databases: {},
    ...(p.analysis !== undefined ? { analysis: p.analysis } : {}),
    ...(p.extensions !== undefined ? { extensions: p.extensions } : {}),
    ...(p.extra ?? {}),
  };
}

export const VIRTUAL_DIR = path.resolve('/virtual-config-dir');

/** A ConfigIO over in-memory files (paths relative to VIRTUAL_DIR); nothing else exists. */
export function memoryIO(files: Record<string, string>): ConfigIO {
  const abs = new Map(Object.entries(files).map(([k, v]) => [path.resolve(VIRTUAL_DIR, k), v]));
  return {
    readFile: (p) => abs.get(p) ?? Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' }),
    exists: (p) => abs.has(p),
  };
}

/** Validates and compiles a config against a data structure, entirely in memory. */
export async function planOf(
  config: unknown,
  spec: StructureSpec | Record<string, unknown> = SENSOR_SPEC,
  extraFiles: Record<string, string> = {},
): Promise<{ plan?: PipelinePlan; diagnostics: Diagnostic[]; errors: Diagnostic[]; text: string }> {
  const ds = Object.values(spec).every((v) => Array.isArray(v)) ? structure(spec as StructureSpec) : spec;
  const text = typeof config === 'string' ? config : JSON.stringify(config, null, 2);
  const io = memoryIO({ 'ds.json': JSON.stringify(ds, null, 2), ...extraFiles });
  const outcome = await checkConfig(path.join(VIRTUAL_DIR, 'config.json'), text, io);
  return { plan: outcome.plan, diagnostics: outcome.diagnostics, errors: outcome.diagnostics.filter((d) => d.severity === 'error'), text };
}

export async function mustPlan(config: unknown, spec: StructureSpec | Record<string, unknown> = SENSOR_SPEC): Promise<PipelinePlan> {
  const r = await planOf(config, spec);
  if (!r.plan) throw new Error('config did not compile:\n' + r.errors.map((d) => `${d.path}: ${d.errorClass}: ${d.message}`).join('\n'));
  return r.plan;
}

/** Feeds lines to a Processor (event time, or one whole-input window) and returns the closed windows. */
export function runLines(plan: PipelinePlan, lines: readonly string[], opts: ProcessorOptions = {}): { windows: ClosedWindow[]; processor: Processor } {
  const p = new Processor(plan, opts);
  for (const l of lines) p.processRow(l);
  p.finish(0, 0);
  return { windows: p.drain(), processor: p };
}

/**
 * runLines for a plan whose rows run in the sandbox (it calls user functions):
 * the windows, the failed rows (index into `lines`) and the sandbox's counters.
 */
export async function runLinesInSandbox(
  plan: PipelinePlan,
  lines: readonly string[],
  opts: ProcessorOptions = {},
): Promise<{ windows: ClosedWindow[]; failures: SegmentView['failures']; view: SegmentView; processor: RemoteProcessor }> {
  const p = new RemoteProcessor(plan, opts);
  try {
    await p.open();
    const view = await p.lines([...lines]);
    await p.finish(0, 0);
    return { windows: p.drain(), failures: view.failures, view, processor: p };
  } finally {
    await p.close();
  }
}

/** The reference stdout rendering of closed windows (separator + sorted tuple lines). */
export function referenceText(plan: PipelinePlan, windows: readonly ClosedWindow[]): string {
  const shape = rowShape(plan.aggregation);
  let s = '';
  for (const w of windows) {
    s += SEPARATOR + '\n';
    for (const g of sortedGroups(w.groups)) s += referenceLine(g, shape) + '\n';
  }
  return s;
}

// ---- files and processes -------------------------------------------------------------

/** A fresh temp dir, removed after the file's tests. */
export function useTmpDir(prefix = 'ts-engine-unit-'): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

export function writeFiles(dir: string, files: Record<string, string | object>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  }
}

/**
 * A project of the sensor data keyed by sensor_id with max(rpm_max) per 10 s window, written to a SQLite main output
 * (store.db), with the given rows, files (analysis modules) and analysis, written to `dir` and checked (no errors): what
 * the analysis tests run.
 */
export async function rpmAnalysisPlan(
  dir: string,
  p: { files: Record<string, string>; rows: readonly string[]; analysis: Record<string, unknown>; sandbox?: Record<string, unknown> },
): Promise<PipelinePlan> {
  writeFiles(dir, {
    ...p.files,
    'ds.json': structure(SENSOR_SPEC),
    'data.csv': p.rows.join('\n') + '\n',
    'config.json': makeConfig({
      transformation: ['sensor_id', 'rpm_max: rotation_speed'],
      rule: ['key: sensor_id', 'max(rpm_max)'],
      options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
      outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
      analysis: p.analysis,
      ...(p.sandbox ? { extra: { sandbox: p.sandbox } } : {}),
    }),
  });
  const outcome = await checkConfig(path.join(dir, 'config.json'));
  expect(outcome.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return outcome.plan!;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/ts-engine.mjs <args>` synchronously. */
export function cli(args: readonly string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI asynchronously (several runs can overlap). */
export function cliAsync(args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ts-engine ${args.join(' ')} timed out\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** 1-based line and column of the first occurrence of `needle` (after `after`, if given) in `text`. */
export function positionOf(text: string, needle: string, after?: string): { line: number; column: number } {
  const from = after === undefined ? 0 : text.indexOf(after);
  if (from < 0) throw new Error(`'${after}' not found`);
  const at = text.indexOf(needle, from);
  if (at < 0) throw new Error(`'${needle}' not found`);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

/** A stdout that keeps what is written to it. */
export class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
