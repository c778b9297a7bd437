/**
 * JSON Schemas (draft-07) of the config and the data-structure file, for editors (Monaco
 * completion and hover docs) and `ts-engine schema`. Built from the same specs the validator
 * parses with: the sections' own and every component's (components/registry.ts), so a new
 * component appears here by being registered. test/unit/config/schema.test.ts checks that the
 * schema and the validator agree on the samples and on generated configs.
 */
import { ALERT_SINKS, ANALYSES, HISTORY_STORES, OUTPUTS, SOURCES } from '../components/registry.js';
import { ifThen, type JsonSchema } from '../options/spec.js';
import { PARSEABLE_TYPES } from '../core/types.js';
import { ANALYSIS_SETTINGS } from './analysis-section.js';
import { MAX_COLUMN_INDEX } from './data-structure.js';
import { COMMON_INPUT_OPTIONS, windowLength } from './validate.js';
import { lifecycleSpec } from '../components/analyses/lifecycle-options.js';
import { sandboxSpec } from './sandbox-section.js';

const str = (description: string) => ({ type: 'string', description });

/** when `key` is `name`, the object also matches `then` */
const whenIs = (key: string, name: string, then: JsonSchema) => ifThen({ properties: { [key]: { const: name } }, required: [key] }, then);

/** `if method is X then options follow X's spec`, for each component of a kind */
function byMethod(key: string, list: readonly { name: string; options: { jsonSchema(): JsonSchema } }[], optionsKeys: string[]): JsonSchema[] {
  return list.map((d) => whenIs(key, d.name, { properties: Object.fromEntries(optionsKeys.map((k) => [k, d.options.jsonSchema()])) }));
}

function inputSchema(): JsonSchema {
  const common = Object.fromEntries(Object.entries(COMMON_INPUT_OPTIONS).map(([k, s]) => [k, s.jsonSchema()]));
  const all: JsonSchema = { ...common };
  for (const d of SOURCES) {
    for (const [k, v] of Object.entries((d.options.jsonSchema().properties as JsonSchema | undefined) ?? {})) {
      all[k] ??= { ...(v as object), description: `${d.name}: ${(v as { description?: string }).description ?? ''}`.trim() };
    }
  }
  return {
    type: 'object',
    description: 'Where rows come from, and the data-structure file describing their columns.',
    required: ['input_type', 'data_structure', 'options'],
    properties: {
      input_type: { enum: SOURCES.map((s) => s.name), description: SOURCES.map((s) => `"${s.name}": ${s.doc}`).join(' ') },
      data_structure: str('Path of the data-structure JSON file, relative to this config file.'),
      options: {
        type: 'object',
        description: "Input options. Unknown keys are kept (config('input.options.x') can read them) with a warning.",
        properties: all,
      },
    },
    allOf: SOURCES.map((d) => {
      const own = d.options.jsonSchema();
      const live = d.live ? { properties: { batchDuration: windowLength(true).jsonSchema() }, required: ['batchDuration'] } : {};
      return whenIs('input_type', d.name, { properties: { options: { allOf: [own, live] } } });
    }),
  };
}

function outputSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['method'],
    properties: {
      method: { enum: OUTPUTS.map((o) => o.name), description: OUTPUTS.map((o) => `"${o.name}": ${o.doc}`).join(' ') },
      main: { type: 'boolean', description: 'The default history source for analysis; a store output marked main also keeps dead letters and alerts.' },
      options: { type: 'object', description: 'Options of the output method.' },
    },
    allOf: byMethod('method', OUTPUTS, ['options']),
  };
}

function alertSchema(): JsonSchema {
  const settings: JsonSchema = {};
  for (const d of ALERT_SINKS) {
    if (d.settings) Object.assign(settings, (d.settings.jsonSchema().properties as JsonSchema | undefined) ?? {});
  }
  return {
    type: 'object',
    required: ['method'],
    properties: {
      method: { enum: ALERT_SINKS.map((a) => a.name), description: ALERT_SINKS.map((a) => `"${a.name}": ${a.doc}`).join(' ') },
      ...settings,
      option: { type: 'object', description: 'Options of the alert method.' },
      options: { type: 'object', description: 'Alternative spelling of option.' },
    },
    allOf: ALERT_SINKS.map((d) =>
      whenIs('method', d.name, d.settings ? d.settings.jsonSchema() : { properties: { option: d.options.jsonSchema(), options: d.options.jsonSchema() } }),
    ),
  };
}

