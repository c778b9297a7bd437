// The config fuzzer (issue 10, point 6): whatever passes `check` runs; everything else is a positioned diagnostic;
// no stack trace, no hang, sizes bounded. Cases: fixed seeds (the issue's findings), mutations of the samples' configs
// and data structures, and configs generated from the config's JSON Schema (engine/config/schema.ts). Each case runs
// `check` in this process (a worker thread, so a hang can be cut off); a case that passes runs `ts-engine run` on a
// bounded input with its outputs in a temp dir, which must end with exit 0 or 1 and a one-line error.
// Deterministic: the cases come from fast-check's global seed (test/setup/fast-check.ts); FC_SEED=<n> replays a
// reported seed, FUZZ_DUMP=<case> leaves one case's folder behind, FUZZ_STATS=1 prints how many cases reached a run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../engine/config/schema.js';
import { CLI, ROOT } from '../helpers.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- markers for JSON text that JavaScript values cannot hold -------------------------------

/** a number literal kept as text: 2^53+1, 30 digits */
const BIG = (digits: string) => `\u0000BIG:${digits}`;
/** arrays nested n deep */
const DEEP = (n: number) => `\u0000DEEP:${n}`;

function serialize(v: Json): string {
  return JSON.stringify(v, null, 1)
    .replace(/"\\u0000BIG:([0-9.eE+-]+)"/g, '$1')
    .replace(/"\\u0000DEEP:(\d+)"/g, (_, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n)));
}

// ---- the cases ------------------------------------------------------------------------------

interface Case {
  name: string;
  /** the config as a value (with the markers above), or its text */
  config: Json;
  configText?: string;
  /** the data structure of the sensors sample unless given */
  structure?: Json;
  /** the sensors CSV unless given */
  data?: string;
}

const sample = (rel: string): Json => JSON.parse(fs.readFileSync(path.join(ROOT, 'samples', rel), 'utf8')) as Json;
const SENSOR_DATA = fs.readFileSync(path.join(ROOT, 'samples/sensors/data/sensors.csv'), 'utf8').split('\n').slice(0, 60).join('\n') + '\n';
const FLOW_DATA = fs.readFileSync(path.join(ROOT, 'samples/netflow/data/flows.csv'), 'utf8').split('\n').slice(0, 60).join('\n') + '\n';

/** The samples, pointed at the files of a case folder and at servers that do not answer (no connection is ever made). */
function bases(deadPort: number): Record<string, Json> {
  const dead = `127.0.0.1:${deadPort}`;
  const sensors = sample('sensors/config.json') as Record<string, Json>;
  const s = structuredClone(sensors) as any;
  s.input.data_structure = 'ds.json';
  s.input.options.path = 'data.csv';
  s.outputs[0].options.path = 'out/sensors.db';
  const k = structuredClone(sample('sensors/config-kafka.json')) as any;
  k.input.data_structure = 'ds.json';
  k.input.options.brokers = [dead];
  k.outputs[0].options.path = 'out/live.db';
  k.analysis.alert[1].option.brokers = [dead];
  const i = structuredClone(sample('sensors/config-influx.json')) as any;
  i.input.data_structure = 'ds.json';
  i.input.options.brokers = [dead];
  i.outputs[0].options.influx.host = '127.0.0.1';
  i.outputs[0].options.influx.port = deadPort;
  i.outputs[0].options.max_retries = 0;
  i.analysis.historical.influx_options.host = '127.0.0.1';
  i.analysis.historical.influx_options.port = deadPort;
  i.analysis.alert.option.brokers = [dead];
  const n = structuredClone(sample('netflow/config.json')) as any;
  n.input.data_structure = 'flows-ds.json';
  n.input.options.path = 'flows.csv';
  n.outputs[1].options.path = 'out/flows.db';
  return { sensors: s, kafka: k, influx: i, netflow: n };
}

const at = (v: any, p: (string | number)[]) => p.reduce((o, k) => o[k], v);
function withValue(base: Json, p: (string | number)[], value: Json): Json {
  const v = structuredClone(base) as any;
  at(v, p.slice(0, -1))[p[p.length - 1]!] = value;
  return v;
}

