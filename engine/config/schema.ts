/**
 * JSON Schemas (draft-07) of the config and the data-structure file, published
 * for editors (Monaco completion and hover docs). The validator in validate.ts
 * is the authority; a unit test keeps the two in step on every sample.
 */
const str = (description: string, extra: object = {}) => ({ type: 'string', description, ...extra });
const num = (description: string, extra: object = {}) => ({ type: 'number', description, ...extra });
const bool = (description: string) => ({ type: 'boolean', description });

const brokers = {
  type: 'array',
  items: { type: 'string', pattern: '^[^\\s:]+:\\d+$' },
  minItems: 1,
  description: 'Kafka bootstrap brokers as "host:port".',
};
const sasl = {
  type: 'object',
  description: 'SASL authentication.',
  properties: {
    mechanism: { enum: ['plain', 'scram-sha-256', 'scram-sha-512'] },
    username: str('SASL user name.'),
    password: str('SASL password (exported as ${ENV} placeholder).'),
  },
  required: ['username', 'password'],
};

const influxConnection = {
  type: 'object',
  description:
    'InfluxDB connection. Reference (v1) form: host, port, username, password, database, measurement (also serves InfluxDB 2.x/3.x v1-compatible endpoints). v2 form: url, token, org, bucket, measurement.',
  properties: {
    host: str('InfluxDB host name.'),
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'HTTP API port (8086).' },
    username: str('User name (v1 form).'),
    password: str('Password (v1 form).'),
    database: str('Database; created if missing (v1 form).'),
    retention_policy: str('Retention policy (v1 form).'),
    ssl: bool('Use https.'),
    url: str('Base URL, e.g. http://localhost:8086 (v2 form).'),
    token: str('API token (v2 form).'),
    org: str('Organisation (v2 form).'),
    bucket: str('Bucket (v2 form).'),
    measurement: str('Measurement written and queried.'),
  },
  required: ['measurement'],
};

