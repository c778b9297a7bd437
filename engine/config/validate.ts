/**
 * Up-front validation of the whole config (D-01): shape, types and values of
 * every section, the data-structure file, outputs and analysis, before any
 * file or connection is opened. Transformations and aggregation rules are
 * checked by the compiler (pipeline/plan.ts), which reports through the same sink.
 */
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { FieldType, InputField } from '../types.js';
import { ALL_TYPES, PARSEABLE_TYPES, isNumericType } from '../types.js';
import { DiagnosticSink } from './diagnostics.js';
import { JsonSyntaxError, lineCol, lineStartsOf, parseJsonWithLocations, type ParsedJson } from './json.js';
import { unknownSecretKeys } from './secrets.js';
import type {
  AlertSinkConfig,
  AnalysisConfig,
  AnalysisRuleConfig,
  HistoryConfig,
  InfluxConnection,
  InputConfig,
  OutputConfig,
  PipelineConfig,
  TimeUnit,
} from './model.js';

export interface ConfigIO {
  /** file contents, or an Error explaining why it cannot be read */
  readFile(absPath: string): string | Error;
  exists(absPath: string): boolean;
}

export interface ValidationResult {
  config?: PipelineConfig;
  diagnostics: Diagnostic[];
  configDoc?: ParsedJson;
  structureDoc?: ParsedJson;
  /** sink of the config file, for the compile step to add diagnostics */
  sink: DiagnosticSink;
  /**
   * What validated even though other sections did not: enough to compile the
   * transformations and rules, so `check` reports their errors in the same pass.
   */
  partial?: {
    fields?: InputField[];
    processing?: { transformation: string[]; operation: 'reduce' | 'reduceByKey'; rules: string[] };
    extensions?: string[];
    raw: Record<string, unknown>;
  };
  structureSink?: DiagnosticSink;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : isObj(v) ? 'an object' : `a ${typeof v}`);

export const BUILTIN_ANALYSES = ['SimpleAnalysis', 'AverageAnalysis'] as const;

/**
 * Longest duration a config may give in seconds (windows, lateness, accuracy): about 31 years,
 * so window bounds stay inside the range of dates (a batchDuration of 1e300 used to crash the run).
 */
export const MAX_SECONDS = 1e9;

const INPUT_OPTION_KEYS: Record<'csv' | 'kafka' | 'common', string[]> = {
  common: ['sep', 'batchDuration', 'time_field', 'time_unit', 'allowed_lateness', 'speed', 'max_error_rate'],
  csv: ['path', 'rate', 'header'],
  kafka: ['brokers', 'server', 'port', 'topic', 'consumer_group', 'from_beginning', 'client_id', 'ssl', 'sasl'],
};

export function parseDoc(text: string, file: string): { doc?: ParsedJson; sink: DiagnosticSink } {
  try {
    const doc = parseJsonWithLocations(text);
    return { doc, sink: new DiagnosticSink(file, doc) };
  } catch (e) {
    const sink = new DiagnosticSink(file, undefined);
    if (e instanceof JsonSyntaxError) {
      const lc = lineCol(lineStartsOf(text), e.offset);
      sink.diagnostics.push({
        file,
        line: lc.line,
        column: lc.column,
        endLine: lc.line,
        endColumn: lc.column + 1,
        path: '',
        errorClass: 'ConfigError',
        message: `invalid JSON: ${e.message}`,
        severity: 'error',
      });
      return { sink };
    }
    throw e;
  }
}

/** Validates a config given its text; `io` reads the data-structure file and checks referenced files. */
export function validateConfig(configPath: string, configText: string, io: ConfigIO): ValidationResult {
  const absConfig = path.resolve(configPath);
  const configDir = path.dirname(absConfig);
  const { doc, sink } = parseDoc(configText, configPath);
  if (!doc) return { diagnostics: sink.diagnostics, sink };
  const v = new Validator(sink, doc, configDir, io);
  const config = v.run(absConfig);
  warnUnknownSecrets(doc, sink);
  const diagnostics = [...sink.diagnostics, ...(v.structureSink?.diagnostics ?? [])];
  return {
    config: diagnostics.some((d) => d.severity === 'error') ? undefined : config,
    diagnostics,
    configDoc: doc,
    structureDoc: v.structureDoc,
    sink,
    structureSink: v.structureSink,
    partial: v.partial,
  };
}

/** A secret-looking key ts-engine does not read is a misspelling or a stray secret (docs/secrets.md). */
function warnUnknownSecrets(doc: ParsedJson, sink: DiagnosticSink): void {
  for (const { path: p, key, known } of unknownSecretKeys(doc.value)) {
    const hint = known ? `keys are case-sensitive: did you mean '${known}'? ` : '';
    sink.report(
      p,
      'ConfigError',
      `'${key}' looks like a secret but ts-engine does not read this key (${hint}it is ignored; export writes an environment placeholder instead of its value)`,
      {
        onKey: true,
        severity: 'warning',
      },
    );
  }
}

