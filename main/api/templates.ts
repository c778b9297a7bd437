/**
 * What "New project" and "New file" write (docs/workbench.md#new-projects-and-files): project
 * templates (a copy of a sample, an empty CSV project, a Kafka project) and file templates (a
 * config, a data structure inferred from a CSV, an analysis module, an extension module). Every
 * text here is a valid file the check accepts as it is, so a new user starts from green.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inferStructure, structureFileText, type InferredStructure } from '../../engine/index.js';
import type { NewFileKind, ProjectTemplate } from './contract.js';

type Fields = { name: string; type: string }[];

const NUMERIC = new Set(['IntegerType', 'LongType', 'FloatType', 'DoubleType', 'ShortType', 'ByteType']);

/** A config over the given fields: the first key-like field groups, the numeric fields get max (and a count). */
export function configText(o: { input: Record<string, unknown>; fields: Fields; timeField?: string; store: string }): string {
  const keyField = o.fields.find((f) => f.name !== o.timeField && (f.type === 'StringType' || f.type === 'IntegerType'));
  const values = o.fields.filter((f) => f.name !== o.timeField && f !== keyField && NUMERIC.has(f.type));
  const countOf = o.timeField ?? o.fields[0]?.name ?? 'value';
  const transformation = [`count: one(${countOf})`, ...(keyField ? [keyField.name] : []), ...values.map((f) => `${f.name}_max: ${f.name}`)];
  const rule = [...(keyField ? [`key: ${keyField.name}`] : []), 'sum(count)', ...values.map((f) => `max(${f.name}_max)`)];
  const config = {
    input: o.input,
    outputs: [
      { method: 'sqlite', main: true, options: { path: o.store, table: 'points' } },
      { method: 'stdout', options: { format: 'jsonl' } },
    ],
    processing: {
      transformation,
      aggregations: { operation_type: keyField ? 'reduceByKey' : 'reduce', rule },
    },
    databases: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Input options of a CSV read with the structure inferred from it. */
export function csvInput(dataStructure: string, csvPath: string, s: Pick<InferredStructure, 'header' | 'separator' | 'time'>): Record<string, unknown> {
  return {
    input_type: 'csv',
    data_structure: dataStructure,
    options: {
      path: csvPath,
      sep: s.separator,
      ...(s.header ? { header: true } : {}),
      batchDuration: 10,
      ...(s.time ? { time_field: s.time.field, time_unit: s.time.unit } : {}),
    },
  };
}

const EXAMPLE_CSV = [
  'time,device,temperature,humidity',
  '1700000000,a,21.5,40',
  '1700000000,b,19.0,55',
  '1700000010,a,21.7,41',
  '1700000010,b,19.2,54',
  '',
].join('\n');

/** The files of a new project from a template that is not a sample copy (relative path → text). */
export function templateFiles(template: Exclude<ProjectTemplate, `sample:${string}`>): Record<string, string> {
  const s = inferStructure(EXAMPLE_CSV);
  const fields = s.fields.map((f) => ({ name: f.name, type: f.type }));
  const structure = structureFileText(s);
  if (template === 'csv') {
    return {
      'config.json': configText({ input: csvInput('data_structure.json', 'data/data.csv', s), fields, timeField: s.time?.field, store: 'data/store.db' }),
      'data_structure.json': structure,
      'data/data.csv': EXAMPLE_CSV,
    };
  }
  const input = {
    input_type: 'kafka',
    data_structure: 'data_structure.json',
    options: {
      brokers: ['localhost:9092'],
      topic: 'readings',
      consumer_group: 'ts-engine-readings',
      from_beginning: true,
      sep: ',',
      batchDuration: 10,
      time_field: 'time',
      time_unit: 's',
    },
  };
  return {
    'config.json': configText({ input, fields, timeField: 'time', store: 'data/store.db' }),
    'data_structure.json': structure,
    // what the topic carries, one message a line: `ts-engine produce` (or the Connections tab) can send it
    'data/readings.csv': EXAMPLE_CSV.split('\n').slice(1).join('\n'),
  };
}

/** An identifier from a file name: `my-check.ts` → `MyCheck` (classes) or `my_check` (functions). */
export function identifierOf(file: string, style: 'class' | 'function'): string {
  const words = path
    .basename(file)
    .replace(/\.[^.]*$/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  if (words.length === 0) return style === 'class' ? 'MyAnalysis' : 'my_function';
  const id = style === 'class' ? words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') : words.map((w) => w.toLowerCase()).join('_');
  return /^\d/.test(id) ? `_${id}` : id;
}

const isTs = (file: string) => /\.(m|c)?ts$/.test(file);

/** An analysis module (docs/semantics.md#user-code): one class whose analysis() reads the history and sends alerts. */
export function analysisModuleText(file: string): string {
  const name = identifierOf(file, 'class');
  if (!isTs(file)) {
    return `/**
 * Analysis module ${name}: name it in the config's analysis.rule as { "module": "./${path.basename(file)}", "name": "${name}1", "options": { ... } }.
 * @typedef {import('ts-engine').HistoryAccessor} HistoryAccessor
 * @typedef {import('ts-engine').AlertSender} AlertSender
 */
export default class ${name} {
  /** @param {{ field?: string; factor?: number }} options  @param {string} name */
  constructor(options, name) {
    this.name = name;
    this.field = options?.field ?? 'value';
    this.factor = options?.factor ?? 2;
  }

  /** @param {HistoryAccessor} history  @param {AlertSender} alerts */
  async analysis(history, alerts) {
    const current = history.current();
    const previous = await history.get(1);
    const now = Number(current[this.field]);
    const before = Number(previous[this.field]);
    if (!Number.isFinite(now) || !Number.isFinite(before)) return;
    const bound = this.factor * Math.abs(before);
    const message = {
      module: this.name,
      timestamp: Number(current.time ?? 0),
      param: { key: current.key, field: this.field, lower_bound: -bound, upper_bound: bound, value: now },
    };
    // observe() reports a check that passed, so a rule with a recovery band knows how far inside the bounds it is
    if (Math.abs(now) > bound) await alerts.send(message);
    else await alerts.observe(message);
  }
}
`;
  }
  return `import type { AlertSender, AnalysisOptions, HistoryAccessor, UserAnalysis } from 'ts-engine';

/**
 * Analysis module ${name}: name it in the config's analysis.rule as
 * { "module": "./${path.basename(file)}", "name": "${name}1", "options": { "field": "…", "factor": 2 } }.
 * It alerts when a field of a window is more than \`factor\` times its value one window before (same key).
 */
interface Options extends AnalysisOptions {
  field?: string;
  factor?: number;
}

export default class ${name} implements UserAnalysis {
  private readonly field: string;
  private readonly factor: number;

  constructor(
    options: Options,
    private readonly name: string,
  ) {
    this.field = options?.field ?? 'value';
    this.factor = options?.factor ?? 2;
  }

  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    const current = history.current();
    const previous = await history.get(1);
    const now = Number(current[this.field]);
    const before = Number(previous[this.field]);
    if (!Number.isFinite(now) || !Number.isFinite(before)) return;
    const bound = this.factor * Math.abs(before);
    const message = {
      module: this.name,
      timestamp: Number(current.time ?? 0),
      param: { key: current.key, field: this.field, lower_bound: -bound, upper_bound: bound, value: now },
    };
    // observe() reports a check that passed, so a rule with a recovery band knows how far inside the bounds it is
    if (Math.abs(now) > bound) await alerts.send(message);
    else await alerts.observe(message);
  }
}
`;
}

/** An extension module: one transformation function and one aggregate function, ready to name in the config. */
export function extensionModuleText(file: string): string {
  const fn = identifierOf(file, 'function');
  if (!isTs(file)) {
    return `/**
 * Extension module: list it in the config's "extensions": ["./${path.basename(file)}"], then use
 * ${fn}_clamp(x, lo, hi) in a transformation and ${fn}_range(column) in a rule.
 * @type {import('ts-engine').TransformFunction[]}
 */
export const transformFunctions = [
  {
    name: '${fn}_clamp',
    arity: 3,
    params: ['numeric', 'numeric', 'numeric'],
    returns: 'promote',
    doc: 'x limited to [lo, hi]',
    apply: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x),
  },
];

/** @type {import('ts-engine').AggregateFunction[]} */
export const aggregateFunctions = [
  {
    name: '${fn}_range',
    accepts: ['DoubleType'],
    doc: 'the largest absolute value seen in the window',
    combine: (a, b) => Math.max(Math.abs(a), Math.abs(b)),
  },
];
`;
  }
  return `import type { AggregateFunction, TransformFunction, Value } from 'ts-engine';

/**
 * Extension module: list it in the config's "extensions": ["./${path.basename(file)}"], then use
 * ${fn}_clamp(x, lo, hi) in a transformation and ${fn}_range(column) in a rule.
 * Functions are pure and synchronous; they run sandboxed (docs/sandbox.md).
 */
export const transformFunctions: TransformFunction[] = [
  {
    name: '${fn}_clamp',
    arity: 3,
    params: ['numeric', 'numeric', 'numeric'],
    returns: 'promote',
    doc: 'x limited to [lo, hi]',
    apply: (x: Value, lo: Value, hi: Value): Value => (Number(x) < Number(lo) ? lo : Number(x) > Number(hi) ? hi : x),
  },
];

export const aggregateFunctions: AggregateFunction[] = [
  {
    name: '${fn}_range',
    accepts: ['DoubleType'],
    doc: 'the largest absolute value seen in the window',
    combine: (a: Value, b: Value): Value => Math.max(Math.abs(Number(a)), Math.abs(Number(b))),
  },
];
`;
}

/** The first bytes of a CSV file, enough for its header and first rows. */
export function csvHead(file: string, bytes = 64 * 1024): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export const NEW_FILE_KINDS: readonly NewFileKind[] = ['config', 'data-structure', 'analysis-module', 'extension-module'];