function historySchema(): JsonSchema {
  const props: JsonSchema = { method: { enum: HISTORY_STORES.map((h) => h.name) } };
  for (const d of HISTORY_STORES) props[d.optionsKey] = { type: 'object', description: `${d.name}: ${d.doc}` };
  props.options = { type: 'object', description: 'Alternative spelling of <method>_options.' };
  return {
    type: 'object',
    description: 'History source; defaults to the output marked "main": true.',
    required: ['method'],
    properties: props,
    allOf: HISTORY_STORES.map((d) => whenIs('method', d.name, { properties: { [d.optionsKey]: d.options.jsonSchema(), options: d.options.jsonSchema() } })),
  };
}

function ruleSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['module'],
    properties: {
      module: str(`${ANALYSES.map((a) => a.name).join(', ')}, an analysis exported by an extension module, or a module path (./my-analysis.js[#ClassName]).`),
      name: str('Label used in alerts.'),
      options: { type: 'object', description: 'Options of the analysis.' },
      option: { type: 'object', description: 'Alternative spelling of options.' },
      python: str('A Python twin of a module-path analysis (./my_analysis.py[#ClassName]), used by `export --target flink`.'),
      ...(lifecycleSpec.jsonSchema().properties as JsonSchema),
    },
    allOf: byMethod('module', ANALYSES, ['options', 'option']),
  };
}

function configSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://ts-engine.local/config.schema.json',
    title: 'ts-engine pipeline config',
    type: 'object',
    required: ['input', 'outputs', 'processing'],
    properties: {
      input: inputSchema(),
      outputs: {
        description: 'Where aggregate rows go; every window is written to every output, in this order. A single object is accepted as a one-element array.',
        oneOf: [{ type: 'array', items: { $ref: '#/definitions/output' } }, { $ref: '#/definitions/output' }],
      },
      processing: {
        type: 'object',
        required: ['transformation', 'aggregations'],
        properties: {
          transformation: {
            type: 'array',
            items: { type: 'string' },
            description: 'One entry per output column: "field", "name: field", "name: literal" or "name: func(args…)".',
          },
          aggregations: {
            type: 'object',
            required: ['operation_type', 'rule'],
            properties: {
              operation_type: { enum: ['reduce', 'reduceByKey'], description: 'reduce: one row per window; reduceByKey: one row per key per window.' },
              rule: {
                type: 'array',
                items: { type: 'string' },
                description:
                  'Aggregates "sum(col)", "mul(col)", "min(col)", "max(col)" and, for reduceByKey, one "key: (col1, col2)". Every transformed column must be used exactly once.',
              },
            },
          },
          on_error: { enum: ['skip', 'fail'], description: 'A row that cannot be evaluated: skip (count and dead-letter; default) or fail the run.' },
        },
      },
      databases: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Extra data files (e.g. GeoIP databases) by name; paths relative to the config file. Accepted and checked for existence.',
      },
      extensions: {
        type: 'array',
        items: {
          oneOf: [
            { type: 'string' },
            {
              type: 'object',
              required: ['module'],
              properties: {
                module: str('The JS/TS module path.'),
                python: str('A Python twin of the module (transform_functions, aggregate_functions, analyses), used by `export --target flink`.'),
              },
            },
          ],
        },
        description:
          'JS/TS modules exporting transformFunctions, aggregateFunctions and analyses; {"module", "python"} names a Python twin for the Flink export.',
      },
      sandbox: sandboxSpec().jsonSchema(),
      analysis: {
        type: 'object',
        description: 'Anomaly detection against history, after every window.',
        required: ['alert', 'accuracy', 'rule'],
        properties: {
          historical: historySchema(),
          alert: {
            description: 'Alert sink(s).',
            oneOf: [{ $ref: '#/definitions/alert' }, { type: 'array', items: { $ref: '#/definitions/alert' } }],
          },
          accuracy: ANALYSIS_SETTINGS.accuracy.jsonSchema(),
          timeout_ms: ANALYSIS_SETTINGS.timeout_ms.jsonSchema(),
          time_delta: ANALYSIS_SETTINGS.time_delta.jsonSchema(),
          state_path: ANALYSIS_SETTINGS.state_path.jsonSchema(),
          rule: {
            description: 'Analyses to run, in order.',
            oneOf: [
              { type: 'array', items: ruleSchema() },
              { type: 'object', additionalProperties: { type: 'number' } },
            ],
          },
        },
      },
    },
    definitions: { output: outputSchema(), alert: alertSchema() },
  };
}

export const configJsonSchema = configSchema();

export const dataStructureJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ts-engine.local/data-structure.schema.json',
  title: 'ts-engine data structure',
  type: 'object',
  minProperties: 1,
  additionalProperties: {
    type: 'object',
    required: ['index', 'type'],
    properties: {
      index: { type: 'integer', minimum: 0, maximum: MAX_COLUMN_INDEX, description: 'Zero-based column position in the line.' },
      type: { enum: [...PARSEABLE_TYPES], description: 'Type of the column.' },
    },
  },
} as const;
