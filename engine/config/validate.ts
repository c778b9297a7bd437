/**
 * Up-front validation of the whole config (docs/semantics.md#validate-everything-first): shape,
 * types and values of every section, the data-structure file, outputs and analysis, before any
 * file or connection is opened. Each source, output, alert sink and history store checks its own
 * options through its descriptor (components/registry.ts); this file holds the sections around
 * them. Transformations and aggregation rules are checked by the compiler (pipeline/plan.ts),
 * which reports through the same sink.
 */
import path from 'node:path';
import type { Diagnostic } from '../core/errors.js';
import { TIME_UNITS, type TimeUnit } from '../core/time.js';
import type { InputField } from '../core/types.js';
import { isNumericType } from '../core/types.js';
import { OUTPUTS, SOURCES, namesOf, outputDescriptor, sourceDescriptor } from '../components/registry.js';
import type { DiagnosticSink } from '../options/diagnostics.js';
import type { ParsedJson } from '../options/json.js';
import { type Obj, type ParseEnv, bool, custom, isObj, num, oneOf, optionKeys, seconds, str, typeName } from '../options/spec.js';
import { AnalysisSection } from './analysis-section.js';
import { parseDataStructure, parseDoc } from './data-structure.js';
import { warnUnknownSecrets } from './secrets.js';
import { pythonTwin } from './twins.js';
import type { ConfigIO, InputConfig, OutputConfig, PipelineConfig, SandboxConfig } from './model.js';
import { parseSandbox } from './sandbox-section.js';
import { resolveEnvPlaceholders } from './env-placeholders.js';

export type { ConfigIO } from './model.js';

export { parseDataStructure, parseDoc } from './data-structure.js';

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
    sandbox?: SandboxConfig;
    raw: Record<string, unknown>;
  };
  structureSink?: DiagnosticSink;
}

/** Windows are whole milliseconds: a shorter one would be empty (and 1e-300 s hung the run). */
const MIN_WINDOW_SECONDS = 0.001;

/** batchDuration: 0 (one window over a whole file; not for live inputs) or 1 ms to MAX_SECONDS. */
export function windowLength(live: boolean) {
  const range = seconds({ exclusiveMin: live });
  return custom<number>(
    () => ({ ...range.jsonSchema(), ...(live ? { minimum: MIN_WINDOW_SECONDS } : { anyOf: [{ const: 0 }, { minimum: MIN_WINDOW_SECONDS }] }) }),
    (v, at, env, fail) => {
      const n = range.parseAt(v, at, env);
      if (n === undefined || n === 0 || n >= MIN_WINDOW_SECONDS) return n;
      return fail(`${at.path} must be at least ${MIN_WINDOW_SECONDS} seconds (1 ms)${live ? '' : ', or 0 for one window over the whole file'}, got ${n}`);
    },
    [range],
  );
}

/** input.options keys every source has; each source adds its own (its options spec) */
const COMMON_INPUT_SPECS = {
  sep: str().describe('Column separator (default ",").'),
  batchDuration: windowLength(false).describe(
    'Window length in seconds (at least 0.001). csv without time_field and rate: 0 or absent = one window for the whole file. Live inputs need it > 0.',
  ),
  time_field: str().describe('Event time: a numeric field of the data structure holding the row time.'),
  time_unit: oneOf(...TIME_UNITS)
    .default('s')
    .describe('Unit of time_field (default s).'),
  allowed_lateness: seconds().describe('Event time: seconds a window stays open after the watermark passes its end (default 0). Later rows are dead-lettered.'),
  speed: num({ min: 0, max: 1e9 }).describe('Event-time replay pacing: 1 = as fast as the event times say, 10 = ten times faster, 0 = as fast as possible.'),
  rate: num({ min: 0, exclusiveMin: true, max: 1e9 }).describe('csv: pace rows at this many rows per second, with processing-time windows.'),
  max_error_rate: num({ min: 0, max: 1 }).describe('Stop the run (exit 1) when the fraction of bad rows exceeds this (0–1).'),
};
export const COMMON_INPUT_OPTIONS = COMMON_INPUT_SPECS;

const TOP_LEVEL = ['input', 'outputs', 'processing', 'databases', 'analysis', 'extensions', 'sandbox'];