function fixedSeeds(b: Record<string, Json>): Case[] {
  const sensorsDs = sample('sensors/data_structure.json');
  const nested = (n: number) => `rpm_min: ${'add(1, '.repeat(n)}rotation_speed${')'.repeat(n)}`;
  return [
    { name: 'batchDuration 1e-300', config: withValue(b.sensors!, ['input', 'options', 'batchDuration'], 1e-300) },
    { name: 'batchDuration 1e300', config: withValue(b.sensors!, ['input', 'options', 'batchDuration'], 1e300) },
    {
      name: 'batchDuration 1e-300 without time_field',
      config: withValue(withValue(b.netflow!, ['input', 'options', 'time_field'], null), ['input', 'options', 'batchDuration'], 1e-300),
    },
    { name: 'kafka batchDuration 1e-300', config: withValue(b.kafka!, ['input', 'options', 'batchDuration'], 1e-300) },
    {
      name: 'huge allowed_lateness, accuracy, timeout',
      config: withValue(
        withValue(withValue(b.sensors!, ['input', 'options', 'allowed_lateness'], 1e300), ['analysis', 'accuracy'], 1e300),
        ['analysis', 'timeout_ms'],
        1e300,
      ),
    },
    {
      name: 'rate 1e-300 (paced forever: Ctrl-C must stop it)',
      config: withValue(withValue(b.netflow!, ['input', 'options', 'time_field'], null), ['input', 'options', 'rate'], 1e-300),
    },
    { name: 'column index 10 000 000', config: b.sensors!, structure: withValue(sensorsDs, ['torque', 'index'], 10_000_000) },
    { name: 'column index 2^53+1', config: b.sensors!, structure: withValue(sensorsDs, ['torque', 'index'], BIG('9007199254740993')) },
    { name: 'column index 1e300', config: b.sensors!, structure: withValue(sensorsDs, ['torque', 'index'], 1e300) },
    {
      name: 'a used column at index 1000000 (the largest allowed): every row too short',
      config: b.sensors!,
      structure: withValue(sensorsDs, ['rotation_speed', 'index'], 1_000_000),
    },
    { name: 'JSON nested 5000 deep in the config', config: withValue(b.sensors!, ['input', 'options', 'deep'], DEEP(5000)) },
    { name: 'JSON nested 5000 deep in the data structure', config: b.sensors!, structure: withValue(sensorsDs, ['torque', 'type'], DEEP(5000)) },
    { name: '2000 nested calls in one transformation', config: withValue(b.sensors!, ['processing', 'transformation', 3], nested(2000)) },
    { name: '200 nested calls (the limit) compile and run', config: withValue(b.sensors!, ['processing', 'transformation', 3], nested(200)) },
    { name: 'data_structure /dev/zero', config: withValue(b.sensors!, ['input', 'data_structure'], '/dev/zero') },
    { name: 'data_structure a directory', config: withValue(b.sensors!, ['input', 'data_structure'], '.') },
    { name: 'input path /dev/zero', config: withValue(b.sensors!, ['input', 'options', 'path'], '/dev/zero') },
    { name: 'sqlite path a directory', config: withValue(b.sensors!, ['outputs', 0, 'options', 'path'], '.') },
    {
      name: 'a 2 MB transformation entry',
      config: withValue(b.sensors!, ['processing', 'transformation', 3], `rpm_min: concat('${'x'.repeat(2_000_000)}', 1)`),
    },
    { name: 'a 20 MB config', config: withValue(b.sensors!, ['input', 'options', 'padding'], 'x'.repeat(20_000_000)) },
    {
      name: '20 000 transformation entries',
      config: withValue(
        b.netflow!,
        ['processing', 'transformation'],
        Array.from({ length: 20_000 }, (_, k) => `c${k}: packet_size`),
      ),
    },
    { name: 'wrong types everywhere', config: { input: [], outputs: 5, processing: 'x', databases: [], analysis: true } },
    {
      name: 'wrong types one level down',
      config: {
        input: { input_type: 1, data_structure: [], options: 'x' },
        outputs: [7, null],
        processing: { transformation: {}, aggregations: [] },
        databases: { a: 1 },
      },
    },
    {
      name: 'event times beyond the range of dates',
      config: b.sensors!,
      data: `99999999999999999999999,1,a,1,1,1,1\n-99999999999999999999999,1,a,1,1,1,1\n${SENSOR_DATA}`,
    },
    {
      name: 'integers beyond int64 into sqlite (sum too)',
      config: b.sensors!,
      data: `1700000000,99999999999999999999999,a,1,1,1,1\n1700000000,9223372036854775807,a,1,1,1,1\n1700000001,9223372036854775807,a,1,1,1,1\n`,
    },
    { name: 'a config that is not JSON', config: null, configText: '{"input": ' },
    { name: 'an empty config file', config: null, configText: '' },
  ];
}

