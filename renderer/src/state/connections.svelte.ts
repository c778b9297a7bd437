/**
 * The connection panel: Kafka, InfluxDB and Cassandra settings (pre-filled from the open
 * config, editable), their test results, the topic list and one live tail of
 * raw messages. The tail lives here, not in the component, so it keeps running
 * while other tabs are shown; a keep-alive every few seconds tells the back end
 * the UI is still there (a closed window lets the tail end on its own). Built with its
 * dependencies and the workbench it serves (docs/architecture.md#the-renderer).
 */
import type {
  CassandraKeyspaceList,
  CassandraTestArgs,
  CassandraTestResult,
  ConnectionDefaults,
  InfluxTestArgs,
  InfluxTestResult,
  KafkaConnectionArgs,
  KafkaTestResult,
  KafkaTopicList,
  TailInfo,
  TailMessage,
} from '../../../main/api/contract';
import { every, type Scheduler, type StateDeps, type Transport } from './deps';
import type { Workbench } from './workbench.svelte';

/** messages kept on screen */
const TAIL_KEEP = 500;
const KEEPALIVE_MS = 5000;

export type SaslMechanism = '' | 'plain' | 'scram-sha-256' | 'scram-sha-512';

export class ConnectionsState {
  defaults = $state.raw<ConnectionDefaults | null>(null);
  /** project folder the fields were filled for */
  private filledFor: string | null = null;

  // Kafka
  brokers = $state('');
  sasl = $state<SaslMechanism>('');
  saslUser = $state('');
  saslPassword = $state('');
  ssl = $state(false);
  /** TLS options object of the config (ca, cert, …), kept as given while `ssl` is on */
  private sslOptions: Record<string, unknown> | undefined;
  kafkaBusy = $state<'' | 'test' | 'topics'>('');
  kafkaResult = $state.raw<KafkaTestResult | null>(null);
  topicList = $state.raw<KafkaTopicList | null>(null);
  topicsError = $state<string | null>(null);

  // tail
  tailTopic = $state('');
  tailFrom = $state<'latest' | 'back'>('back');
  tailBack = $state(10);
  tail = $state.raw<TailInfo | null>(null);
  tailStarting = $state(false);
  tailRunning = $state(false);
  tailMessages = $state.raw<TailMessage[]>([]);
  tailPaused = $state(false);
  /** arrived while paused: shown on resume */
  held = $state(0);
  tailReceived = $state(0);
  tailSkipped = $state(0);
  tailNote = $state<string | null>(null);
  tailError = $state<string | null>(null);
  private heldMessages: TailMessage[] = [];
  /**
   * Events of a tail that arrive while connection.tailStart has not answered yet: the back end
   * starts sending (events channel) as soon as the tail runs, and nothing orders that channel
   * against the reply (HTTP or IPC), so the first batch — the `back` messages — can come first.
   */
  private early: { tailId: string; apply: () => void }[] = [];
  private stopKeepAlive: (() => void) | undefined;

  // InfluxDB
  influxApi = $state<'v1' | 'v2'>('v1');
  influxUrl = $state('');
  influxUser = $state('');
  influxPassword = $state('');
  influxDatabase = $state('');
  influxToken = $state('');
  influxOrg = $state('');
  influxBucket = $state('');
  influxBusy = $state(false);
  influxResult = $state.raw<InfluxTestResult | null>(null);

  // Cassandra
  cassandraPoints = $state('');
  cassandraDatacenter = $state('');
  cassandraUser = $state('');
  cassandraPassword = $state('');
  cassandraSsl = $state(false);
  cassandraKeyspace = $state('');
  cassandraTable = $state('');
  cassandraBusy = $state(false);
  cassandraResult = $state.raw<CassandraTestResult | null>(null);
  keyspaceList = $state.raw<CassandraKeyspaceList | null>(null);
  keyspaceError = $state<string | null>(null);
  showSystemKeyspaces = $state(false);

  private readonly transport: Transport;
  private readonly scheduler: Scheduler;

  constructor(
    deps: Pick<StateDeps, 'transport' | 'scheduler'>,
    private readonly wb: Workbench,
  ) {
    this.transport = deps.transport;
    this.scheduler = deps.scheduler;
    const on = this.transport.on.bind(this.transport);
    on('connection.tail', (e) =>
      this.accept(e.tailId, () => {
        this.tailReceived = e.received;
        this.tailSkipped += e.skipped;
        if (this.tailPaused) {
          this.heldMessages = [...this.heldMessages, ...e.messages].slice(-TAIL_KEEP);
          this.held = this.heldMessages.length;
        } else this.tailMessages = [...this.tailMessages, ...e.messages].slice(-TAIL_KEEP);
      }),
    );
    on('connection.tailEnded', (e) =>
      this.accept(e.tailId, () =>
        this.ended(
          e.reason === 'error'
            ? `ended: ${e.error ?? 'connection failed'}`
            : e.reason === 'limit'
              ? `ended after its limit (${e.sent.toLocaleString()} messages shown)`
              : e.reason === 'idle'
                ? 'ended (the workbench stopped asking for it)'
                : 'stopped',
          e.reason === 'error' ? (e.error ?? null) : null,
        ),
      ),
    );
    // another project (or none): its settings are read afresh, a running tail ends
    wb.onProject((p) => {
      if ((p?.dir ?? null) === this.filledFor) return;
      this.filledFor = null;
      this.defaults = null;
      void this.stopTail();
    });
  }

