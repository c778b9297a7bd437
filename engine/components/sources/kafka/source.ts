/**
 * The `kafka` input's consumer: a kafkajs consumer in a consumer group, auto-commit off.
 * `eachBatch` only queues messages (merge.ts; a partition whose queue is full is paused, flow.ts);
 * `next()` hands the runner a batch of messages (with event time, merged across partitions), or an
 * empty batch after `pollMs` without data so processing-time windows close on time. `commit()`
 * stores, per partition, the offsets the runner says every output has confirmed (commits.ts:
 * coalesced, never blocking the run loop). Lines and event times come from the message bytes
 * (framing.ts).
 *
 * Rebalances and reconnects: kafkajs restarts fetching from the committed
 * offsets after every re-join, which are behind what this process already
 * holds in open windows; those messages are recognised by offset and skipped
 * (no double counting). A revoked partition's queued messages are dropped and
 * its offsets are no longer committed by this process.
 *
 * Event time (`time_field`): the partitions' queues are merged in event-time
 * order (a partition with a backlog is waited for, briefly), so a watermark
 * taken over several partitions does not run ahead of a lagging one.
 *
 * A bounded read (`untilEnd`, `ts-engine run --until-end`, docs/live.md#until-end)
 * takes each partition's end offset before the consumer fetches anything and
 * ends the input once every assigned partition was read up to it.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { systemClock, type Clock } from '../../../core/clock.js';
import type { ConnectionStatus } from '../../../core/connection.js';
import { createKafka, kafkaCause, kafkaConnectError, probeBrokers, type KafkaConnection } from '../../../connectors/kafka-client.js';
import type { InputShape } from '../../descriptor.js';
import type { LineBatch, Source } from '../../types.js';
import { CommitBatcher } from './commits.js';
import { FlowControl } from './flow.js';
import { EMPTY, buildBatch, eventTimeReader } from './framing.js';
import { PartitionQueues } from './merge.js';
import { waitForTopic } from './topic-wait.js';

/** The `kafka` input's options (docs/semantics.md#kafka-brokers) */
export interface KafkaInputConfig extends KafkaConnection {
  type: 'kafka';
  topic: string;
  consumerGroup: string;
  fromBeginning: boolean;
}

export interface KafkaSourceOptions {
  warn(m: string): void;
  /** time of waits, holds and commit batching; the system clock when absent */
  clock?: Clock;
  /** longest wait in next() before an empty batch is returned */
  pollMs: number;
  /** the whole input section: event-time merging needs the time field, its unit and the separator */
  input?: InputShape;
  /** messages queued per partition before it is paused (default 20 000) */
  maxQueuedPerPartition?: number;
  /** largest batch handed to the runner (default 10 000 messages) */
  maxBatch?: number;
  /** event time: how long to wait for a lagging partition before going on without it (default 1000 ms) */
  holdMs?: number;
  /** commit at most this often (default 500 ms); the final commit on close is always made */
  commitIntervalMs?: number;
  /** time allowed to join the consumer group in open() (default 60 s) */
  joinTimeoutMs?: number;
  /** kafkajs consumer session timeout (default 10 s) */
  sessionTimeoutMs?: number;
  /** most bytes one fetch brings per partition (default 1 MiB): with maxQueuedPerPartition, the memory bound */
  maxBytesPerPartition?: number;
  /** true once the run is being stopped: open() stops waiting for a topic that does not exist yet */
  stopping?(): boolean;
  /** a bounded read: the input ends at the end offsets the partitions had when open() began */
  untilEnd?: boolean;
}

export class KafkaSource implements Source {
  readonly description: string;
  readonly committable = true;
  private kafka: Kafka | undefined;
  private consumer: Consumer | undefined;
  private wakeup: (() => void) | undefined;
  private closing = false;
  private fatal: Error | undefined;
  private state: ConnectionStatus['status'] = 'connecting';
  private detail = 'not connected yet';
  private joined = false;
  private joinWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private readonly clock: Clock;
  private readonly queues: PartitionQueues;
  private readonly flow: FlowControl;
  private readonly commits: CommitBatcher;
  private resumeWatermark: number | undefined;
  /** a bounded read: kept connected to look up where partitions a re-join assigns start */
  private admin: Admin | undefined;
  /** a bounded read: the first look-up of the starts is done (later ones are made by re-joins and retries) */
  private startsLookedUp = false;
  private startsLookup: Promise<void> | undefined;
  private startsWarned = false;
  private fromBeginning: boolean;
  /** a bounded read: the partitions' first offsets at the start (where a group without a committed offset begins from the beginning) */
  private firstOffsets = new Map<number, bigint>();
  rebalances = 0;