// ---- mutations -------------------------------------------------------------------------------

type Path = (string | number)[];
function paths(v: Json, p: Path = [], out: Path[] = []): Path[] {
  out.push(p);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...p, i], out));
  else if (isObj(v)) for (const k of Object.keys(v)) paths(v[k]!, [...p, k], out);
  return out;
}

const interesting = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<Json>(0, -1, 1, 0.5, -0.0001, 1e-300, 1e300, -1e300, 10_000_000, 2 ** 31, 2 ** 32, -0) },
  { weight: 2, arbitrary: fc.constantFrom<Json>(BIG('9007199254740993'), BIG('123456789012345678901234567890'), BIG('1e400')) },
  {
    weight: 6,
    arbitrary: fc.constantFrom<Json>(
      '',
      ' ',
      'x',
      '/dev/zero',
      '/',
      '.',
      '..',
      '/proc/self/mem',
      'missing.json',
      '__proto__',
      'constructor',
      '\u0000',
      '\uD800',
      '-',
    ),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom<Json>(
      'add(',
      'add(1, 2)',
      'key: (sensor_id, sensor_type)',
      'sum(counter)',
      "config('input')",
      'x: one(timestamp)',
      'LongType',
      'ShortType',
    ),
  },
  { weight: 3, arbitrary: fc.constantFrom<Json>('kafka', 'csv', 'reduce', 'reduceByKey', 'sqlite', 'influx', 'stdout', 'jsonl', 'SimpleAnalysis', 'ms', 'ns') },
  { weight: 3, arbitrary: fc.constantFrom<Json>(true, false, null, [], {}, [[]], { a: {} }, ['x'], [1, 2]) },
  { weight: 1, arbitrary: fc.constantFrom<Json>('y'.repeat(1_000_000), DEEP(3000)) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })) },
);

type Op =
  | { kind: 'tweak'; pick: number }
  | { kind: 'replace'; value: Json }
  | { kind: 'delete' }
  | { kind: 'add'; key: string; value: Json }
  | { kind: 'nest'; depth: number }
  | { kind: 'wrap' }
  | { kind: 'stringify' };

const op: fc.Arbitrary<Op> = fc.oneof(
  // a plausible value of the same type: mutants that still pass check exercise the run
  { weight: 6, arbitrary: fc.nat().map((pick) => ({ kind: 'tweak' as const, pick })) },
  { weight: 8, arbitrary: interesting.map((value) => ({ kind: 'replace' as const, value })) },
  { weight: 3, arbitrary: fc.constant({ kind: 'delete' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      key: fc.constantFrom('x', '__proto__', 'Password', 'batchDuration', 'time_field', 'rate', 'ssl', 'main', 'options'),
      value: interesting,
    }),
  },
  { weight: 2, arbitrary: fc.constantFrom(1, 20, 250, 2000).map((depth) => ({ kind: 'nest' as const, depth })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wrap' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stringify' as const }) },
);

function apply(v: Json, pick: number, o: Op): Json {
  const all = paths(v);
  const p = all[pick % all.length]!;
  if (p.length === 0) {
    if (o.kind === 'replace') return o.value;
    if (o.kind === 'wrap') return [v];
    return v;
  }
  const root = structuredClone(v) as any;
  const parent = at(root, p.slice(0, -1));
  const key = p[p.length - 1]!;
  const cur = parent[key] as Json;
  switch (o.kind) {
    case 'tweak':
      parent[key] = tweak(cur, o.pick);
      break;
    case 'replace':
      parent[key] = o.value;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'add': {
      const target = isObj(cur) ? cur : isObj(parent) ? parent : undefined;
      if (target) Object.defineProperty(target, o.key, { value: o.value, enumerable: true, writable: true, configurable: true });
      break;
    }
    case 'nest':
      // a transformation entry (or any string) inside calls: the compiler's depth bound
      if (typeof cur === 'string') {
        const colon = cur.indexOf(':');
        const [name, body] = colon > 0 ? [cur.slice(0, colon), cur.slice(colon + 1)] : ['n', cur];
        parent[key] = `${name}: ${'add(1, '.repeat(o.depth)}${body.trim()}${')'.repeat(o.depth)}`;
      }
      break;
    case 'wrap':
      parent[key] = [cur];
      break;
    case 'stringify':
      parent[key] = typeof cur === 'string' ? cur : JSON.stringify(cur);
      break;
  }
  return root;
}

