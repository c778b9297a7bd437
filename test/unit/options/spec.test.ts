// The option specs cannot drift from the JSON Schema they publish: for every component's options,
// random option objects are judged by a real JSON Schema validator (ajv) on the generated schema
// and by the spec's positioned parse, and the two must agree (valid ⇔ no error diagnostic).
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALERT_SINKS, ANALYSES, HISTORY_STORES, OUTPUTS, SOURCES } from '../../../engine/components/registry.js';
import { DiagnosticSink } from '../../../engine/options/diagnostics.js';
import { type JsonSchema, type Spec, array, forms, int, num, obj, oneOf, record, str } from '../../../engine/options/spec.js';

const ajv = new Ajv({ strict: false, allErrors: true });

function parseErrors(spec: Spec<unknown>, value: unknown): string[] {
  const sink = new DiagnosticSink('config.json', undefined);
  spec.parse(value, 'options', { sink, resolve: (p) => `/abs/${p}`, exists: () => true });
  return sink.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
}

/** scalars that sit on both sides of every rule the specs have (types, empty strings, ranges, patterns) */
const scalar = fc.oneof(
  fc.constantFrom(
    '',
    'x',
    'a b',
    'host:9092',
    'h:1',
    'no-port',
    'http://influx:8086',
    'https://h/',
    'ftp://h',
    'points',
    'my table',
    '_t1',
    '-',
    'reference',
    'jsonl',
    'utc',
    'local',
    'plain',
    'scram-sha-256',
    'SCRAM',
  ),
  fc.constantFrom(0, 1, -1, 0.5, 2, 65535, 65536, 5000, 1e9, -0.001),
  fc.boolean(),
  fc.constant(null),
);

/** a value for a key: often a good scalar, sometimes an array or an object of the same */
const value = fc.letrec((tie) => ({
  v: fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) }, { weight: 2, arbitrary: tie('o') }),
  o: fc.dictionary(fc.constantFrom('a', 'b', 'x', 'username', 'password', 'mechanism', 'rejectUnauthorized'), scalar, { maxKeys: 3 }),
})).v;

/** JSON paths (one or two keys deep) a schema names, to mutate */
function paths(schema: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (Array.isArray(schema)) for (const s of schema) paths(s, prefix, out);
  else if (schema && typeof schema === 'object') {
    const s = schema as Record<string, unknown>;
    if (s.properties && typeof s.properties === 'object') {
      for (const [k, sub] of Object.entries(s.properties as Record<string, unknown>)) {
        const p = [...prefix, k];
        if (!out.some((x) => x.join('.') === p.join('.'))) out.push(p);
        if (prefix.length === 0) paths(sub, p, out);
      }
    }
    for (const k of ['if', 'then', 'else', 'allOf', 'anyOf', 'oneOf']) if (s[k]) paths(s[k], prefix, out);
  }
  return out;
}

/** a valid options object with 0–3 mutations: a key set to a random value, or removed */
function mutated(valid: Record<string, unknown>, schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const all = [...paths(schema), ['stranger']];
  const mutation = fc.tuple(fc.constantFrom(...all), fc.option(value, { nil: undefined, freq: 4 }));
  return fc.array(mutation, { maxLength: 3 }).map((ms) => {
    const o = structuredClone(valid);
    for (const [path, v] of ms) {
      let cur = o as Record<string, unknown>;
      for (const k of path.slice(0, -1)) {
        if (typeof cur[k] !== 'object' || cur[k] === null || Array.isArray(cur[k])) cur[k] = {};
        cur = cur[k] as Record<string, unknown>;
      }
      const last = path[path.length - 1]!;
      if (v === undefined) delete cur[last];
      else cur[last] = v;
    }
    return o;
  });
}

const VALID: Record<string, Record<string, unknown>> = {
  'source csv': { path: 'd.csv', header: true },
  'source kafka': { brokers: ['h:1'], topic: 't', consumer_group: 'g', sasl: { username: 'u', password: 'p' } },
  'output stdout': { format: 'jsonl' },
  'output sqlite': { path: 'a.db', table: 'points' },
  'output influx': { influx: { host: 'h', port: 8086, database: 'db', measurement: 'm', username: 'u', password: '' }, batch_size: 10 },
  'output cassandra': {
    contact_points: ['h:9042', 'h2'],
    keyspace: 'ks',
    table: 'points',
    username: 'u',
    password: 'p',
    consistency: 'ONE',
    replication: { class: 'SimpleStrategy', replication_factor: 1 },
    max_retries: 3,
  },
  'output file': { path: 'o.jsonl' },
  'alert sink stdout': { format: 'reference', timezone: 'utc' },
  'alert sink sqlite': { path: 'a.db' },
  'alert sink kafka': { server: 'h', port: 9092, topic: 't' },
  'history store sqlite': { path: 'a.db', table: 'points' },
  'history store influx': { url: 'http://h:8086', token: 't', org: 'o', bucket: 'b', measurement: 'm' },
  'history store cassandra': { contact_points: ['127.0.0.1:9042'], local_datacenter: 'dc1', keyspace: 'ks' },
  'analysis SimpleAnalysis': { deviation: { rpm: 10 }, batch_number: 1 },
  'analysis AverageAnalysis': { deviation: { rpm: 10, speed: 0 }, num_average: 3 },
};