  /** The page goes away: a running tail is stopped now rather than when its keep-alives stop. */
  leave(): void {
    if (this.tailRunning && this.tail) void this.transport.invoke('connection.tailStop', { tailId: this.tail.tailId }).catch(() => undefined);
  }

  /** Fills the forms from the open config (once per project, or when asked). */
  async load(force = false): Promise<void> {
    const p = this.wb.project;
    if (!p || (!force && this.filledFor === p.dir)) return;
    try {
      const d = await this.transport.invoke('connection.defaults', { dir: p.dir, overlay: this.wb.unsaved() });
      this.defaults = d;
      this.filledFor = p.dir;
      if (force || d.kafka) this.fillKafka(d);
      if (force || d.influx) this.fillInflux(d);
      if (force || d.cassandra) this.fillCassandra(d);
    } catch (e) {
      this.wb.notify('error', `connections: ${(e as Error).message}`);
    }
  }

  private fillKafka(d: ConnectionDefaults): void {
    const k = d.kafka;
    this.brokers = k?.brokers.join(',') ?? '';
    this.sasl = (k?.sasl?.mechanism?.toLowerCase() as SaslMechanism | undefined) ?? '';
    this.saslUser = k?.sasl?.username ?? '';
    this.saslPassword = k?.sasl?.password ?? '';
    this.ssl = !!k?.ssl;
    this.sslOptions = typeof k?.ssl === 'object' ? k.ssl : undefined;
    if (k?.topic && !this.tailRunning) this.tailTopic = k.topic;
    this.kafkaResult = null;
    this.topicList = null;
    this.topicsError = null;
  }

  private fillCassandra(d: ConnectionDefaults): void {
    const a = d.cassandra;
    this.cassandraPoints = a?.contactPoints.join(', ') ?? '';
    this.cassandraDatacenter = a?.localDataCenter ?? '';
    this.cassandraUser = a?.username ?? '';
    this.cassandraPassword = a?.password ?? '';
    // TLS options of the config (certificates) are used as they are; the box only says TLS is on
    this.cassandraSsl = a?.ssl !== undefined && a.ssl !== false;
    this.cassandraKeyspace = a?.keyspace ?? '';
    this.cassandraTable = a?.table ?? '';
    this.cassandraResult = null;
    this.keyspaceList = null;
    this.keyspaceError = null;
  }

  private fillInflux(d: ConnectionDefaults): void {
    const i = d.influx;
    this.influxApi = i?.token ? 'v2' : 'v1';
    this.influxUrl = i?.url ?? '';
    this.influxUser = i?.username ?? '';
    this.influxPassword = i?.password ?? '';
    this.influxDatabase = i?.database ?? '';
    this.influxToken = i?.token ?? '';
    this.influxOrg = i?.org ?? '';
    this.influxBucket = i?.bucket ?? '';
    this.influxResult = null;
  }

  /** the topic the config reads (or alerts go to) */
  get configTopic(): string | undefined {
    return this.defaults?.kafka?.topic;
  }

