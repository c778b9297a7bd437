/**
 * The Connections panel's handlers: thin wrappers over the engine's probes and tails (engine
 * connectors: test a Kafka cluster, list its topics with offsets, tail a topic, test an InfluxDB
 * server) and the connection settings of the open config. Time limits, error wording and the tail
 * consumer live in the engine; see main/README.md for the handler list.
 */
export {
  connectionDefaults,
  kafkaProblem,
  listKeyspaces,
  listTopics,
  MAX_PER_SECOND,
  Tails,
  tailMessage,
  testCassandra,
  testInflux,
  testKafka,
} from '../../engine/index.js';
