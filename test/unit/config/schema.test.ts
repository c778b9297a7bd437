// The config's JSON Schema and the validator agree: every sample config is valid for both, and
// sample configs with their component options mutated (an output's, the alert sink's, a rule's,
// the input's own) are judged alike by a real JSON Schema validator (ajv) and by `check`.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, dataStructureJsonSchema } from '../../../engine/config/schema.js';
import { checkConfig, nodeIO } from '../../../engine/pipeline/plan.js';
import { ROOT } from '../helpers.js';

const ajv = new Ajv({ strict: false, allErrors: true });
const validateSchema = ajv.compile(configJsonSchema);
const SAMPLES = ['samples/sensors/config.json', 'samples/sensors/config-kafka.json', 'samples/sensors/config-influx.json', 'samples/netflow/config.json'];

const errorsOf = async (file: string, cfg: unknown) =>
  (await checkConfig(file, JSON.stringify(cfg), nodeIO)).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`);

describe('config JSON Schema', () => {
  it('every sample is valid for the schema and for the validator; so is its data structure', async () => {
    for (const s of SAMPLES) {
      const file = path.join(ROOT, s);
      const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(validateSchema(cfg), `${s}: ${ajv.errorsText(validateSchema.errors)}`).toBe(true);
      expect(await errorsOf(file, cfg)).toEqual([]);
      const ds = JSON.parse(fs.readFileSync(path.join(path.dirname(file), cfg.input.data_structure), 'utf8'));
      expect(ajv.validate(dataStructureJsonSchema, ds)).toBe(true);
    }
  });

  it('lists every registered component', () => {
    const props = configJsonSchema.properties as Record<string, { properties?: Record<string, unknown> }>;
    expect((props.input!.properties!.input_type as { enum: string[] }).enum).toEqual(['csv', 'kafka']);
    const output = (configJsonSchema.definitions as Record<string, { properties: Record<string, { enum?: string[] }> }>).output!;
    expect(output.properties.method!.enum).toEqual(['stdout', 'sqlite', 'influx', 'cassandra', 'file']);
  });

  const scalar = fc.oneof(
    fc.constantFrom('', 'x', 'a b', 'h:1', 'http://h:8086', 'my table', 'points', 'jsonl', 'xml', 'utc', 'mars'),
    fc.constantFrom(0, 1, -1, 0.5, 65536, 3),
    fc.boolean(),
    fc.constant(null),
    fc.constant({}),
  );
  /** where a mutation lands: inside component options only (sections' cross-checks are the validator's alone) */
  const TARGETS: Record<string, string[][]> = {
    'samples/sensors/config.json': [
      ['outputs', '0', 'options', 'path'],
      ['outputs', '0', 'options', 'table'],
      ['outputs', '1', 'options', 'format'],
      ['analysis', 'alert', 'format'],
      ['analysis', 'alert', 'timezone'],
      ['analysis', 'rule', '0', 'options', 'batch_number'],
      ['analysis', 'rule', '1', 'options', 'num_average'],
      ['analysis', 'rule', '0', 'options', 'deviation', 'rpm_max'],
    ],
    'samples/sensors/config-kafka.json': [
      ['input', 'options', 'topic'],
      ['input', 'options', 'consumer_group'],
      ['input', 'options', 'brokers'],
      ['input', 'options', 'from_beginning'],
      ['input', 'options', 'client_id'],
      ['input', 'options', 'ssl'],
    ],
    'samples/sensors/config-influx.json': [
      ['outputs', '0', 'options', 'batch_size'],
      ['outputs', '0', 'options', 'max_retries'],
      ['outputs', '0', 'options', 'influx', 'port'],
      ['outputs', '0', 'options', 'influx', 'database'],
      ['outputs', '0', 'options', 'influx', 'measurement'],
      ['outputs', '0', 'options', 'influx', 'ssl'],
    ],
  };

  for (const [sample, targets] of Object.entries(TARGETS)) {
    it(`mutated options of ${sample}: ajv and the validator agree`, async () => {
      const file = path.join(ROOT, sample);
      const base = JSON.parse(fs.readFileSync(file, 'utf8'));
      const present = targets.filter((t) => t.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], base) !== undefined);
      expect(present.length).toBeGreaterThan(0);
      let invalid = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom(...present), fc.option(scalar, { nil: undefined, freq: 5 })), { minLength: 1, maxLength: 2 }),
          async (ms) => {
            const cfg = structuredClone(base);
            for (const [p, v] of ms) {
              const parent = p.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, cfg);
              if (v === undefined) delete parent[p[p.length - 1]!];
              else parent[p[p.length - 1]!] = v;
            }
            const schemaOk = validateSchema(cfg) === true;
            const errors = await errorsOf(file, cfg);
            if (!schemaOk) invalid++;
            if (schemaOk !== (errors.length === 0)) {
              throw new Error(
                `schema: ${schemaOk ? 'valid' : ajv.errorsText(validateSchema.errors)}; validator: ${errors.join('; ') || 'valid'}; mutations ${JSON.stringify(ms)}`,
              );
            }
          },
        ),
        { numRuns: 120 },
      );
      expect(invalid).toBeGreaterThan(20);
    });
  }
});