const TWEAK_NUMBERS = [0, 0.001, 0.5, 1, 2, 3, 10, 60, 100, 1000, 86_400, 1e9, 1_000_000];
const TWEAK_STRINGS = [
  'sensor_id',
  'sensor_type',
  'timestamp',
  'rotation_speed',
  'ms',
  's',
  'ns',
  'us',
  'reduce',
  'reduceByKey',
  'jsonl',
  'reference',
  'stdout',
  'sqlite',
  'out/y.db',
  'data.csv',
  'utc',
  'local',
];

/** Another value of the same type, from values a config commonly holds. */
function tweak(v: Json, pick: number): Json {
  if (typeof v === 'number') return TWEAK_NUMBERS[pick % TWEAK_NUMBERS.length]!;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') {
    // a transformation entry keeps its name and gets another body; other strings another common value
    const colon = v.indexOf(':');
    const bodies = [
      'one(timestamp)',
      'rotation_speed',
      'pydiv(rotation_speed, torque)',
      'floordiv(timestamp, 0)',
      "concat(sensor_type, 'x')",
      'mul(sensor_id, 99999999999)',
      'long(torque)',
    ];
    if (colon > 0 && /^\w+$/.test(v.slice(0, colon).trim())) return `${v.slice(0, colon)}: ${bodies[pick % bodies.length]}`;
    return TWEAK_STRINGS[pick % TWEAK_STRINGS.length]!;
  }
  return v;
}

const mutations = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.tuple(fc.nat(), op), { minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.array(fc.tuple(fc.nat(), op), { minLength: 2, maxLength: 3 }) },
);

function mutantCase(b: Record<string, Json>): fc.Arbitrary<Case> {
  const sensorsDs = sample('sensors/data_structure.json');
  return fc.record({ base: fc.constantFrom(...Object.keys(b)), onStructure: fc.boolean(), muts: mutations }).map(({ base, onStructure, muts }) => {
    const structureToo = onStructure && base !== 'netflow';
    let config: Json = b[base]!;
    let structure: Json = sensorsDs;
    for (const [pick, o] of muts) {
      if (structureToo) structure = apply(structure, pick, o);
      else config = apply(config, pick, o);
    }
    const what = muts.map(
      ([pick, o]) =>
        `${o.kind}@${pick}${o.kind === 'replace' || o.kind === 'add' ? `=${JSON.stringify(o.kind === 'add' ? [o.key, o.value] : o.value).slice(0, 40)}` : ''}`,
    );
    return { name: `${base}${structureToo ? ' data structure' : ''}: ${what.join(', ')}`, config, ...(structureToo ? { structure } : {}) };
  });
}

// ---- generation from the JSON Schema -----------------------------------------------------------

type Schema = Record<string, any>;
function fromSchema(schema: Schema, depth = 0): fc.Arbitrary<Json> {
  if (schema.$ref) return fromSchema(at(configJsonSchema, String(schema.$ref).slice(2).split('/')), depth);
  if (schema.enum) return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...(schema.enum as Json[])) }, { weight: 1, arbitrary: interesting });
  if (schema.oneOf) return fc.oneof(...(schema.oneOf as Schema[]).map((s) => fromSchema(s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  // now and then the wrong type, or a value at the edge of the allowed range
  const edge = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: interesting });
  const typed = ((): fc.Arbitrary<Json> => {
    switch (type) {
      case 'object': {
        if (depth > 4) return fc.constant({});
        const props = (schema.properties ?? {}) as Record<string, Schema>;
        const required = (schema.required ?? []) as string[];
        const record = fc.record(Object.fromEntries(Object.entries(props).map(([k, s]) => [k, fromSchema(s, depth + 1)])), {
          requiredKeys: required,
        }) as fc.Arbitrary<Json>;
        if (!schema.additionalProperties) return record;
        const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fromSchema(schema.additionalProperties as Schema, depth + 1), { maxKeys: 3 });
        return fc.tuple(record, extra).map(([r, x]) => ({ ...x, ...(r as object) }) as Json);
      }
      case 'array':
        return fc.array(schema.items ? fromSchema(schema.items as Schema, depth + 1) : interesting, { maxLength: 4 });
      case 'string':
        return fc.oneof(
          fc.string({ maxLength: 12 }),
          fc.constantFrom('ds.json', 'data.csv', 'out/x.db', 'sensor_id', 'counter: one(timestamp)', 'sum(counter)', '127.0.0.1:1'),
        );
      case 'integer':
        return fc.oneof(fc.integer({ min: schema.minimum ?? -5, max: Math.min(schema.maximum ?? 100, 100) }), fc.integer());
      case 'number':
        return fc.oneof(
          fc.double({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 100, 100), noNaN: true }),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
        );
      case 'boolean':
        return fc.boolean();
      default:
        return interesting;
    }
  })();
  return fc.tuple(edge, typed).map(([e, t]) => (e === undefined ? t : e));
}