  constructor(
    private readonly cfg: KafkaInputConfig,
    private readonly opts: KafkaSourceOptions,
  ) {
    this.description = `kafka topic ${cfg.topic} (group ${cfg.consumerGroup}, brokers ${cfg.brokers.join(',')})`;
    this.fromBeginning = cfg.fromBeginning;
    this.clock = opts.clock ?? systemClock;
    const inp = opts.input;
    const timeField = inp?.timeField !== undefined ? inp.fields.find((x) => x.name === inp.timeField) : undefined;
    this.queues = new PartitionQueues(this.clock, {
      maxBatch: opts.maxBatch ?? 10_000,
      holdMs: opts.holdMs ?? 1000,
      eventTime: timeField && inp ? eventTimeReader(timeField.index, inp.sep, inp.timeUnit) : undefined,
    });
    const topic = cfg.topic;
    this.flow = new FlowControl(
      {
        pause: (partitions) => this.consumer?.pause([{ topic, partitions }]),
        resume: (partitions) => this.consumer?.resume([{ topic, partitions }]),
      },
      opts.maxQueuedPerPartition ?? 20_000,
    );
    this.commits = new CommitBatcher(this.clock, opts.commitIntervalMs ?? 500, {
      ready: () => this.consumer !== undefined,
      isAssigned: (p) => this.queues.isAssigned(p),
      commitOffsets: (offsets, metadata) => this.consumer!.commitOffsets(offsets.map((o) => ({ topic, ...o, metadata }))),
      failed: (e) => this.opts.warn(`kafka: offset commit failed (${kafkaCause(e)}); retried with the next one`),
    });
  }

  /** messages skipped because they were queued before (re-fetch after a re-join or restart) */
  get skippedDuplicates(): number {
    return this.queues.skippedDuplicates;
  }

  // ---- lifecycle -------------------------------------------------------------

  async open(): Promise<void> {
    const cfg = this.cfg;
    const what = { consumer_group: cfg.consumerGroup, topic: cfg.topic };
    this.setStatus('connecting', `connecting to ${cfg.brokers.join(',')}`);
    let topics: string[];
    try {
      ({ topics } = await probeBrokers(cfg, { warn: this.opts.warn }));
    } catch (e) {
      this.setStatus('down', kafkaCause(e));
      throw kafkaConnectError(cfg.brokers, what, e);
    }
    // a run started before its producer waits for the topic, then reads it from its first message
    if (!topics.includes(cfg.topic)) {
      this.opts.warn(`waiting for kafka topic '${cfg.topic}' to be created on ${cfg.brokers.join(',')} (Ctrl-C to stop)`);
      const created = await waitForTopic(cfg, cfg.topic, {
        clock: this.clock,
        warn: this.opts.warn,
        stopping: () => this.closing || this.opts.stopping?.() === true,
        status: (d) => this.setStatus('connecting', d),
      });
      if (!created) return;
      this.fromBeginning = true; // every message of a topic created after the start is new to this run
    }

    this.kafka = createKafka(cfg, {
      warn: this.opts.warn,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
      // connection trouble shows in the status until the next fetch succeeds
      onError: (m) => {
        if (!this.closing && /connect|ECONNREFUSED|ECONNRESET|coordinator|timed? ?out|not available|leader/i.test(m)) this.setStatus('retrying', m);
      },
    });
    // the admin client that reads the committed watermark (and a bounded read's end offsets) connects while the consumer joins its group
    const bounded = this.opts.untilEnd === true;
    const admin = this.opts.input?.timeField !== undefined || bounded ? this.kafka.admin() : undefined;
    const adminReady = admin && this.connectAdmin(admin);
    if (bounded) this.admin = admin;
    try {
      // a bounded read knows its ends before the first fetch: nothing beyond them is queued
      await this.joinGroup(this.kafka, what, this.fromBeginning, bounded ? () => this.readEnds(adminReady!) : undefined);
    } catch (e) {
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      throw e;
    }
    if (admin) await this.readCommitted(admin, await adminReady);
    this.startsLookedUp = true;
  }