function agree(name: string, spec: Spec<unknown>) {
  const schema = spec.jsonSchema();
  const validate = ajv.compile(schema);
  const valid = VALID[name]!;
  expect(validate(valid), `${name}: the valid example`).toBe(true);
  expect(parseErrors(spec, valid)).toEqual([]);
  let invalid = 0;
  fc.assert(
    fc.property(mutated(valid, schema), (v) => {
      const schemaOk = validate(v) === true;
      const errors = parseErrors(spec, v);
      if (!schemaOk) invalid++;
      if (schemaOk !== (errors.length === 0)) {
        throw new Error(
          `${name}: schema says ${schemaOk ? 'valid' : `invalid (${ajv.errorsText(validate.errors)})`}, parse says ${errors.join('; ') || 'valid'} for ${JSON.stringify(v)}`,
        );
      }
    }),
    { numRuns: 600 },
  );
  // both sides were exercised
  expect(invalid).toBeGreaterThan(50);
  expect(invalid).toBeLessThan(550);
}

describe('option specs and their JSON Schema agree (ajv against parse, random options)', () => {
  for (const d of SOURCES) it(`source ${d.name}`, () => agree(`source ${d.name}`, d.options));
  for (const d of OUTPUTS) it(`output ${d.name}`, () => agree(`output ${d.name}`, d.options));
  for (const d of ALERT_SINKS) it(`alert sink ${d.name}`, () => agree(`alert sink ${d.name}`, d.options));
  for (const d of HISTORY_STORES) it(`history store ${d.name}`, () => agree(`history store ${d.name}`, d.options));
  for (const d of ANALYSES) it(`analysis ${d.name}`, () => agree(`analysis ${d.name}`, d.options));
});

describe('the spec DSL', () => {
  const env = (sink: DiagnosticSink) => ({ sink, resolve: (p: string) => `/abs/${p}`, exists: () => true });
  it('parses to typed values with defaults; reports each problem at its path in the project wording', () => {
    const spec = obj({ name: str().required(), n: int({ min: 1 }).default(3), mode: oneOf('a', 'b').default('a'), pct: record(num({ min: 0 })) });
    let sink = new DiagnosticSink('c.json', undefined);
    expect(spec.parse({ name: 'x', pct: { u: 2 } }, 'o', env(sink))).toEqual({ name: 'x', n: 3, mode: 'a', pct: { u: 2 } });
    sink = new DiagnosticSink('c.json', undefined);
    expect(spec.parse({ n: 0.5, mode: 'c', pct: { u: -1 } }, 'o', env(sink))).toBeUndefined();
    expect(sink.diagnostics.map((d) => [d.path, d.message])).toEqual([
      ['o.name', "o.name: missing required key 'name' in o"],
      ['o.n', 'o.n must be an integer, got 0.5'],
      ['o.mode', 'o.mode must be one of "a", "b", got "c"'],
      ['o.pct.u', 'o.pct.u must be at least 0, got -1'],
    ]);
  });
  it('arrays: every item parsed at its index; the schema says the same', () => {
    const spec = array(int({ min: 0 }), { minItems: 1 });
    expect(spec.jsonSchema()).toEqual({ type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 });
    const sink = new DiagnosticSink('c.json', undefined);
    expect(spec.parse([1, 2], 'o.list', env(sink))).toEqual([1, 2]);
    expect(spec.parse([1, -1, 'x'], 'o.list', env(sink))).toBeUndefined();
    expect(spec.parse([], 'o.list', env(sink))).toBeUndefined();
    expect(sink.diagnostics.map((d) => d.message)).toEqual([
      'o.list[1] must be at least 0, got -1',
      'o.list[2] must be a number, got a string',
      'o.list must have at least 1 item(s)',
    ]);
  });

  it('forms: the first matching form parses, and the schema says the same with if/then/else', () => {
    const spec = forms<Record<string, unknown>>(
      [{ when: (o) => o.url !== undefined, whenSchema: { required: ['url'] }, spec: obj({ url: str().required() }) }],
      obj({ host: str().required() }),
    );
    const schema = spec.jsonSchema();
    expect(schema.if).toEqual({ required: ['url'] });
    expect(schema.then).toEqual({ type: 'object', properties: { url: { type: 'string', minLength: 1 } }, required: ['url'] });
    expect(schema.else).toEqual({ type: 'object', properties: { host: { type: 'string', minLength: 1 } }, required: ['host'] });
    const sink = new DiagnosticSink('c.json', undefined);
    expect(spec.parse({ url: 'u' }, 'o', env(sink))).toEqual({ url: 'u' });
    expect(spec.parse({ url: '' }, 'o', env(sink))).toBeUndefined();
    expect(sink.diagnostics.map((d) => d.message)).toEqual(['o.url must be a non-empty string, got a string']);
  });
});