class Validator {
  structureSink?: DiagnosticSink;
  structureDoc?: ParsedJson;
  partial?: ValidationResult['partial'];
  private fields?: InputField[];

  constructor(
    readonly sink: DiagnosticSink,
    readonly doc: ParsedJson,
    readonly configDir: string,
    readonly io: ConfigIO,
  ) {}

  private err(p: string, msg: string, cls: Diagnostic['errorClass'] = 'ConfigError') {
    this.sink.report(p, cls, msg);
  }
  private warn(p: string, msg: string) {
    this.sink.warn(p, msg);
  }
  private resolve(p: string): string {
    return path.resolve(this.configDir, p);
  }

  private str(o: Obj, key: string, p: string, required: boolean, cls: Diagnostic['errorClass'] = 'ConfigError'): string | undefined {
    const v = o[key];
    if (v === undefined) {
      if (required) this.err(`${p}.${key}`, `missing required key '${key}' in ${p}`, cls);
      return undefined;
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.err(`${p}.${key}`, `${p}.${key} must be a non-empty string, got ${typeName(v)}`, cls);
      return undefined;
    }
    return v;
  }

  private num(
    o: Obj,
    key: string,
    p: string,
    opts: { required?: boolean; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
  ): number | undefined {
    const v = o[key];
    if (v === undefined) {
      if (opts.required) this.err(`${p}.${key}`, `missing required key '${key}' in ${p}`);
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.err(`${p}.${key}`, `${p}.${key} must be a number, got ${typeName(v)}`);
      return undefined;
    }
    if (opts.integer && !Number.isInteger(v)) this.err(`${p}.${key}`, `${p}.${key} must be an integer, got ${v}`);
    else if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) {
      this.err(`${p}.${key}`, `${p}.${key} must be ${opts.exclusiveMin ? 'greater than' : 'at least'} ${opts.min}, got ${v}`);
    } else if (opts.max !== undefined && v > opts.max) this.err(`${p}.${key}`, `${p}.${key} must be at most ${opts.max}, got ${v}`);
    else return v;
    return undefined;
  }