  /** The partitions' end offsets now (a bounded read stops there), and their first offsets (where a new group starts from the beginning). */
  private async readEnds(adminReady: Promise<{ failure?: unknown }>): Promise<void> {
    const connected = await adminReady;
    try {
      if (connected.failure) throw connected.failure;
      const offsets = await this.admin!.fetchTopicOffsets(this.cfg.topic);
      this.queues.bound(new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
      this.firstOffsets = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    } catch (e) {
      throw new Error(`could not read the end offsets of topic ${this.cfg.topic} for --until-end (${kafkaCause(e)})`);
    }
  }

  /** Connects the consumer and waits until it has joined its group. */
  private async joinGroup(kafka: Kafka, what: Record<string, string>, fromBeginning: boolean, beforeFetching?: () => Promise<void>): Promise<void> {
    const cfg = this.cfg;
    const sessionTimeout = this.opts.sessionTimeoutMs ?? 10_000;
    const consumer = kafka.consumer({
      groupId: cfg.consumerGroup,
      sessionTimeout,
      // eachBatch never blocks: a member that does not re-join within the session timeout is gone
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
      // the broker holds a fetch this long when a partition has nothing new; a bounded read ends by waiting for that
      // fetch, and while it catches up its fetches are answered at once anyway
      maxWaitTimeInMs: this.opts.untilEnd ? 50 : Math.min(500, Math.max(50, this.opts.pollMs)),
      maxBytesPerPartition: this.opts.maxBytesPerPartition ?? 1 << 20,
      maxBytes: Math.max(8 << 20, this.opts.maxBytesPerPartition ?? 0),
      // a missing topic is waited for above; a consumer creating it would hide a misspelt name
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    const ev = consumer.events;
    consumer.on(ev.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment[cfg.topic] ?? []));
    consumer.on(ev.REBALANCING, () => {
      this.rebalances++;
      this.setStatus('connecting', 'consumer group rebalancing');
    });
    consumer.on(ev.CRASH, (e) => {
      const { error, restart } = e.payload;
      if (this.closing) return;
      this.joined = false;
      if (restart) this.setStatus('retrying', `connection lost (${kafkaCause(error)}); reconnecting`);
      else {
        this.setStatus('down', kafkaCause(error));
        this.fail(kafkaConnectError(cfg.brokers, what, error));
      }
    });
    consumer.on(ev.FETCH_START, () => this.queues.fetchStarted());
    // kafkajs passes over a fetch that brought only transaction markers or aborted records; a bounded read's end may lie past them
    consumer.on(ev.START_BATCH_PROCESS, (e) => {
      const b = e.payload;
      if (b.batchSize !== 0 || !this.queues.bounded || !this.queues.isAssigned(b.partition)) return;
      this.queues.skipped(b.partition, b.lastOffset);
      this.noteEnds();
    });
    consumer.on(ev.FETCH, () => {
      if (this.state !== 'ok' && this.joined && !this.closing) this.setStatus('ok', this.okDetail());
    });
    consumer.on(ev.REQUEST_TIMEOUT, (e) => {
      if (!this.closing) this.setStatus('retrying', `request to broker ${e.payload.broker} timed out`);
    });

    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [cfg.topic], fromBeginning });
      await beforeFetching?.();
    } catch (e) {
      this.setStatus('down', kafkaCause(e));
      await consumer.disconnect().catch(() => undefined);
      throw kafkaConnectError(cfg.brokers, what, e);
    }
    const joined = new Promise<void>((resolve, reject) => this.joinWaiters.push({ resolve, reject }));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (p) => this.onBatch(p),
    });
    const joinTimeout = this.opts.joinTimeoutMs ?? 60_000;
    try {
      await this.withTimeout(joined, joinTimeout, () => new Error(`could not join consumer group ${cfg.consumerGroup} within ${joinTimeout / 1000} s`));
    } catch (e) {
      this.closing = true;
      await consumer.disconnect().catch(() => undefined);
      throw e instanceof Error && e.name === 'KafkaConnectError' ? e : kafkaConnectError(cfg.brokers, what, e);
    }
  }

  /**
   * An admin client that knows the topic's brokers. A fresh one knows none: without the metadata first,
   * kafkajs finds no group coordinator and retries after ≈ 300 ms (the whole of a run's start-up here, measured).
   */
  private async connectAdmin(admin: Admin): Promise<{ failure?: unknown }> {
    try {
      await admin.connect();
      await admin.fetchTopicMetadata({ topics: [this.cfg.topic] });
      return {};
    } catch (failure) {
      return { failure };
    }
  }

  /**
   * The watermark committed with the offsets of the partitions this process got (the latest of them), and for a
   * bounded read where they start. Read once the group is joined: a member that had these partitions before commits
   * on its way out of the rebalance.
   */
  private async readCommitted(admin: Admin, connected: { failure?: unknown } | undefined): Promise<void> {
    try {
      if (connected?.failure) throw connected.failure;
      const r = await admin.fetchOffsets({ groupId: this.cfg.consumerGroup, topics: [this.cfg.topic] });
      this.noteStarts(r[0]?.partitions ?? []);
      if (this.opts.input?.timeField === undefined) return;
      for (const p of r[0]?.partitions ?? []) {
        if (!this.queues.isAssigned(p.partition) || !p.metadata) continue;
        try {
          const wm = (JSON.parse(p.metadata) as { watermarkMs?: unknown }).watermarkMs;
          if (typeof wm === 'number' && Number.isFinite(wm) && (this.resumeWatermark === undefined || wm > this.resumeWatermark)) this.resumeWatermark = wm;
        } catch {
          // metadata of another consumer: not ours
        }
      }
    } catch (e) {
      if (this.opts.input?.timeField !== undefined)
        this.opts.warn(`kafka: could not read the committed watermark (${kafkaCause(e)}); rows of windows stored before a crash may be aggregated again`);
      if (this.queues.bounded) this.warnStarts(e);
    } finally {
      if (admin !== this.admin) await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * A bounded read: where the assigned partitions start reading, which is where kafkajs starts them (the committed
   * offset; without one, or one no longer in the log, the first or the end offset). A partition with nothing to read
   * brings no batch at all, so this is how its end is known.
   */
  private noteStarts(committed: { partition: number; offset: string }[]): void {
    if (!this.queues.bounded) return;
    for (const { partition, offset } of committed) {
      if (!this.queues.isAssigned(partition)) continue;
      const first = this.firstOffsets.get(partition) ?? 0n;
      const c = BigInt(offset);
      this.queues.startsAt(partition, c >= 0n && c >= first ? c : this.fromBeginning ? first : this.queues.endOf(partition));
    }
    this.noteEnds();
  }

  /** A bounded read: the partitions a re-join gave this process (or a failed look-up left unknown) start where their committed offsets are. */
  private lookUpStarts(): void {
    const admin = this.admin;
    if (!admin || !this.startsLookedUp || this.startsLookup || this.closing || this.queues.unknownStarts().length === 0) return;
    this.startsLookup = admin
      .fetchOffsets({ groupId: this.cfg.consumerGroup, topics: [this.cfg.topic] })
      .then((r) => this.noteStarts(r[0]?.partitions ?? []))
      .catch((e) => {
        if (!this.closing) this.warnStarts(e);
      })
      .finally(() => (this.startsLookup = undefined));
  }

  private warnStarts(e: unknown): void {
    if (this.startsWarned) return;
    this.startsWarned = true;
    this.opts.warn(`kafka: could not read the committed offsets (${kafkaCause(e)}); retried while the run waits for data`);
  }

  /** A bounded read: partitions read up to their end are fetched no more; once all are and everything was handed on, next() ends the input. */
  private noteEnds(): void {
    for (const p of this.queues.assignment()) if (this.queues.reachedEnd(p)) this.flow.reachedEnd(p);
    if (this.queues.finished()) this.wake();
  }

  resumeWatermarkMs(): number | undefined {
    return this.resumeWatermark;
  }

  async close(): Promise<void> {
    if (this.closing && !this.consumer) return;
    this.closing = true;
    this.wake();
    const consumer = this.consumer;
    if (!consumer) return;
    // broker unreachable (retrying, down): a commit or a clean leave cannot succeed, so a stop does not wait long for them
    const reachable = this.state === 'ok' || this.state === 'connecting';
    try {
      await this.withTimeout(this.commits.finish(), reachable ? 15_000 : 3000, () => new Error('final offset commit timed out'));
    } catch (e) {
      this.opts.warn(`kafka: final offset commit failed (${kafkaCause(e)}); the uncommitted messages are read again next time`);
    }
    await this.withTimeout(consumer.disconnect(), reachable ? 20_000 : 3000, () => new Error('kafka disconnect timed out')).catch((e) =>
      this.opts.warn(`kafka: ${kafkaCause(e)}`),
    );
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
    this.consumer = undefined;
    this.setStatus('down', 'closed');
  }

  private fail(e: Error): void {
    this.fatal ??= e;
    for (const w of this.joinWaiters.splice(0)) w.reject(e);
    this.wake();
  }

  // ---- status ---------------------------------------------------------------

  private setStatus(s: ConnectionStatus['status'], detail: string): void {
    this.state = s;
    this.detail = detail;
  }

  private okDetail(): string {
    const paused = this.flow.pausedPartitions();
    return `group ${this.cfg.consumerGroup}, partitions [${this.queues.assignment().join(', ')}], ${this.queues.total} queued${paused.length ? `, paused [${paused.join(', ')}] (waiting for the outputs)` : ''}${this.commits.failures ? `, ${this.commits.failures} failed commits` : ''}`;
  }

  status(): ConnectionStatus {
    const detail = this.state === 'ok' ? this.okDetail() : this.detail;
    return { name: `kafka ${this.cfg.topic} @ ${this.cfg.brokers.join(',')}`, status: this.state, detail };
  }

  /** messages fetched and not yet handed to the runner */
  get queued(): number {
    return this.queues.total;
  }

  /** partitions currently assigned to this process */
  assignment(): number[] {
    return this.queues.assignment();
  }

  // ---- consumer callbacks --------------------------------------------------------

  private onJoin(partitions: number[]): void {
    const revoked = this.queues.assign(partitions);
    for (const p of revoked) this.commits.revoke(p);
    this.flow.rejoined(partitions, revoked, (p) => this.queues.queuedIn(p));
    this.lookUpStarts();
    this.noteEnds();
    this.joined = true;
    this.setStatus('ok', this.okDetail());
    for (const w of this.joinWaiters.splice(0)) w.resolve();
    this.wake();
  }

  private async onBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    if (this.closing) return;
    const p = batch.partition;
    if (!this.queues.isAssigned(p)) return; // stale batch of a revoked partition
    this.queues.enqueue(p, batch.messages, batch.lastOffset(), batch.highWatermark);
    resolveOffset(batch.lastOffset());
    this.flow.filled(p, this.queues.queuedIn(p));
    if (this.queues.bounded) this.noteEnds();
    if (this.state !== 'ok' && this.joined) this.setStatus('ok', this.okDetail());
    this.wake();
  }

  private wake(): void {
    const w = this.wakeup;
    this.wakeup = undefined;
    w?.();
  }

  // ---- the runner's side ---------------------------------------------------------

  async next(): Promise<LineBatch | null> {
    const deadline = this.clock.now() + this.opts.pollMs;
    const merging = this.opts.input?.timeField !== undefined;
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.closing) return null;
      const b = this.flow.pausedByUser ? undefined : this.take();
      if (b) return b;
      if (this.queues.finished()) return null;
      const left = deadline - this.clock.now();
      if (left <= 0) {
        this.lookUpStarts();
        return EMPTY;
      }
      // merging waits in short steps: a lagging partition's hold may end before new data arrives
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimeout(resolve, Math.min(left, merging ? 50 : left));
        this.wakeup = () => {
          this.clock.clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private take(): LineBatch | undefined {
    const runs = this.queues.take();
    if (!runs) return undefined;
    for (const r of runs) this.flow.drained(r.partition, this.queues.queuedIn(r.partition));
    return buildBatch(this.cfg.topic, runs);
  }

  /** a bounded read: the share of its offsets handed on */
  progress(): number | null {
    return this.queues.fractionRead();
  }

  pause(): void {
    this.flow.pauseAll(this.queues.assignment());
  }

  resume(): void {
    this.flow.resumeAll(this.queues.assignment());
    this.wake();
  }

  // ---- commits ------------------------------------------------------------------------

  async commit(safe: Map<number, string>, meta?: { watermarkMs?: number }): Promise<void> {
    this.commits.request(safe, meta);
  }

  /** `p` or a timeout error after `ms` of the clock's time */
  private async withTimeout<T>(p: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
    let t: ReturnType<Clock['setTimeout']> | undefined;
    try {
      return await Promise.race([p, new Promise<T>((_, reject) => (t = this.clock.setTimeout(() => reject(timeout()), ms)))]);
    } finally {
      this.clock.clearTimeout(t);
    }
  }
}