/** Validates a config given its text; `io` reads the data-structure file and checks referenced files. */
export function validateConfig(configPath: string, configText: string, io: ConfigIO): ValidationResult {
  const absConfig = path.resolve(configPath);
  const configDir = path.dirname(absConfig);
  const { doc, sink } = parseDoc(configText, configPath);
  if (!doc) return { diagnostics: sink.diagnostics, sink };
  resolveEnvPlaceholders(doc.value, sink, (name) => (io.env ? io.env(name) : process.env[name]));
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

class Validator {
  structureSink?: DiagnosticSink;
  structureDoc?: ParsedJson;
  partial?: ValidationResult['partial'];
  private fields?: InputField[];
  private readonly env: ParseEnv;

  constructor(
    readonly sink: DiagnosticSink,
    readonly doc: ParsedJson,
    readonly configDir: string,
    readonly io: ConfigIO,
  ) {
    this.env = { sink, resolve: (p) => this.resolve(p), exists: (p) => io.exists(p) };
  }

  private err(p: string, msg: string, cls: Diagnostic['errorClass'] = 'ConfigError') {
    this.sink.report(p, cls, msg);
  }
  private warn(p: string, msg: string) {
    this.sink.warn(p, msg);
  }
  private resolve(p: string): string {
    return path.resolve(this.configDir, p);
  }

  run(absConfig: string): PipelineConfig | undefined {
    const root = this.doc.value;
    if (!isObj(root)) {
      this.err('', `the config must be a JSON object, got ${typeName(root)}`);
      return undefined;
    }
    for (const key of Object.keys(root)) {
      if (!TOP_LEVEL.includes(key)) {
        this.sink.report(key, 'ConfigError', `unknown top-level key '${key}' is ignored`, { onKey: true, severity: 'warning' });
      }
    }
    const input = this.input(root);
    const outputs = this.outputs(root);
    const processing = this.processing(root);
    const databases = this.databases(root);
    const errorsBefore = this.sink.errorCount;
    const extensions = this.extensions(root);
    const extensionsOk = this.sink.errorCount === errorsBefore;
    const sandbox = parseSandbox(root, this.configDir, this.env);
    this.partial = {
      fields: this.fields,
      processing,
      extensions: extensionsOk ? extensions : undefined,
      sandbox: extensionsOk ? sandbox : undefined,
      raw: root,
    };
    const analysis =
      root.analysis === undefined ? undefined : new AnalysisSection(this.sink, this.env, this.io).parse(root, outputs ?? [], input, sandbox.timeoutMs);
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
      sandbox,
      extensionTwins: this.extensionTwins,
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
    const descriptor = typeof type === 'string' ? sourceDescriptor(type) : undefined;
    const names = namesOf(SOURCES);
    if (type === undefined) this.err('input.input_type', `missing required key 'input_type' in input (${names})`, 'InputError');
    else if (!descriptor) {
      this.err(
        'input.input_type',
        `Error: input_type ${JSON.stringify(type)} unsuported input format (supported: ${SOURCES.map((s) => `"${s.name}"`).join(', ')}). ReadFactory cannot create Executable`,
        'InputError',
      );
    }

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
    const known = new Set([
      ...Object.keys(COMMON_INPUT_SPECS),
      ...(descriptor ? optionKeys(descriptor.options.jsonSchema()) : []),
      ...(descriptor?.inputKeys ?? []),
    ]);
    for (const key of Object.keys(options)) {
      if (!known.has(key)) {
        this.sink.report(
          `${p}.${key}`,
          'ConfigError',
          `unknown key '${key}' in input.options is kept (config('input.options.${key}') can read it) but not used by the ${descriptor?.name ?? 'input'} source`,
          { onKey: true, severity: 'warning' },
        );
      }
    }
    const live = descriptor?.live === true;
    const at = (key: string) => ({ path: `${p}.${key}`, parent: p, key });
    const c = COMMON_INPUT_SPECS;
    const sep = options.sep === undefined ? ',' : c.sep.parseAt(options.sep, at('sep'), this.env);
    const batchDuration = (live ? windowLength(true).required() : c.batchDuration).parseAt(options.batchDuration, at('batchDuration'), this.env);
    const timeField = c.time_field.parseAt(options.time_field, at('time_field'), this.env);
    const timeUnit = c.time_unit.parseAt(options.time_unit, at('time_unit'), this.env) as TimeUnit;
    const lateness = c.allowed_lateness.parseAt(options.allowed_lateness, at('allowed_lateness'), this.env) ?? 0;
    const speed = c.speed.parseAt(options.speed, at('speed'), this.env) ?? 0;
    const rate = c.rate.parseAt(options.rate, at('rate'), this.env);
    const maxErrorRate = c.max_error_rate.parseAt(options.max_error_rate, at('max_error_rate'), this.env);

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

    const source = descriptor
      ? (descriptor.options.parseAt(options, { path: p, parent: 'input', key: 'options' }, this.env) as InputConfig['source'])
      : undefined;
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

  private dataStructure(inp: Obj): InputField[] | undefined {
    const rel = str().required().parseAt(inp.data_structure, { path: 'input.data_structure', parent: 'input', key: 'data_structure' }, this.env);
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
    const names = namesOf(OUTPUTS);
    if (outs === undefined) {
      this.err('outputs', `missing required key 'outputs' (an array of {"method": ${names.replace(' or ', ' | ').replace(/, /g, ' | ')}, …})`);
      return undefined;
    }
    let single = false;
    if (isObj(outs)) {
      // a single object is shorthand for a one-element array (docs/semantics.md#outputs-shorthand)
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
    const main = bool().parseAt(o.main, { path: `${p}.main`, parent: p, key: 'main' }, this.env) ?? false;
    const options = o.options === undefined ? {} : o.options;
    if (!isObj(options)) {
      this.err(`${p}.options`, `${p}.options must be an object`);
      return undefined;
    }
    const names = namesOf(OUTPUTS);
    if (method === undefined) {
      this.err(`${p}.method`, `missing required key 'method' in ${p} (${names})`, 'UnsupportedOutputFormat');
      return undefined;
    }
    const descriptor = typeof method === 'string' ? outputDescriptor(method) : undefined;
    if (!descriptor) {
      this.err(`${p}.method`, `Format ${String(method)} not supported (use ${names})`, 'UnsupportedOutputFormat');
      return undefined;
    }
    const parsed = descriptor.options.parseAt(options, { path: `${p}.options`, parent: p, key: 'options' }, this.env);
    if (parsed === undefined) return undefined;
    return { method, main, ...(parsed as object), index } as OutputConfig;
  }

  // ---- processing --------------------------------------------------------

  private processing(root: Obj): { transformation: string[]; operation: 'reduce' | 'reduceByKey'; rules: string[]; onError: 'skip' | 'fail' } | undefined {
    const pr = root.processing;
    if (!isObj(pr)) {
      this.err('processing', pr === undefined ? `missing required key 'processing' (transformation and aggregations)` : `processing must be an object`);
      return undefined;
    }
    const transformation = this.stringArray(pr, 'transformation', 'processing');
    const onError = oneOf('skip', 'fail')
      .default('skip')
      .parseAt(pr.on_error, { path: 'processing.on_error', parent: 'processing', key: 'on_error' }, this.env)!;
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
      // a single string is not iterated character by character (docs/semantics.md#string-lists)
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

  /** Python twins of extension modules (`{"module", "python"}` entries), parallel to the module list. */
  extensionTwins: (string | undefined)[] = [];

  private extensions(root: Obj): string[] {
    const ext = root.extensions;
    if (ext === undefined) return [];
    const entryOk = (x: unknown) =>
      typeof x === 'string' || (isObj(x) && typeof x.module === 'string' && (x.python === undefined || typeof x.python === 'string'));
    if (!Array.isArray(ext) || !ext.every(entryOk)) {
      this.err('extensions', 'extensions must be an array of module paths (relative to the config file), or {"module": <path>, "python": <path>} objects');
      return [];
    }
    const out: string[] = [];
    ext.forEach((x, i) => {
      const entry = typeof x === 'string' ? { module: x } : (x as { module: string; python?: string });
      const p = typeof x === 'string' ? `extensions[${i}]` : `extensions[${i}].module`;
      const abs = this.resolve(entry.module);
      if (!this.io.exists(abs)) this.err(p, `extension module ${abs} does not exist`, 'ImportError');
      out.push(abs);
      this.extensionTwins.push(entry.python === undefined ? undefined : pythonTwin(entry.python, `extensions[${i}].python`, this.env, this.io));
    });
    return out;
  }
}