function schemaCase(): fc.Arbitrary<Case> {
  return fromSchema(configJsonSchema as Schema).map((config) => {
    // mostly with the case folder's data structure and input file, so generation gets past the first errors
    if (isObj(config) && isObj(config.input)) {
      config.input.data_structure = 'ds.json';
      if (isObj(config.input.options) && config.input.input_type === 'csv') config.input.options.path = 'data.csv';
    }
    return { name: `schema: ${serialize(config).replace(/\s+/g, ' ').slice(0, 160)}`, config };
  });
}

// ---- running a case ------------------------------------------------------------------------------

interface CheckResult {
  ok?: boolean;
  diagnostics?: { line: number; column: number; endLine: number; endColumn: number; message: string; severity: string; errorClass: string; text: string }[];
  threw?: string;
  hung?: boolean;
}

class CheckWorker {
  private worker: Worker | undefined;
  private next = 0;
  private pending = new Map<number, (r: CheckResult) => void>();

  private start(): Worker {
    const w = new Worker(new URL('./fuzz-check-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    w.on('message', (m: CheckResult & { id: number }) => {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
    w.on('error', (e) => {
      for (const resolve of this.pending.values()) resolve({ threw: `the check worker died: ${e.stack ?? e}` });
      this.pending.clear();
      this.worker = undefined;
    });
    return w;
  }

  check(configPath: string, timeoutMs: number): Promise<CheckResult> {
    this.worker ??= this.start();
    const w = this.worker;
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        void w.terminate();
        if (this.worker === w) this.worker = undefined;
        resolve({ hung: true });
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      w.postMessage({ id, configPath });
    });
  }

  async stop(): Promise<void> {
    await this.worker?.terminate();
  }
}

interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  interrupted: boolean;
  hung: boolean;
}

/** `ts-engine run`; after `patienceMs` Ctrl-C, and a run that has not ended 10 s later hangs. */
function run(dir: string, patienceMs: number, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', 'config.json', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    let hung = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d.length > 100_000 ? d.slice(0, 100) : d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const patience = setTimeout(() => {
      interrupted = true;
      child.kill('SIGINT');
    }, patienceMs);
    const deadline = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, patienceMs + 10_000);
    child.on('close', (status, signal) => {
      clearTimeout(patience);
      clearTimeout(deadline);
      resolve({ status, signal, stdout, stderr, interrupted, hung });
    });
  });
}

/** Live or paced inputs do not end by themselves: for them Ctrl-C is the expected way out. */
function runsUntilStopped(config: Json): boolean {
  const input = isObj(config) ? config.input : undefined;
  if (!isObj(input)) return false;
  const o = input.options;
  return input.input_type === 'kafka' || (isObj(o) && ((o.rate !== undefined && o.rate !== null) || (typeof o.speed === 'number' && o.speed > 0)));
}