  private kafkaArgs(): KafkaConnectionArgs {
    return {
      brokers: this.brokers
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b.length > 0),
      clientId: this.defaults?.kafka?.clientId,
      ssl: this.ssl ? (this.sslOptions ?? true) : undefined,
      sasl: this.sasl ? { mechanism: this.sasl, username: this.saslUser, password: this.saslPassword } : undefined,
    };
  }

  async testKafka(): Promise<void> {
    this.kafkaBusy = 'test';
    try {
      this.kafkaResult = await this.transport.invoke('connection.testKafka', this.kafkaArgs());
    } catch (e) {
      this.kafkaResult = { ok: false, address: this.brokers, brokers: [], error: (e as Error).message, elapsedMs: 0 };
    } finally {
      this.kafkaBusy = '';
    }
  }

  async listTopics(): Promise<void> {
    this.kafkaBusy = 'topics';
    this.topicsError = null;
    try {
      this.topicList = await this.transport.invoke('connection.listTopics', this.kafkaArgs());
    } catch (e) {
      this.topicList = null;
      this.topicsError = (e as Error).message;
    } finally {
      this.kafkaBusy = '';
    }
  }

  // ---- tail -------------------------------------------------------------------------

  private accept(tailId: string, apply: () => void): void {
    if (tailId === this.tail?.tailId) apply();
    else if (this.tailStarting) this.early.push({ tailId, apply });
  }

  async startTail(topic = this.tailTopic): Promise<void> {
    if (!topic.trim()) return;
    await this.stopTail();
    this.tailTopic = topic.trim();
    this.tailStarting = true;
    this.tailError = null;
    this.tailNote = null;
    this.tailMessages = [];
    this.heldMessages = [];
    this.held = 0;
    this.tailReceived = 0;
    this.tailSkipped = 0;
    this.tailPaused = false;
    this.early = [];
    try {
      const info = await this.transport.invoke('connection.tailStart', {
        ...this.kafkaArgs(),
        topic: this.tailTopic,
        from: this.tailFrom,
        back: this.tailBack,
      });
      this.tail = info;
      this.tailRunning = true;
      this.stopKeepAlive = every(this.scheduler, KEEPALIVE_MS, () => void this.ping());
      for (const e of this.early) if (e.tailId === info.tailId) e.apply();
    } catch (e) {
      this.tail = null;
      this.tailError = (e as Error).message;
    } finally {
      this.tailStarting = false;
      this.early = [];
    }
  }

  private async ping(): Promise<void> {
    const t = this.tail;
    if (!t || !this.tailRunning) return;
    try {
      const { alive } = await this.transport.invoke('connection.tailKeepAlive', { tailId: t.tailId });
      if (!alive && this.tail?.tailId === t.tailId && this.tailRunning) this.ended('ended', null);
    } catch {
      /* the back end is restarting: the next ping tells */
    }
  }

  private ended(note: string, error: string | null): void {
    this.stopKeepAlive?.();
    this.stopKeepAlive = undefined;
    this.tailRunning = false;
    this.tailNote = note;
    this.tailError = error;
    if (this.tailPaused) this.resumeTail();
  }

  async stopTail(): Promise<void> {
    const t = this.tail;
    if (!t || !this.tailRunning) return;
    this.ended('stopped', null);
    try {
      await this.transport.invoke('connection.tailStop', { tailId: t.tailId });
    } catch (e) {
      this.wb.notify('error', `tail: ${(e as Error).message}`);
    }
  }

  pauseTail(): void {
    this.tailPaused = true;
  }

  resumeTail(): void {
    this.tailPaused = false;
    this.tailMessages = [...this.tailMessages, ...this.heldMessages].slice(-TAIL_KEEP);
    this.heldMessages = [];
    this.held = 0;
  }

  clearTail(): void {
    this.tailMessages = [];
    this.heldMessages = [];
    this.held = 0;
  }

  // ---- InfluxDB ----------------------------------------------------------------------

  private influxArgs(): InfluxTestArgs {
    const url = this.influxUrl.trim();
    return this.influxApi === 'v1'
      ? { url, username: this.influxUser || undefined, password: this.influxPassword || undefined, database: this.influxDatabase || undefined }
      : { url, token: this.influxToken, org: this.influxOrg || undefined, bucket: this.influxBucket || undefined };
  }

  async testInflux(): Promise<void> {
    this.influxBusy = true;
    try {
      this.influxResult = await this.transport.invoke('connection.testInflux', this.influxArgs());
    } catch (e) {
      this.influxResult = { ok: false, url: this.influxUrl, api: this.influxApi, warnings: [], error: (e as Error).message, elapsedMs: 0 };
    } finally {
      this.influxBusy = false;
    }
  }

  // ---- Cassandra ---------------------------------------------------------------------

  private cassandraArgs(): CassandraTestArgs {
    const fromConfig = this.defaults?.cassandra?.ssl;
    return {
      contactPoints: this.cassandraPoints
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0),
      localDataCenter: this.cassandraDatacenter.trim() || undefined,
      username: this.cassandraUser || undefined,
      password: this.cassandraUser ? this.cassandraPassword : undefined,
      ssl: this.cassandraSsl ? (typeof fromConfig === 'object' ? fromConfig : true) : undefined,
      keyspace: this.cassandraKeyspace.trim() || undefined,
      table: this.cassandraTable.trim() || undefined,
    };
  }

  async testCassandra(): Promise<void> {
    this.cassandraBusy = true;
    try {
      this.cassandraResult = await this.transport.invoke('connection.testCassandra', this.cassandraArgs());
    } catch (e) {
      this.cassandraResult = { ok: false, address: this.cassandraPoints, hosts: [], warnings: [], error: (e as Error).message, elapsedMs: 0 };
    } finally {
      this.cassandraBusy = false;
    }
  }

  async listKeyspaces(): Promise<void> {
    this.cassandraBusy = true;
    this.keyspaceError = null;
    try {
      const { keyspace: _k, table: _t, ...args } = this.cassandraArgs();
      this.keyspaceList = await this.transport.invoke('connection.listKeyspaces', args);
    } catch (e) {
      this.keyspaceList = null;
      this.keyspaceError = (e as Error).message;
    } finally {
      this.cassandraBusy = false;
    }
  }
}
