/**
 * The Kafka connection options shared by the `kafka` input and the `kafka` alert sink: brokers (or
 * the reference's server + port, docs/semantics.md#kafka-brokers), client id, TLS and SASL.
 */
import type { KafkaConnection } from '../connectors/kafka-client.js';
import {
  HOST_PORT,
  type JsonSchema,
  type Obj,
  type ObjectOf,
  type ParseEnv,
  type Place,
  bool,
  childPath,
  custom,
  ifThen,
  isObj,
  obj,
  oneOf,
  port,
  secret,
  str,
  type Fields,
} from '../options/spec.js';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export const saslSpec = obj({
  mechanism: oneOf(...SASL_MECHANISMS)
    .default('plain')
    .describe('SASL mechanism (default plain).'),
  username: str().required().describe('SASL user name.'),
  password: secret().required().describe('SASL password (exported as ${ENV} placeholder).'),
})
  .describe('SASL authentication.')
  .messages({ invalid: (_v, at) => `${at.path} must be an object {mechanism, username, password}` });

export const sslSpec = custom<boolean | Obj>(
  () => ({ type: ['boolean', 'object'], description: 'TLS: true, or TLS options (ca, cert, key, rejectUnauthorized, …).' }),
  (v, at, _env, fail) => (typeof v === 'boolean' || isObj(v) ? v : fail(`${at.path} must be true/false or an object of TLS options`)),
);

const brokerItem: JsonSchema = { type: 'string', pattern: HOST_PORT.source };
const serverSpec = str().describe('Reference form: broker host, used with port as one broker address.');
const portSpec = port().describe('Reference form: broker port, used with server.');

/** brokers, or server + port (one broker, with a warning): the list of "host:port" addresses */
function readBrokers(o: Obj, at: Place, env: ParseEnv): string[] | undefined {
  const p = at.path;
  if (o.brokers !== undefined) {
    const b = o.brokers;
    const list = typeof b === 'string' ? [b] : b;
    if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' || !HOST_PORT.test(x))) {
      env.sink.report(`${p}.brokers`, 'ConfigError', `${p}.brokers must be a non-empty array of "host:port" strings, got ${JSON.stringify(b)}`);
      return undefined;
    }
    if (o.server !== undefined || o.port !== undefined) env.sink.warn(`${p}.server`, `${p}.server/port are ignored because brokers is given`);
    return list as string[];
  }
  if (o.server !== undefined || o.port !== undefined) {
    const server = serverSpec.required().parseAt(o.server, { path: childPath(p, 'server'), parent: p, key: 'server' }, env);
    const portNo = portSpec.required().parseAt(o.port, { path: childPath(p, 'port'), parent: p, key: 'port' }, env);
    if (server === undefined || portNo === undefined) return undefined;
    env.sink.warn(
      `${p}.server`,
      `${p}.server + port is the reference's ZooKeeper form; ts-engine treats "${server}:${portNo}" as a single Kafka broker address (use "brokers": ["host:port"])`,
    );
    return [`${server}:${portNo}`];
  }
  env.sink.report(`${p}.brokers`, 'ConfigError', `missing required key 'brokers' in ${p} (an array of "host:port" strings)`);
  return undefined;
}

type KafkaOptions<F extends Fields> = ObjectOf<F> & KafkaConnection;

/**
 * Kafka connection options plus the component's own `fields` (read after the brokers, in order).
 * Parses to `{ brokers, clientId, ssl?, sasl?, ...fields }`.
 */
export function kafkaOptions<F extends Fields>(fields: F, clientIdDefault: string, doc: string) {
  const rest = obj({
    ...fields,
    client_id: str().default(clientIdDefault).describe(`Kafka client id (default ${clientIdDefault}).`),
    sasl: saslSpec,
    ssl: sslSpec,
  });
  const schema = (): JsonSchema => {
    const s = rest.jsonSchema() as { properties: JsonSchema; required?: string[] };
    return {
      ...s,
      description: doc,
      properties: {
        brokers: { oneOf: [{ type: 'array', items: brokerItem, minItems: 1 }, brokerItem], description: 'Kafka bootstrap brokers as "host:port".' },
        // checked only without brokers (below): with brokers they are ignored, with a warning
        server: { description: serverSpec.jsonSchema().description },
        port: { description: portSpec.jsonSchema().description },
        ...s.properties,
      },
      // brokers, or else the reference's server + port (both checked only when brokers is absent)
      ...ifThen({ required: ['brokers'] }, {}, { required: ['server', 'port'], properties: { server: serverSpec.jsonSchema(), port: portSpec.jsonSchema() } }),
    };
  };
  return custom<KafkaOptions<F>>(
    schema,
    (v, at, env, fail) => {
      if (!isObj(v)) return fail(`${at.path} must be an object`);
      const brokers = readBrokers(v, at, env);
      const r = rest.readFields(v, at, env) as Record<string, unknown> | undefined;
      if (!brokers || !r) return undefined;
      const { client_id, ...others } = r;
      return { ...(others as ObjectOf<F>), brokers, clientId: client_id as string } as KafkaOptions<F>;
    },
    [rest],
  );
}

/** The bool spec of from_beginning, shared for documentation. */
export const fromBeginningSpec = bool().default(false).describe('A new consumer group starts at the earliest offset (default: latest).');