const STACK_FRAME = /^\s+at .+[:(]/m;

async function evaluate(c: Case, dir: string, checker: CheckWorker, runArgs: string[] = []): Promise<{ problems: string[]; ran: boolean }> {
  const problems: string[] = [];
  fs.writeFileSync(path.join(dir, 'config.json'), c.configText ?? serialize(c.config));
  fs.writeFileSync(
    path.join(dir, 'ds.json'),
    c.structure === undefined ? fs.readFileSync(path.join(ROOT, 'samples/sensors/data_structure.json')) : serialize(c.structure),
  );
  fs.writeFileSync(path.join(dir, 'data.csv'), c.data ?? SENSOR_DATA);
  fs.writeFileSync(path.join(dir, 'flows.csv'), FLOW_DATA);
  fs.copyFileSync(path.join(ROOT, 'samples/netflow/data_structure.json'), path.join(dir, 'flows-ds.json'));

  const checked = await checker.check(path.join(dir, 'config.json'), 20_000);
  if (checked.hung) return { problems: ['check hung (no answer in 20 s)'], ran: false };
  if (checked.threw) return { problems: [`check threw: ${checked.threw.split('\n').slice(0, 4).join(' | ')}`], ran: false };
  for (const d of checked.diagnostics!) {
    if (!(d.line >= 1 && d.column >= 1 && d.endLine >= d.line)) problems.push(`diagnostic without a position: ${d.text.slice(0, 200)}`);
    if (d.text.includes('\n') || d.message.length === 0) problems.push(`diagnostic not one line: ${JSON.stringify(d.text.slice(0, 200))}`);
    if (/Maximum call stack|RangeError|TypeError|Cannot read prop/.test(d.message))
      problems.push(`diagnostic reports an internal failure: ${d.text.slice(0, 200)}`);
  }
  if (!checked.ok) return { problems, ran: false };

  const live = runsUntilStopped(c.config);
  const r = await run(dir, live ? 4000 : 15_000, runArgs);
  const tail = r.stderr.slice(-600).replace(/\n/g, ' | ');
  if (r.hung) problems.push(`run hung: no exit 10 s after Ctrl-C (${tail})`);
  else if (r.interrupted && !live) problems.push(`run did not finish a 60-row input in 15 s (${tail})`);
  else if (r.status === 2) problems.push(`check passed but run rejected the config (${tail})`);
  // Ctrl-C during the start (before the run installs its handler) ends the process the default way
  else if (!(r.status === 0 || r.status === 1 || (r.interrupted && (r.status === 130 || r.signal === 'SIGINT'))))
    problems.push(`run ${r.signal ? `was killed by ${r.signal}` : `exited ${r.status}`} (${tail})`);
  if (STACK_FRAME.test(r.stderr)) problems.push(`stack trace on stderr (${tail})`);
  if (/run with --debug for the stack trace/.test(r.stderr)) problems.push(`an unexpected error (a bug) ended the run (${tail})`);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  if (r.status === 1 && errorLines.length !== 1) problems.push(`exit 1 with ${errorLines.length} error lines (${tail})`);
  return { problems, ran: true };
}

// ---- the test --------------------------------------------------------------------------------------

const MUTANTS = 260;
const GENERATED = 80;

describe('config fuzzer: whatever passes check runs; everything else is a positioned diagnostic', () => {
  // one check worker per lane: cutting off a hung check must not take the other lane's case with it
  const checkers = [new CheckWorker(), new CheckWorker()];
  let root: string;
  let deadPort: number;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-fuzz-'));
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    deadPort = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
  });
  afterAll(async () => {
    for (const c of checkers) await c.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it(`the issue's seeds, ${MUTANTS} mutants of the samples and ${GENERATED} configs from the JSON Schema`, async () => {
    const b = bases(deadPort);
    const seed = fc.readConfigureGlobal().seed ?? 0;
    const cases: Case[] = [
      ...fixedSeeds(b),
      ...fc.sample(mutantCase(b), { seed, numRuns: MUTANTS }),
      ...fc.sample(schemaCase(), { seed: seed + 1, numRuns: GENERATED }),
    ];
    const failures: string[] = [];
    let ran = 0;
    if (process.env.FUZZ_DUMP) {
      // FUZZ_DUMP=<case number> (with the FC_SEED of the report): the case's folder, to replay it by hand
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-fuzz-case-'));
      await evaluate(cases[Number(process.env.FUZZ_DUMP)]!, dir, checkers[0]!);
      console.log(`case ${process.env.FUZZ_DUMP} is in ${dir}`);
      return;
    }
    // two cases at a time: checks are quick, runs are child processes
    let next = 0;
    const lane = async (k: number) => {
      const dir = path.join(root, `lane${k}`);
      for (let i = next++; i < cases.length; i = next++) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        const c = cases[i]!;
        // every other case replays on two worker threads (the parallel replay is a code path of its own)
        const r = await evaluate(c, dir, checkers[k]!, i % 2 === 1 ? ['--workers', '2'] : []);
        if (r.ran) ran++;
        for (const p of r.problems) failures.push(`case ${i} (${c.name.slice(0, 200)}): ${p}`);
      }
    };
    await Promise.all([lane(0), lane(1)]);
    if (process.env.FUZZ_STATS) console.log(`${cases.length} cases, ${ran} ran`); // how far the cases get
    expect(failures, `seed ${seed}`).toEqual([]);
    // the fuzzer must reach runs, not only config errors
    expect(ran).toBeGreaterThan(cases.length / 8);
  }, 300_000);
});