export const configJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ts-engine.local/config.schema.json',
  title: 'ts-engine pipeline config',
  type: 'object',
  required: ['input', 'outputs', 'processing'],
  properties: {
    input: {
      type: 'object',
      description: 'Where rows come from, and the data-structure file describing their columns.',
      required: ['input_type', 'data_structure', 'options'],
      properties: {
        input_type: { enum: ['csv', 'kafka'], description: '"csv" (a file or standard input) or "kafka" (a topic).' },
        data_structure: str('Path of the data-structure JSON file, relative to this config file.'),
        options: {
          type: 'object',
          description: "Input options. Unknown keys are kept (config('input.options.x') can read them) with a warning.",
          properties: {
            path: str('csv: the file to read, relative to the config file; "-" reads standard input.'),
            header: bool('csv: skip the first line.'),
            sep: str('Column separator (default ",").', { minLength: 1 }),
            batchDuration: num('Window length in seconds (at least 0.001). csv without time_field and rate: 0 or absent = one window for the whole file.', {
              minimum: 0,
              maximum: 1e9,
            }),
            time_field: str('Event time: a numeric field of the data structure holding the row time.'),
            time_unit: { enum: ['s', 'ms', 'us', 'ns'], description: 'Unit of time_field (default s).' },
            allowed_lateness: num('Event time: seconds a window stays open after the watermark passes its end (default 0). Later rows are dead-lettered.', {
              minimum: 0,
              maximum: 1e9,
            }),
            rate: num('csv: pace rows at this many rows per second, with processing-time windows.', { exclusiveMinimum: 0, maximum: 1e9 }),
            speed: num('Event-time replay pacing: 1 = as fast as the event times say, 10 = ten times faster, 0 = as fast as possible.', {
              minimum: 0,
              maximum: 1e9,
            }),
            max_error_rate: num('Stop the run (exit 1) when the fraction of bad rows exceeds this (0–1).', { minimum: 0, maximum: 1 }),
            brokers,
            server: str('kafka (reference form): host, used with port as a single broker address.'),
            port: { type: 'integer', description: 'kafka (reference form): port, used with server.' },
            topic: str('kafka: topic to consume.'),
            consumer_group: str('kafka: consumer group id.'),
            from_beginning: bool('kafka: a new consumer group starts at the earliest offset (default: latest).'),
            client_id: str('kafka: client id.'),
            ssl: { type: ['boolean', 'object'], description: 'kafka: TLS (true, or TLS options).' },
            sasl,
          },
        },
      },
    },
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
      items: { type: 'string' },
      description: 'JS/TS modules exporting transformFunctions, aggregateFunctions and analyses.',
    },
    analysis: {
      type: 'object',
      description: 'Anomaly detection against history, after every window.',
      required: ['alert', 'accuracy', 'rule'],
      properties: {
        historical: {
          type: 'object',
          description: 'History source; defaults to the output marked "main": true.',
          properties: {
            method: { enum: ['influx', 'sqlite'] },
            influx_options: influxConnection,
            sqlite_options: { type: 'object', properties: { path: str('SQLite file.'), table: str('Table (default points).') } },
          },
        },
        alert: {
          description: 'Alert sink(s).',
          oneOf: [{ $ref: '#/definitions/alert' }, { type: 'array', items: { $ref: '#/definitions/alert' } }],
        },
        accuracy: num('Seconds of tolerance around each history target time.', { minimum: 0, maximum: 1e9 }),
        timeout_ms: num('Time limit per user-analysis call (default 1000).', { exclusiveMinimum: 0, maximum: 2147483647 }),
        time_delta: num('Legacy form: compare with the point this many seconds before (with rule as {column: percent}).'),
        rule: {
          description: 'Analyses to run, in order.',
          oneOf: [
            {
              type: 'array',
              items: {
                type: 'object',
                required: ['module'],
                properties: {
                  module: str('SimpleAnalysis, AverageAnalysis, an analysis exported by an extension module, or a module path (./my-analysis.js[#ClassName]).'),
                  name: str('Label used in alerts.'),
                  options: {
                    type: 'object',
                    properties: {
                      deviation: { type: 'object', additionalProperties: { type: 'number' }, description: 'Aggregated column → allowed deviation in percent.' },
                      batch_number: { type: 'integer', minimum: 1, description: 'SimpleAnalysis: compare with the window this many windows back.' },
                      num_average: { type: 'integer', minimum: 1, description: 'AverageAnalysis: compare with the average of this many past windows.' },
                    },
                  },
                  option: { type: 'object', description: 'Alternative spelling of options.' },
                },
              },
            },
            { type: 'object', additionalProperties: { type: 'number' } },
          ],
        },
      },
    },
  },
  definitions: {
    output: {
      type: 'object',
      required: ['method'],
      properties: {
        method: { enum: ['stdout', 'sqlite', 'influx'], description: 'stdout, sqlite (embedded store) or influx.' },
        main: bool('The default history source for analysis.'),
        options: {
          type: 'object',
          properties: {
            format: { enum: ['reference', 'jsonl'], description: 'stdout: reference tuples (default) or JSON lines.' },
            path: str('sqlite: database file, relative to the config file.'),
            table: str('sqlite: table name (default points).'),
            influx: influxConnection,
            batch_size: { type: 'integer', minimum: 1, maximum: 1000000, description: 'influx: points per write request (default 5000).' },
            max_retries: { type: 'integer', minimum: 0, maximum: 1000000, description: 'influx: retries with backoff before the run fails (default 10).' },
          },
        },
      },
    },
    alert: {
      type: 'object',
      required: ['method'],
      properties: {
        method: { enum: ['stdout', 'kafka', 'sqlite'] },
        format: { enum: ['reference', 'jsonl'], description: 'stdout: reference line (default) or JSON lines.' },
        timezone: { enum: ['utc', 'local'], description: 'stdout: time zone of the reference line (default utc).' },
        option: {
          type: 'object',
          description: 'kafka: brokers (or server + port) and topic; sqlite: path and table (default alerts, in the main store).',
          properties: {
            brokers,
            server: str('Broker host.'),
            port: { type: 'integer' },
            topic: str('Topic.'),
            path: str('SQLite file.'),
            table: str('Table.'),
            sasl,
          },
        },
        options: { type: 'object', description: 'Alternative spelling of option.' },
      },
    },
  },
} as const;

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
      index: { type: 'integer', minimum: 0, maximum: 1000000, description: 'Zero-based column position in the line.' },
      type: { enum: ['StringType', 'IntegerType', 'LongType', 'FloatType', 'DoubleType', 'BooleanType'], description: 'Type of the column.' },
    },
  },
} as const;