  private bool(o: Obj, key: string, p: string): boolean | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.err(`${p}.${key}`, `${p}.${key} must be true or false, got ${typeName(v)}`);
      return undefined;
    }
    return v;
  }

  private oneOf<T extends string>(o: Obj, key: string, p: string, allowed: readonly T[], dflt: T): T {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.err(`${p}.${key}`, `${p}.${key} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
      return dflt;
    }
    return v as T;
  }

  run(absConfig: string): PipelineConfig | undefined {
    const root = this.doc.value;
    if (!isObj(root)) {
      this.err('', `the config must be a JSON object, got ${typeName(root)}`);
      return undefined;
    }
    for (const key of Object.keys(root)) {
      if (!['input', 'outputs', 'processing', 'databases', 'analysis', 'extensions'].includes(key)) {
        this.sink.report(key, 'ConfigError', `unknown top-level key '${key}' is ignored`, { onKey: true, severity: 'warning' });
      }
    }
    const input = this.input(root);
    const outputs = this.outputs(root);
    const processing = this.processing(root);
    const databases = this.databases(root);
    const errorsBefore = this.sink.diagnostics.filter((d) => d.severity === 'error').length;
    const extensions = this.extensions(root);
    const extensionsOk = this.sink.diagnostics.filter((d) => d.severity === 'error').length === errorsBefore;
    this.partial = { fields: this.fields, processing, extensions: extensionsOk ? extensions : undefined, raw: root };
    const analysis = root.analysis === undefined ? undefined : this.analysis(root, outputs ?? [], input);
    if (!input || !outputs || !processing) return undefined;
    return {
      configPath: absConfig,
      configDir: this.configDir,
      text: this.doc.text,
      raw: root,
      input,
      outputs,
      transformation: processing.transformation,
      operation: processing.operation,
      rules: processing.rules,
      onError: processing.onError,
      databases,
      analysis: analysis ?? undefined,
      extensions,
    };
  }

  // ---- input -------------------------------------------------------------

  private input(root: Obj): InputConfig | undefined {
    const inp = root.input;
    if (!isObj(inp)) {
      this.err(
        'input',
        inp === undefined
          ? 'Error: Some option was miss in config file. ReadFactory cannot create Executable (the config has no input section)'
          : `input must be an object, got ${typeName(inp)}`,
        'InputError',
      );
      return undefined;
    }
    const type = inp.input_type;
    let kind: 'csv' | 'kafka' | undefined;
    if (type === 'csv' || type === 'kafka') kind = type;
    else if (type === undefined) this.err('input.input_type', `missing required key 'input_type' in input ("csv" or "kafka")`, 'InputError');
    else
      this.err(
        'input.input_type',
        `Error: input_type ${JSON.stringify(type)} unsuported input format (supported: "csv", "kafka"). ReadFactory cannot create Executable`,
        'InputError',
      );

    const fields = this.dataStructure(inp);
    const options = inp.options;
    if (!isObj(options)) {
      this.err(
        'input.options',
        options === undefined ? `missing required key 'options' in input` : `input.options must be an object, got ${typeName(options)}`,
        'InputError',
      );
      return undefined;
    }
    const p = 'input.options';
    const known = new Set([...INPUT_OPTION_KEYS.common, ...(kind ? INPUT_OPTION_KEYS[kind] : [])]);
    for (const key of Object.keys(options)) {
      if (!known.has(key)) {
        this.sink.report(
          `${p}.${key}`,
          'ConfigError',
          `unknown key '${key}' in input.options is kept (config('input.options.${key}') can read it) but not used by the ${kind ?? 'input'} source`,
          {
            onKey: true,
            severity: 'warning',
          },
        );
      }
    }
    const sep = options.sep === undefined ? ',' : this.str(options, 'sep', p, false);
    let batchDuration = this.num(options, 'batchDuration', p, { required: kind === 'kafka', min: 0, exclusiveMin: kind === 'kafka', max: MAX_SECONDS });
    // windows are whole milliseconds: a shorter one would be empty (and 1e-300 s used to hang the run)
    if (batchDuration !== undefined && batchDuration > 0 && batchDuration < 0.001) {
      this.err(
        `${p}.batchDuration`,
        `${p}.batchDuration must be at least 0.001 seconds (1 ms)${kind === 'kafka' ? '' : ', or 0 for one window over the whole file'}, got ${batchDuration}`,
      );
      batchDuration = undefined;
    }
    const timeField = this.str(options, 'time_field', p, false);
    const timeUnit = this.oneOf<TimeUnit>(options, 'time_unit', p, ['s', 'ms', 'us', 'ns'], 's');
    const lateness = this.num(options, 'allowed_lateness', p, { min: 0, max: MAX_SECONDS }) ?? 0;
    const speed = this.num(options, 'speed', p, { min: 0, max: 1e9 }) ?? 0;
    const rate = this.num(options, 'rate', p, { min: 0, exclusiveMin: true, max: 1e9 });
    const maxErrorRate = this.num(options, 'max_error_rate', p, { min: 0, max: 1 });

    if (timeField !== undefined && fields) {
      const f = fields.find((x) => x.name === timeField);
      if (!f)
        this.err(
          `${p}.time_field`,
          `time_field '${timeField}' is not a field of the data structure (${fields.map((x) => x.name).join(', ')})`,
          'FieldNotExists',
        );
      else if (!isNumericType(f.type)) this.err(`${p}.time_field`, `time_field '${timeField}' must be numeric (epoch ${timeUnit}), but it is ${f.type}`);
    }
    if (timeField !== undefined && (batchDuration === undefined || batchDuration === 0)) {
      this.err(`${p}.batchDuration`, `event-time windows (time_field '${timeField}') need batchDuration > 0 seconds`);
    }
    if (rate !== undefined && (batchDuration === undefined || batchDuration === 0)) {
      this.err(`${p}.batchDuration`, `paced csv input (rate) uses processing-time windows and needs batchDuration > 0 seconds`);
    }
    if (rate !== undefined && timeField !== undefined)
      this.warn(`${p}.rate`, `rate is ignored under event time (time_field is set); use speed to pace a replay`);
    if (options.speed !== undefined && timeField === undefined) this.warn(`${p}.speed`, `speed only paces event-time replays (time_field); it is ignored here`);

    let source: InputConfig['source'] | undefined;
    if (kind === 'csv') {
      const file = this.str(options, 'path', p, true);
      const header = this.bool(options, 'header', p) ?? false;
      if (file !== undefined) {
        const abs = file === '-' ? '-' : this.resolve(file);
        if (abs !== '-' && !this.io.exists(abs)) this.warn(`${p}.path`, `input file ${abs} does not exist (yet)`);
        source = { type: 'csv', path: abs, header };
      }
    } else if (kind === 'kafka') {
      const brokers = this.brokers(options, p);
      const topic = this.str(options, 'topic', p, true);
      const group = this.str(options, 'consumer_group', p, true);
      const fromBeginning = this.bool(options, 'from_beginning', p) ?? false;
      const clientId = this.str(options, 'client_id', p, false) ?? 'ts-engine';
      const sasl = this.sasl(options, p);
      const ssl = this.ssl(options, p);
      if (brokers && topic && group) source = { type: 'kafka', brokers, topic, consumerGroup: group, fromBeginning, clientId, sasl, ssl };
    }
    if (!source || !fields || sep === undefined) return undefined;
    return {
      source,
      dataStructurePath: this.resolve(String(inp.data_structure)),
      fields,
      sep,
      batchDurationSec: batchDuration ?? 0,
      timeField,
      timeUnit,
      allowedLatenessSec: lateness,
      rate,
      speed,
      maxErrorRate,
      rawOptions: options,
    };
  }

  /** brokers array, or the reference's server + port (D-31) */
  private brokers(o: Obj, p: string): string[] | undefined {
    if (o.brokers !== undefined) {
      const b = o.brokers;
      const list = typeof b === 'string' ? [b] : b;
      if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' || !/^[^\s:]+:\d+$/.test(x))) {
        this.err(`${p}.brokers`, `${p}.brokers must be a non-empty array of "host:port" strings, got ${JSON.stringify(b)}`);
        return undefined;
      }
      if (o.server !== undefined || o.port !== undefined) this.warn(`${p}.server`, `${p}.server/port are ignored because brokers is given`);
      return list as string[];
    }
    if (o.server !== undefined || o.port !== undefined) {
      const server = this.str(o, 'server', p, true);
      const port = this.num(o, 'port', p, { required: true, integer: true, min: 1, max: 65535 });
      if (server === undefined || port === undefined) return undefined;
      this.warn(
        `${p}.server`,
        `${p}.server + port is the reference's ZooKeeper form; ts-engine treats "${server}:${port}" as a single Kafka broker address (use "brokers": ["host:port"])`,
      );
      return [`${server}:${port}`];
    }
    this.err(`${p}.brokers`, `missing required key 'brokers' in ${p} (an array of "host:port" strings)`);
    return undefined;
  }

  private sasl(o: Obj, p: string): { mechanism: string; username: string; password: string } | undefined {
    if (o.sasl === undefined) return undefined;
    const s = o.sasl;
    if (!isObj(s)) {
      this.err(`${p}.sasl`, `${p}.sasl must be an object {mechanism, username, password}`);
      return undefined;
    }
    const mechanism = this.oneOf(s, 'mechanism', `${p}.sasl`, ['plain', 'scram-sha-256', 'scram-sha-512'], 'plain');
    const username = this.str(s, 'username', `${p}.sasl`, true);
    const password = this.str(s, 'password', `${p}.sasl`, true);
    return username !== undefined && password !== undefined ? { mechanism, username, password } : undefined;
  }

  private ssl(o: Obj, p: string): boolean | Record<string, unknown> | undefined {
    if (o.ssl === undefined) return undefined;
    if (typeof o.ssl === 'boolean' || isObj(o.ssl)) return o.ssl;
    this.err(`${p}.ssl`, `${p}.ssl must be true/false or an object of TLS options`);
    return undefined;
  }

  private dataStructure(inp: Obj): InputField[] | undefined {
    const rel = this.str(inp, 'data_structure', 'input', true);
    if (rel === undefined) return undefined;
    const abs = this.resolve(rel);
    const text = this.io.readFile(abs);
    if (text instanceof Error) {
      this.err('input.data_structure', `cannot read data structure file ${abs}: ${text.message}`);
      return undefined;
    }
    const parsed = parseDataStructure(text, abs);
    this.structureSink = parsed.sink;
    this.structureDoc = parsed.doc;
    this.fields = parsed.fields;
    return parsed.fields;
  }

  // ---- outputs -----------------------------------------------------------

  private outputs(root: Obj): OutputConfig[] | undefined {
    let outs = root.outputs;
    if (outs === undefined) {
      this.err('outputs', `missing required key 'outputs' (an array of {"method": "stdout" | "sqlite" | "influx", …})`);
      return undefined;
    }
    let single = false;
    if (isObj(outs)) {
      // D-40: a single object is shorthand for a one-element array
      outs = [outs];
      single = true;
    }
    if (!Array.isArray(outs)) {
      this.err('outputs', `outputs must be an array of output objects, got ${typeName(outs)}`);
      return undefined;
    }
    if (outs.length === 0) this.warn('outputs', 'outputs is empty: aggregates are computed but written nowhere');
    const result: OutputConfig[] = [];
    let failed = false;
    outs.forEach((o, index) => {
      const p = single ? 'outputs' : `outputs[${index}]`;
      const out = this.output(o, p, index);
      if (out) result.push(out);
      else failed = true;
    });
    const mains = result.filter((o) => o.main);
    if (mains.length > 1) {
      this.warn(`outputs[${mains[1]!.index}].main`, `several outputs are marked main; the first (outputs[${mains[0]!.index}]) is the default history source`);
    }
    return failed ? undefined : result;
  }

  private output(o: unknown, p: string, index: number): OutputConfig | undefined {
    if (!isObj(o)) {
      this.err(p, `${p} must be an object, got ${typeName(o)}`);
      return undefined;
    }
    const method = o.method;
    const main = this.bool(o, 'main', p) ?? false;
    const options = o.options === undefined ? {} : o.options;
    if (!isObj(options)) {
      this.err(`${p}.options`, `${p}.options must be an object`);
      return undefined;
    }
    switch (method) {
      case 'stdout':
        return { method, main, format: this.oneOf(options, 'format', `${p}.options`, ['reference', 'jsonl'], 'reference'), index };
      case 'sqlite': {
        const file = this.str(options, 'path', `${p}.options`, true);
        const table = this.identifier(options, 'table', `${p}.options`, 'points');
        if (file === undefined || table === undefined) return undefined;
        return { method, main, path: this.resolve(file), table, index };
      }
      case 'influx': {
        const conn = this.influxConnection(options.influx, `${p}.options.influx`);
        if (!conn) return undefined;
        const batchSize = this.num(options, 'batch_size', `${p}.options`, { min: 1, max: 1_000_000, integer: true }) ?? 5000;
        const maxRetries = this.num(options, 'max_retries', `${p}.options`, { min: 0, max: 1_000_000, integer: true }) ?? 10;
        return { method, main, connection: conn, batchSize, maxRetries, index };
      }
      case undefined:
        this.err(`${p}.method`, `missing required key 'method' in ${p} ("stdout", "sqlite" or "influx")`, 'UnsupportedOutputFormat');
        return undefined;
      default:
        this.err(`${p}.method`, `Format ${String(method)} not supported (use "stdout", "sqlite" or "influx")`, 'UnsupportedOutputFormat');
        return undefined;
    }
  }

  private identifier(o: Obj, key: string, p: string, dflt: string): string | undefined {
    if (o[key] === undefined) return dflt;
    const v = this.str(o, key, p, false);
    if (v !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      this.err(`${p}.${key}`, `${p}.${key} must be an identifier (letters, digits, _), got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  }

  private influxConnection(o: unknown, p: string): InfluxConnection | undefined {
    if (!isObj(o)) {
      this.err(
        p,
        o === undefined
          ? `missing required key '${p.split('.').pop()}' (InfluxDB connection: host, port, username, password, database, measurement — or url, token, org, bucket, measurement)`
          : `${p} must be an object`,
      );
      return undefined;
    }
    const measurement = this.str(o, 'measurement', p, true);
    if (o.url !== undefined || o.token !== undefined || o.bucket !== undefined) {
      const url = this.str(o, 'url', p, true);
      const token = this.str(o, 'token', p, true);
      const org = this.str(o, 'org', p, false);
      const bucket = this.str(o, 'bucket', p, true);
      if (url && !/^https?:\/\/[^\s]+$/.test(url)) this.err(`${p}.url`, `${p}.url must be an http(s) URL, got ${JSON.stringify(url)}`);
      if (!url || !token || !bucket || !measurement) return undefined;
      return { kind: 'v2', url: url.replace(/\/+$/, ''), token, org, bucket, measurement };
    }
    const host = this.str(o, 'host', p, true);
    const port = this.num(o, 'port', p, { required: true, integer: true, min: 1, max: 65535 });
    const username = o.username === undefined ? undefined : this.str(o, 'username', p, false);
    const password = o.password === undefined ? undefined : typeof o.password === 'string' ? o.password : this.str(o, 'password', p, false);
    const database = this.str(o, 'database', p, true);
    const ssl = this.bool(o, 'ssl', p) ?? false;
    const rp = this.str(o, 'retention_policy', p, false);
    if (!host || port === undefined || !database || !measurement) return undefined;
    const h = host.replace(/^https?:\/\//, '');
    return {
      kind: 'v1',
      url: `${ssl || host.startsWith('https://') ? 'https' : 'http'}://${h}:${port}`,
      username,
      password,
      database,
      measurement,
      retentionPolicy: rp,
    };
  }

  // ---- processing --------------------------------------------------------

  private processing(root: Obj): { transformation: string[]; operation: 'reduce' | 'reduceByKey'; rules: string[]; onError: 'skip' | 'fail' } | undefined {
    const pr = root.processing;
    if (!isObj(pr)) {
      this.err('processing', pr === undefined ? `missing required key 'processing' (transformation and aggregations)` : `processing must be an object`);
      return undefined;
    }
    const transformation = this.stringArray(pr, 'transformation', 'processing');
    const onError = this.oneOf(pr, 'on_error', 'processing', ['skip', 'fail'], 'skip');
    const agg = pr.aggregations;
    if (!isObj(agg)) {
      this.err(
        'processing.aggregations',
        agg === undefined
          ? `missing required key 'aggregations' in processing ({"operation_type": …, "rule": […]})`
          : 'processing.aggregations must be an object',
        'NotValidAggregationExpression',
      );
      return undefined;
    }
    const op = agg.operation_type;
    if (op !== 'reduce' && op !== 'reduceByKey') {
      this.err(
        'processing.aggregations.operation_type',
        op === undefined
          ? `missing required key 'operation_type' ("reduce" or "reduceByKey")`
          : `The operation '${String(op)}' don't support (use "reduce" or "reduceByKey")`,
        'NotValidAggregationExpression',
      );
    }
    const rules = this.stringArray(agg, 'rule', 'processing.aggregations', 'NotValidAggregationExpression');
    if (!transformation || !rules || (op !== 'reduce' && op !== 'reduceByKey')) return undefined;
    return { transformation, operation: op, rules, onError };
  }

  private stringArray(o: Obj, key: string, p: string, cls: Diagnostic['errorClass'] = 'ConfigError'): string[] | undefined {
    const v = o[key];
    if (v === undefined) {
      this.err(`${p}.${key}`, `missing required key '${key}' in ${p} (an array of strings)`, cls);
      return undefined;
    }
    if (!Array.isArray(v)) {
      // D-41: a single string is not iterated character by character
      this.err(
        `${p}.${key}`,
        `${p}.${key} must be an array of strings, got ${typeName(v)}${typeof v === 'string' ? ` (write [${JSON.stringify(v)}])` : ''}`,
        cls,
      );
      return undefined;
    }
    let ok = true;
    v.forEach((x, i) => {
      if (typeof x !== 'string') {
        this.err(`${p}.${key}[${i}]`, `${p}.${key}[${i}] must be a string, got ${typeName(x)}`, cls);
        ok = false;
      }
    });
    return ok ? (v as string[]) : undefined;
  }

  private databases(root: Obj): Record<string, string> {
    const db = root.databases;
    if (db === undefined) {
      this.sink.report('', 'ConfigError', `missing 'databases' section; treated as {} (the reference requires it)`, { severity: 'warning' });
      return {};
    }
    if (!isObj(db)) {
      this.err('databases', `databases must be an object mapping names to file paths, got ${typeName(db)}`);
      return {};
    }
    const out: [string, string][] = [];
    for (const [k, f] of Object.entries(db)) {
      if (typeof f !== 'string') {
        this.err(`databases.${k}`, `databases.${k} must be a file path string`);
        continue;
      }
      const abs = this.resolve(f);
      if (!this.io.exists(abs)) this.err(`databases.${k}`, `database file ${abs} does not exist`);
      out.push([k, abs]);
    }
    // names are the user's: fromEntries defines them as own properties ("__proto__" included)
    return Object.fromEntries(out);
  }

  private extensions(root: Obj): string[] {
    const ext = root.extensions;
    if (ext === undefined) return [];
    if (!Array.isArray(ext) || ext.some((x) => typeof x !== 'string')) {
      this.err('extensions', 'extensions must be an array of module paths (relative to the config file)');
      return [];
    }
    const out: string[] = [];
    ext.forEach((x, i) => {
      const abs = this.resolve(x as string);
      if (!this.io.exists(abs)) this.err(`extensions[${i}]`, `extension module ${abs} does not exist`, 'ImportError');
      out.push(abs);
    });
    return out;
  }

  // ---- analysis ----------------------------------------------------------

  /** D-22: accept both spellings, error when both are given. */
  private either(o: Obj, a: string, b: string, p: string): unknown {
    if (o[a] !== undefined && o[b] !== undefined) {
      this.err(`${p}.${b}`, `${p} has both '${a}' and '${b}'; use one (they are two spellings of the same key)`);
    }
    return o[a] ?? o[b];
  }

  private analysis(root: Obj, outputs: OutputConfig[], input: InputConfig | undefined): AnalysisConfig | undefined {
    const an = root.analysis;
    const p = 'analysis';
    if (!isObj(an)) {
      this.err(p, `analysis must be an object`);
      return undefined;
    }
    const accuracy = this.num(an, 'accuracy', p, { required: true, min: 0, max: MAX_SECONDS });
    // a timer longer than 2^31 − 1 ms fires at once in Node
    const timeoutMs = this.num(an, 'timeout_ms', p, { min: 1, max: 2 ** 31 - 1 }) ?? 1000;
    if (accuracy !== undefined && input && input.batchDurationSec > 0 && accuracy >= input.batchDurationSec) {
      this.warn(
        `${p}.accuracy`,
        `Current accuracy ${accuracy} is more or equal batch duration ${input.batchDurationSec}. History lookups take the point closest to the target time.`,
      );
    }
    if (input && input.batchDurationSec === 0 && !input.rate) {
      this.warn(p, 'analysis over a single whole-file window has no history to compare with (set batchDuration and time_field)');
    }
    const history = this.history(an, outputs);
    const alerts = this.alerts(an, outputs);
    const rules = this.rules(an);
    if (!history || !alerts || !rules || accuracy === undefined) return undefined;
    return { history, alerts, accuracySec: accuracy, rules, timeoutMs };
  }

  private history(an: Obj, outputs: OutputConfig[]): HistoryConfig | undefined {
    const p = 'analysis.historical';
    const h = an.historical;
    if (h === undefined) {
      // D-21: the main output is the default history source
      const main = outputs.find((o) => o.main && (o.method === 'sqlite' || o.method === 'influx'));
      if (!main) {
        this.err(p, `analysis needs history: add analysis.historical or mark a sqlite/influx output with "main": true`);
        return undefined;
      }
      if (main.method === 'sqlite') return { method: 'sqlite', path: main.path, table: main.table };
      if (main.method === 'influx') return { method: 'influx', connection: main.connection };
      return undefined;
    }
    if (!isObj(h)) {
      this.err(p, `${p} must be an object`);
      return undefined;
    }
    const method = h.method;
    if (method === 'influx') {
      const conn = this.influxConnection(this.either(h, 'influx_options', 'options', p), `${p}.influx_options`);
      return conn ? { method: 'influx', connection: conn } : undefined;
    }
    if (method === 'sqlite') {
      const o = this.either(h, 'sqlite_options', 'options', p);
      if (!isObj(o)) {
        this.err(`${p}.sqlite_options`, `${p}.sqlite_options must be an object {path, table}`);
        return undefined;
      }
      const file = this.str(o, 'path', `${p}.sqlite_options`, true);
      const table = this.identifier(o, 'table', `${p}.sqlite_options`, 'points');
      return file && table ? { method: 'sqlite', path: this.resolve(file), table } : undefined;
    }
    // D-23: an unknown method is a start-up error, not a later crash
    this.err(
      `${p}.method`,
      method === undefined
        ? `missing required key 'method' in ${p} ("influx" or "sqlite")`
        : `unknown history method ${JSON.stringify(method)} (use "influx" or "sqlite")`,
    );
    return undefined;
  }

  private alerts(an: Obj, outputs: OutputConfig[]): AlertSinkConfig[] | undefined {
    const a = an.alert;
    if (a === undefined) {
      this.err('analysis.alert', `missing required key 'alert' in analysis ({"method": "stdout" | "kafka" | "sqlite"})`);
      return undefined;
    }
    const list = Array.isArray(a) ? a : [a];
    const out: AlertSinkConfig[] = [];
    let ok = true;
    list.forEach((x, i) => {
      const p = Array.isArray(a) ? `analysis.alert[${i}]` : 'analysis.alert';
      const s = this.alertSink(x, p, outputs);
      if (s) out.push(s);
      else ok = false;
    });
    return ok ? out : undefined;
  }

  private alertSink(a: unknown, p: string, outputs: OutputConfig[]): AlertSinkConfig | undefined {
    if (!isObj(a)) {
      this.err(p, `${p} must be an object`);
      return undefined;
    }
    const raw = this.either(a, 'option', 'options', p);
    const o = raw === undefined ? {} : raw;
    if (!isObj(o)) {
      this.err(`${p}.option`, `${p}.option must be an object`);
      return undefined;
    }
    const optPath = a.option !== undefined ? `${p}.option` : `${p}.options`;
    switch (a.method) {
      case 'stdout':
        return {
          method: 'stdout',
          format: this.oneOf(a, 'format', p, ['reference', 'jsonl'], 'reference'),
          timezone: this.oneOf(a, 'timezone', p, ['utc', 'local'], 'utc'),
        };
      case 'sqlite': {
        let file = this.str(o, 'path', optPath, false);
        if (file === undefined) {
          const store = outputs.find((x) => x.method === 'sqlite' && x.main) ?? outputs.find((x) => x.method === 'sqlite');
          if (store?.method !== 'sqlite') {
            this.err(`${optPath}.path`, `alert method "sqlite" needs ${optPath}.path (or a sqlite output to share)`);
            return undefined;
          }
          file = store.path;
        }
        const table = this.identifier(o, 'table', optPath, 'alerts');
        return table ? { method: 'sqlite', path: this.resolve(file), table } : undefined;
      }
      case 'kafka': {
        const brokers = this.brokers(o, optPath);
        const topic = this.str(o, 'topic', optPath, true);
        const clientId = this.str(o, 'client_id', optPath, false) ?? 'ts-engine-alerts';
        const sasl = this.sasl(o, optPath);
        const ssl = this.ssl(o, optPath);
        return brokers && topic ? { method: 'kafka', brokers, topic, clientId, sasl, ssl } : undefined;
      }
      default:
        // D-23
        this.err(
          `${p}.method`,
          a.method === undefined
            ? `missing required key 'method' in ${p}`
            : `unknown alert method ${JSON.stringify(a.method)} (use "stdout", "kafka" or "sqlite")`,
        );
        return undefined;
    }
  }

  private rules(an: Obj): AnalysisRuleConfig[] | undefined {
    const p = 'analysis.rule';
    const r = an.rule;
    if (isObj(r) && an.time_delta !== undefined) return this.legacyRule(an, r);
    if (!Array.isArray(r)) {
      this.err(
        p,
        r === undefined ? `missing required key 'rule' in analysis (an array of {module, name, options})` : `${p} must be an array of {module, name, options}`,
      );
      return undefined;
    }
    const out: AnalysisRuleConfig[] = [];
    const missing: string[] = [];
    let ok = true;
    r.forEach((e, index) => {
      const ep = `${p}[${index}]`;
      if (!isObj(e)) {
        this.err(ep, `${ep} must be an object {module, name, options}`);
        ok = false;
        return;
      }
      const module = this.str(e, 'module', ep, true, 'ImportError');
      const name = this.str(e, 'name', ep, false) ?? module ?? `rule${index}`;
      const opts = this.either(e, 'options', 'option', ep) ?? {};
      if (!isObj(opts)) {
        this.err(`${ep}.options`, `${ep}.options must be an object`);
        ok = false;
        return;
      }
      if (!module) {
        ok = false;
        return;
      }
      const builtin = (BUILTIN_ANALYSES as readonly string[]).includes(module);
      const looksLikePath = /[\\/]|\.(m?js|cjs|ts|mts)$/.test(module);
      let resolved = module;
      let exportName: string | undefined;
      if (!builtin && looksLikePath) {
        const [file, exp] = module.split('#');
        resolved = this.resolve(file!);
        exportName = exp;
        if (!this.io.exists(resolved)) {
          missing.push(JSON.stringify(e));
          this.err(`${ep}.module`, `Missing required analysis module [${module}]: file ${resolved} does not exist`, 'ImportError');
          ok = false;
          return;
        }
      }
      out.push({ module: resolved, builtin, exportName, name, options: opts, index });
    });
    return ok ? out : undefined;
  }

  /** 10.7: the legacy form `time_delta` + `rule: {column: percent}` (D-35: module name "Analysis"). */
  private legacyRule(an: Obj, r: Obj): AnalysisRuleConfig[] | undefined {
    const delta = this.num(an, 'time_delta', 'analysis', { required: true, min: 0, exclusiveMin: true, max: MAX_SECONDS });
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number') this.err(`analysis.rule.${k}`, `analysis.rule.${k} must be a percentage number`);
    }
    if (delta === undefined) return undefined;
    return [{ module: 'Analysis', builtin: true, name: 'Analysis', options: { deviation: r, time_delta: delta }, index: 0 }];
  }
}

