/**
 * Builds sources, sinks, alert sinks and history sources from config. Each
 * implementation lives in its own file; live-system ones (Kafka, InfluxDB) are
 * imported lazily so a CSV → SQLite run never loads their clients.
 */
import type { OutputConfig, AlertSinkConfig, HistoryConfig, InputConfig } from '../config/model.js';
import type { Sink, SinkContext } from '../sinks/sink.js';
import { StdoutSink } from '../sinks/stdout.js';
import { SqliteSink } from '../sinks/sqlite.js';
import type { Source } from '../sources/source.js';
import { CsvSource } from '../sources/csv.js';
import type { AlertSink } from '../alerts/alert-sink.js';
import { StdoutAlertSink } from '../alerts/stdout.js';
import { SqliteAlertSink } from '../alerts/sqlite.js';
import type { HistorySource } from '../analysis/history.js';
import { SqliteHistory } from '../analysis/history-sqlite.js';
import type { SqliteStores } from '../store/sqlite-store.js';
import type { Clock } from '../window/clock.js';

export interface ComponentEnv {
  stores: SqliteStores;
  clock: Clock;
  stdout: NodeJS.WritableStream;
  warn(message: string): void;
  /** Kafka live runs: how long `next()` may wait before returning an empty batch so processing-time windows close on time */
  pollMs?: number;
  /** true once the run is being stopped (a source waiting for its topic gives up) */
  stopping?(): boolean;
}

export async function createSource(input: InputConfig, env: ComponentEnv): Promise<Source> {
  const s = input.source;
  if (s.type === 'csv') return new CsvSource({ path: s.path, header: s.header });
  const { KafkaSource } = await import('../sources/kafka.js');
  return new KafkaSource(s, { warn: env.warn, pollMs: env.pollMs ?? 200, input, stopping: env.stopping });
}

export async function createSink(out: OutputConfig, ctx: SinkContext): Promise<Sink> {
  switch (out.method) {
    case 'stdout':
      return new StdoutSink(ctx, out.format);
    case 'sqlite':
      return new SqliteSink(ctx, out.path, out.table);
    case 'influx': {
      const { InfluxSink } = await import('../sinks/influx.js');
      return new InfluxSink(ctx, out);
    }
  }
}

export async function createAlertSink(cfg: AlertSinkConfig, env: ComponentEnv): Promise<AlertSink> {
  switch (cfg.method) {
    case 'stdout':
      return new StdoutAlertSink(env.stdout, cfg.format, cfg.timezone);
    case 'sqlite':
      return new SqliteAlertSink(env.stores, cfg.path, cfg.table, () => env.clock.now());
    case 'kafka': {
      const { KafkaAlertSink } = await import('../alerts/kafka.js');
      return new KafkaAlertSink(cfg, { warn: env.warn });
    }
  }
}

export async function createHistory(cfg: HistoryConfig, env: ComponentEnv): Promise<HistorySource> {
  if (cfg.method === 'sqlite') return new SqliteHistory(env.stores, cfg.path, cfg.table);
  const { InfluxHistory } = await import('../analysis/history-influx.js');
  return new InfluxHistory(cfg.connection, { warn: env.warn });
}