/** Highest column index of a data structure: wider than any CSV, and small enough that 2^53+1 or 10^7 is an error, not a hang. */
export const MAX_COLUMN_INDEX = 1_000_000;

/** Parses and checks a data-structure file (Section 3, D-13, D-14). */
export function parseDataStructure(text: string, file: string): { fields?: InputField[]; sink: DiagnosticSink; doc?: ParsedJson } {
  const { doc, sink } = parseDoc(text, file);
  if (!doc) return { sink };
  const root = doc.value;
  if (!isObj(root) || Object.keys(root).length === 0) {
    sink.report('', 'ConfigError', `the data structure must be a non-empty JSON object {"field": {"index": 0, "type": "LongType"}, …}`);
    return { sink, doc };
  }
  const fields: InputField[] = [];
  let ok = true;
  for (const [name, spec] of Object.entries(root)) {
    const p = name;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      sink.report(p, 'ConfigError', `field name '${name}' cannot be referenced in expressions (use letters, digits and _)`, {
        onKey: true,
        severity: 'warning',
      });
    }
    if (!isObj(spec)) {
      sink.report(p, 'ConfigError', `field '${name}' must be an object {"index": <column>, "type": "<Type>"}`);
      ok = false;
      continue;
    }
    const index = spec.index;
    const type = spec.type;
    if (index === undefined) {
      sink.report(p, 'ConfigError', `field '${name}' has no "index"`);
      ok = false;
    } else if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      sink.report(`${p}.index`, 'ConfigError', `index of field '${name}' must be a non-negative integer, got ${JSON.stringify(index)}`);
      ok = false;
    } else if (index > MAX_COLUMN_INDEX) {
      sink.report(`${p}.index`, 'ConfigError', `index of field '${name}' is ${index}; a line has at most ${MAX_COLUMN_INDEX + 1} columns`);
      ok = false;
    }
    if (type === undefined) {
      sink.report(p, 'ConfigError', `field '${name}' has no "type"`);
      ok = false;
    } else if (typeof type !== 'string' || !PARSEABLE_TYPES.includes(type as FieldType)) {
      const known = typeof type === 'string' && (ALL_TYPES.includes(type as FieldType) || /^[A-Z][A-Za-z]*Type$/.test(type));
      sink.report(
        `${p}.type`,
        'ConfigError',
        known
          ? `type ${type} of field '${name}' cannot be parsed from text; use one of ${PARSEABLE_TYPES.join(', ')}`
          : `unknown type ${JSON.stringify(type)} for field '${name}'; use one of ${PARSEABLE_TYPES.join(', ')}`,
      );
      ok = false;
    }
    if (ok) fields.push({ name, index: index as number, type: type as FieldType });
  }
  if (!ok) return { sink, doc };
  // stable sort by index (D-13: index is the column position; duplicates name one column twice)
  const sorted = fields
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.index - b.f.index || a.i - b.i)
    .map(({ f }) => f);
  return { fields: sorted, sink, doc };
}
