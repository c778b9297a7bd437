/**
 * `kafka` input (2.1 with D-31, 15.1, 15.5): a kafkajs consumer in a consumer
 * group, auto-commit off. `eachBatch` only queues messages (per partition,
 * bounded: a partition whose queue is full is paused in kafkajs, so a runner
 * blocked on a slow or failing output stops the fetching and memory stays
 * bounded); `next()` hands the runner one partition's messages at a time, or
 * an empty batch after `pollMs` without data so processing-time windows close
 * on time. `commit()` stores, per partition, the offsets the runner says every
 * output has confirmed (coalesced, never blocking the run loop).
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
 */
import { logLevel, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage } from 'kafkajs';
import type { InputConfig, KafkaInputConfig } from '../config/model.js';
import type { ConnectionStatus } from '../sinks/sink.js';
import { bytesText } from '../values/numeric.js';
import type { SourcePosition } from '../types.js';
import type { LineBatch, Source } from './source.js';
import { createKafka, kafkaCause, kafkaConnectError, probeBrokers } from '../live/kafka-client.js';
import { Throttle, realSleep } from '../live/backoff.js';

export interface KafkaSourceOptions {
  warn(m: string): void;
  /** longest wait in next() before an empty batch is returned */
  pollMs: number;
  /** the whole input section: event-time merging needs the time field, its unit and the separator */
  input?: InputConfig;
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
  /** true once the run is being stopped: open() stops waiting for a topic that does not exist yet */
  stopping?(): boolean;
  /** most bytes one fetch brings per partition (default 1 MiB): with maxQueuedPerPartition, the memory bound */
  maxBytesPerPartition?: number;
}

interface Chunk {
  msgs: KafkaMessage[];
  /** the fetch round that brought it, and when */
  round: number;
  at: number;
  /** event time (ms) per message, merge mode only */
  times?: Float64Array;
  i: number;
}

interface Part {
  chunks: Chunk[];
  queued: number;
  /** next offset expected from kafkajs: smaller ones were queued already (re-fetch after a re-join) */
  fetched?: bigint;
  /** next offset after the last message handed to the runner */
  delivered?: bigint;
  /** the last batch reached the partition's high watermark */
  caughtUp: boolean;
  seen: boolean;
  assignedAt: number;
  emptySince: number;
  /** event time of the last message handed on (merge mode) */
  frontier: number;
  paused: boolean;
}

const NL = 10;
const CR = 13;

export class KafkaSource implements Source {
  readonly description: string;
  readonly committable = true;
  private kafka: Kafka | undefined;
  private consumer: Consumer | undefined;
  private readonly parts = new Map<number, Part>();
  private assigned = new Set<number>();
  private totalQueued = 0;
  private wakeup: (() => void) | undefined;
  private closing = false;
  private fatal: Error | undefined;
  private state: ConnectionStatus['status'] = 'connecting';
  private detail = 'not connected yet';
  private joined = false;
  private joinWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private rr = 0;
  /** fetch requests started: once round k + 2 starts, every batch of response k + 1 is queued */
  private rounds = 0;
  private readonly maxPerPart: number;
  private readonly maxBatch: number;
  private readonly holdMs: number;
  private readonly commitEveryMs: number;
  /** merge mode: event time of a message value */
  private readonly eventTime: ((b: Uint8Array, s: number, e: number) => number) | undefined;
  // commits
  private readonly pendingCommit = new Map<number, string>();
  private readonly committed = new Map<number, bigint>();
  private commitInFlight: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private lastCommitAt = 0;
  private commitFailures = 0;
  private commitWatermark: number | undefined;
  private resumeWatermark: number | undefined;
  private userPaused = false;
  /** messages skipped because they were queued before (re-fetch after a re-join or restart) */
  skippedDuplicates = 0;
  rebalances = 0;

  constructor(
    private readonly cfg: KafkaInputConfig,
    private readonly opts: KafkaSourceOptions,
  ) {
    this.description = `kafka topic ${cfg.topic} (group ${cfg.consumerGroup}, brokers ${cfg.brokers.join(',')})`;
    this.maxPerPart = opts.maxQueuedPerPartition ?? 20_000;
    this.maxBatch = opts.maxBatch ?? 10_000;
    this.holdMs = opts.holdMs ?? 1000;
    this.commitEveryMs = opts.commitIntervalMs ?? 500;
    const inp = opts.input;
    if (inp?.timeField !== undefined) {
      const f = inp.fields.find((x) => x.name === inp.timeField);
      if (f) this.eventTime = eventTimeReader(f.index, inp.sep, inp.timeUnit);
    }
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
    let fromBeginning = cfg.fromBeginning;
    if (!topics.includes(cfg.topic)) {
      this.opts.warn(`waiting for kafka topic '${cfg.topic}' to be created on ${cfg.brokers.join(',')} (Ctrl-C to stop)`);
      if (
        !(await waitForTopic(cfg, {
          warn: this.opts.warn,
          stopping: () => this.closing || this.opts.stopping?.() === true,
          status: (d) => this.setStatus('connecting', d),
        }))
      )
        return;
      fromBeginning = true; // every message of a topic created after the start is new to this run
    }

    this.kafka = createKafka(cfg, {
      warn: this.opts.warn,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
      // connection trouble shows in the status until the next fetch succeeds
      onError: (m) => {
        if (!this.closing && /connect|ECONNREFUSED|ECONNRESET|coordinator|timed? ?out|not available|leader/i.test(m)) this.setStatus('retrying', m);
      },
    });
    const sessionTimeout = this.opts.sessionTimeoutMs ?? 10_000;
    const consumer = this.kafka.consumer({
      groupId: cfg.consumerGroup,
      sessionTimeout,
      // eachBatch never blocks: a member that does not re-join within the session timeout is gone
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
      maxWaitTimeInMs: Math.min(500, Math.max(50, this.opts.pollMs)),
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
    consumer.on(ev.FETCH_START, () => {
      this.rounds++;
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
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        joined,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`could not join consumer group ${cfg.consumerGroup} within ${joinTimeout / 1000} s`)), joinTimeout);
        }),
      ]);
    } catch (e) {
      this.closing = true;
      await consumer.disconnect().catch(() => undefined);
      throw e instanceof Error && e.name === 'KafkaConnectError' ? e : kafkaConnectError(cfg.brokers, what, e);
    } finally {
      clearTimeout(timer);
    }
    if (this.eventTime) await this.readResumeWatermark();
  }

  /** The watermark committed with the offsets of the partitions this process got (the latest of them). */
  private async readResumeWatermark(): Promise<void> {
    const admin = this.kafka!.admin();
    try {
      await admin.connect();
      const r = await admin.fetchOffsets({ groupId: this.cfg.consumerGroup, topics: [this.cfg.topic] });
      for (const p of r[0]?.partitions ?? []) {
        if (!this.assigned.has(p.partition) || !p.metadata) continue;
        try {
          const wm = (JSON.parse(p.metadata) as { watermarkMs?: unknown }).watermarkMs;
          if (typeof wm === 'number' && Number.isFinite(wm) && (this.resumeWatermark === undefined || wm > this.resumeWatermark)) this.resumeWatermark = wm;
        } catch {
          // metadata of another consumer: not ours
        }
      }
    } catch (e) {
      this.opts.warn(`kafka: could not read the committed watermark (${kafkaCause(e)}); rows of windows stored before a crash may be aggregated again`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  resumeWatermarkMs(): number | undefined {
    return this.resumeWatermark;
  }

  async close(): Promise<void> {
    if (this.closing && !this.consumer) return;
    this.closing = true;
    this.wake();
    clearTimeout(this.commitTimer);
    const consumer = this.consumer;
    if (!consumer) return;
    // broker unreachable (retrying, down): a commit or a clean leave cannot succeed, so a stop does not wait long for them
    const reachable = this.state === 'ok' || this.state === 'connecting';
    try {
      await withTimeout(
        (async () => {
          await this.commitInFlight;
          await this.flushCommits();
        })(),
        reachable ? 15_000 : 3000,
        'final offset commit',
      );
    } catch (e) {
      this.opts.warn(`kafka: final offset commit failed (${kafkaCause(e)}); the uncommitted messages are read again next time`);
    }
    await withTimeout(consumer.disconnect(), reachable ? 20_000 : 3000, 'kafka disconnect').catch((e) => this.opts.warn(`kafka: ${kafkaCause(e)}`));
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
    const parts = [...this.assigned].sort((a, b) => a - b);
    const paused = [...this.parts.entries()].filter(([, p]) => p.paused).map(([k]) => k);
    return `group ${this.cfg.consumerGroup}, partitions [${parts.join(', ')}], ${this.totalQueued} queued${paused.length ? `, paused [${paused.join(', ')}] (waiting for the outputs)` : ''}${this.commitFailures ? `, ${this.commitFailures} failed commits` : ''}`;
  }

  status(): ConnectionStatus {
    const detail = this.state === 'ok' ? this.okDetail() : this.detail;
    return { name: `kafka ${this.cfg.topic} @ ${this.cfg.brokers.join(',')}`, status: this.state, detail };
  }

  /** messages fetched and not yet handed to the runner */
  get queued(): number {
    return this.totalQueued;
  }

  /** partitions currently assigned to this process */
  assignment(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  // ---- consumer callbacks --------------------------------------------------------

  private part(p: number): Part {
    let st = this.parts.get(p);
    if (!st) {
      st = { chunks: [], queued: 0, caughtUp: false, seen: false, assignedAt: Date.now(), emptySince: Date.now(), frontier: -Infinity, paused: false };
      this.parts.set(p, st);
    }
    return st;
  }

  private onJoin(partitions: number[]): void {
    const next = new Set(partitions);
    for (const p of this.assigned) {
      if (next.has(p)) continue;
      // revoked: what is queued belongs to the new owner now
      const st = this.parts.get(p);
      if (st) {
        this.totalQueued -= st.queued;
        st.chunks = [];
        st.queued = 0;
        st.fetched = st.delivered;
        st.caughtUp = false;
        st.seen = false;
        st.paused = false;
      }
      this.pendingCommit.delete(p);
    }
    const now = Date.now();
    for (const p of next) {
      const st = this.part(p);
      if (!this.assigned.has(p)) {
        st.assignedAt = now;
        st.emptySince = now;
      }
      // kafkajs forgets pauses across a re-join; pause again what is still full
      if (st.paused || st.queued >= this.maxPerPart) {
        st.paused = true;
        this.consumer?.pause([{ topic: this.cfg.topic, partitions: [p] }]);
      }
    }
    if (this.userPaused && partitions.length) this.consumer?.pause([{ topic: this.cfg.topic, partitions }]);
    this.assigned = next;
    this.joined = true;
    this.setStatus('ok', this.okDetail());
    for (const w of this.joinWaiters.splice(0)) w.resolve();
    this.wake();
  }

  private async onBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    if (this.closing) return;
    const p = batch.partition;
    if (!this.assigned.has(p)) return; // stale batch of a revoked partition
    const st = this.part(p);
    const all = batch.messages;
    // offsets grow within a batch: only a batch starting before `fetched` (a re-fetch) needs a look per message
    let first = 0;
    const from = st.fetched;
    if (from !== undefined && all.length > 0 && BigInt(all[0]!.offset) < from) {
      while (first < all.length && BigInt(all[first]!.offset) < from) first++;
      this.skippedDuplicates += first;
    }
    let msgs = first === 0 ? all : all.slice(first);
    if (msgs.some((m) => m.value === null)) msgs = msgs.filter((m) => m.value !== null); // a tombstone carries no row
    if (msgs.length > 0) {
      st.chunks.push({ msgs, i: 0, round: this.rounds, at: Date.now() });
      st.queued += msgs.length;
      this.totalQueued += msgs.length;
    }
    const last = BigInt(batch.lastOffset());
    if (st.fetched === undefined || last + 1n > st.fetched) st.fetched = last + 1n;
    st.caughtUp = BigInt(batch.highWatermark) <= st.fetched;
    st.seen = true;
    resolveOffset(batch.lastOffset());
    if (st.queued >= this.maxPerPart && !st.paused) {
      st.paused = true;
      this.consumer?.pause([{ topic: this.cfg.topic, partitions: [p] }]);
    }
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
    const deadline = Date.now() + this.opts.pollMs;
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.closing) return null;
      const b = this.userPaused ? undefined : this.take();
      if (b) return b;
      const left = deadline - Date.now();
      if (left <= 0) return EMPTY;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, this.eventTime ? 50 : left));
        this.wakeup = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** the next batch to hand on, or undefined when nothing may go yet */
  private take(): LineBatch | undefined {
    if (this.totalQueued === 0) return undefined;
    return this.eventTime && this.assigned.size > 1 ? this.takeMerged() : this.takeRoundRobin();
  }

  private takeRoundRobin(): LineBatch | undefined {
    const ids = [...this.assigned].filter((p) => (this.parts.get(p)?.queued ?? 0) > 0).sort((a, b) => a - b);
    if (ids.length === 0) return undefined;
    const p = ids[this.rr++ % ids.length]!;
    return this.emit(p, this.parts.get(p)!, Infinity);
  }

  /**
   * Event time: the partition with the oldest head, up to the oldest time another partition may
   * still deliver. A partition with nothing queued holds the others back (at most holdMs): until
   * the fetch after the one that brought the head has been queued (a burst of new rows reaches the
   * partitions one batch after the other), and longer while it is known to lag or has not had its
   * first batch yet.
   */
  private headTime(st: Part): number {
    const c = st.chunks[0]!;
    if (!c.times) {
      // computed when first needed: a single partition never needs them
      const times = new Float64Array(c.msgs.length);
      for (let i = 0; i < c.msgs.length; i++) {
        const v = c.msgs[i]!.value!;
        times[i] = this.eventTime!(v, 0, v.length);
      }
      c.times = times;
    }
    return c.times[c.i]!;
  }

  private takeMerged(): LineBatch | undefined {
    const now = Date.now();
    let best = -1;
    let bestT = Infinity;
    for (const p of this.assigned) {
      const st = this.parts.get(p);
      if (!st || st.queued === 0) continue;
      const t = this.headTime(st);
      if (best < 0 || t < bestT) {
        best = p;
        bestT = t;
      }
    }
    if (best < 0) return undefined;
    const head = this.parts.get(best)!.chunks[0]!;
    const settled = this.rounds >= head.round + 2 || now - head.at > this.holdMs;
    let limit = Infinity;
    for (const p of this.assigned) {
      if (p === best) continue;
      const st = this.parts.get(p)!;
      let t: number;
      if (st.queued > 0) t = this.headTime(st);
      else if (!settled) t = st.frontier;
      else if (!st.seen) t = now - st.assignedAt > this.holdMs ? Infinity : st.frontier;
      else if (!st.caughtUp) t = now - st.emptySince > this.holdMs ? Infinity : st.frontier;
      else t = Infinity;
      if (t < limit) limit = t;
    }
    if (bestT > limit) return undefined; // wait for the other partition (bounded by holdMs)
    return this.emit(best, this.parts.get(best)!, limit);
  }

  /** Hands on messages of one partition (one chunk at most), with times ≤ limit in merge mode. */
  private emit(p: number, st: Part, limit: number): LineBatch {
    const c = st.chunks[0]!;
    const start = c.i;
    let end = Math.min(c.msgs.length, start + this.maxBatch);
    if (c.times && limit !== Infinity) {
      let k = start + 1;
      while (k < end && c.times[k]! <= limit) k++;
      end = k;
    }
    c.i = end;
    if (c.times) st.frontier = Math.max(st.frontier, c.times[end - 1]!);
    if (c.i >= c.msgs.length) st.chunks.shift();
    const n = end - start;
    st.queued -= n;
    this.totalQueued -= n;
    if (st.queued === 0) st.emptySince = Date.now();
    if (st.paused && st.queued <= this.maxPerPart / 2 && !this.userPaused) {
      st.paused = false;
      this.consumer?.resume([{ topic: this.cfg.topic, partitions: [p] }]);
    }
    const lastOff = BigInt(c.msgs[end - 1]!.offset) + 1n;
    if (st.delivered === undefined || lastOff > st.delivered) st.delivered = lastOff;
    return buildBatch(this.cfg.topic, p, c.msgs, start, end);
  }

  progress(): number | null {
    return null;
  }

  pause(): void {
    this.userPaused = true;
    if (this.assigned.size) this.consumer?.pause([{ topic: this.cfg.topic, partitions: [...this.assigned] }]);
  }

  resume(): void {
    this.userPaused = false;
    const parts = [...this.assigned].filter((p) => !this.parts.get(p)?.paused);
    if (parts.length) this.consumer?.resume([{ topic: this.cfg.topic, partitions: parts }]);
    this.wake();
  }

  // ---- commits (15.5) ----------------------------------------------------------------

  async commit(safe: Map<number, string>, meta?: { watermarkMs?: number }): Promise<void> {
    if (meta?.watermarkMs !== undefined && Number.isFinite(meta.watermarkMs)) this.commitWatermark = meta.watermarkMs;
    for (const [p, off] of safe) {
      if (!this.assigned.has(p)) continue; // revoked: the new owner commits it
      const o = BigInt(off);
      const done = this.committed.get(p);
      if (done !== undefined && o <= done) continue;
      this.pendingCommit.set(p, off);
    }
    if (this.pendingCommit.size === 0 || this.commitInFlight || this.commitTimer || this.closing) return;
    const wait = this.lastCommitAt + this.commitEveryMs - Date.now();
    if (wait > 0) {
      this.commitTimer = setTimeout(() => {
        this.commitTimer = undefined;
        this.startCommit();
      }, wait);
      this.commitTimer.unref?.();
    } else this.startCommit();
  }

  private startCommit(): void {
    if (this.commitInFlight || this.pendingCommit.size === 0) return;
    this.commitInFlight = this.flushCommits()
      .catch((e) => {
        this.commitFailures++;
        if (!this.closing) this.opts.warn(`kafka: offset commit failed (${kafkaCause(e)}); retried with the next one`);
      })
      .finally(() => {
        this.commitInFlight = undefined;
        if (this.pendingCommit.size > 0 && !this.closing) void this.commit(new Map());
      });
  }

  private async flushCommits(): Promise<void> {
    if (this.pendingCommit.size === 0 || !this.consumer) return;
    const batch = [...this.pendingCommit.entries()].filter(([p]) => this.assigned.has(p));
    this.pendingCommit.clear();
    this.lastCommitAt = Date.now();
    if (batch.length === 0) return;
    // the event-time watermark goes along: a restart resumes from it (rows of windows stored before are late)
    const metadata = this.commitWatermark !== undefined ? JSON.stringify({ watermarkMs: this.commitWatermark }) : null;
    try {
      await this.consumer.commitOffsets(batch.map(([partition, offset]) => ({ topic: this.cfg.topic, partition, offset, metadata })));
    } catch (e) {
      // keep them for the next attempt unless newer ones arrived meanwhile
      for (const [p, off] of batch) if (!this.pendingCommit.has(p)) this.pendingCommit.set(p, off);
      throw e;
    }
    for (const [p, off] of batch) this.committed.set(p, BigInt(off));
  }
}

const EMPTY: LineBatch = { count: 0, text: () => '', position: () => ({ source: '' }) };

/**
 * The lines of messages [start, end) of one partition as byte ranges: of the
 * fetch response buffer when every value is a view of it (no copy), else of
 * one concatenated buffer. A value holding several lines yields several rows
 * with the same offset; trailing newlines are dropped; an empty value is one
 * empty row (a row error, dead-lettered with its offset).
 */
export function buildBatch(topic: string, partition: number, msgs: KafkaMessage[], start: number, end: number): LineBatch {
  const n = end - start;
  const first = msgs[start]!.value!;
  let shared = true;
  for (let i = start + 1; i < end; i++) {
    if (msgs[i]!.value!.buffer !== first.buffer) {
      shared = false;
      break;
    }
  }
  let buf: Buffer;
  const base = new Int32Array(n);
  if (shared) {
    buf = Buffer.from(first.buffer, 0, first.buffer.byteLength);
    for (let i = 0; i < n; i++) base[i] = msgs[start + i]!.value!.byteOffset;
  } else {
    let total = 0;
    for (let i = start; i < end; i++) total += msgs[i]!.value!.length;
    buf = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const v = msgs[start + i]!.value!;
      v.copy(buf, at);
      base[i] = at;
      at += v.length;
    }
  }
  let starts = new Int32Array(n);
  let ends = new Int32Array(n);
  let offsets: string[] = new Array(n);
  let count = 0;
  const push = (s: number, e: number, offset: string) => {
    if (count === starts.length) {
      const grow = (a: Int32Array) => {
        const x = new Int32Array(a.length * 2);
        x.set(a);
        return x;
      };
      starts = grow(starts);
      ends = grow(ends);
      offsets = offsets.concat(new Array<string>(offsets.length));
    }
    starts[count] = s;
    ends[count] = e;
    offsets[count] = offset;
    count++;
  };
  let nextNl = -2;
  let prevStart = -1;
  for (let i = 0; i < n; i++) {
    const m = msgs[start + i]!;
    const s0 = base[i]!;
    let e = s0 + m.value!.length;
    while (e > s0 && (buf[e - 1] === NL || buf[e - 1] === CR)) e--;
    // one native search serves many values: the next newline found is kept until passed
    if (s0 < prevStart || (nextNl !== -1 && nextNl < s0)) nextNl = buf.indexOf(NL, s0);
    prevStart = s0;
    if (nextNl === -1 || nextNl >= e) {
      push(s0, e, m.offset); // the usual case: one line
      continue;
    }
    let s = s0;
    let k = nextNl;
    for (;;) {
      let le = k;
      if (le > s && buf[le - 1] === CR) le--;
      if (le > s) push(s, le, m.offset);
      if (k >= e) break;
      s = k + 1;
      k = s;
      while (k < e && buf[k] !== NL) k++;
    }
  }
  const source = topic;
  return {
    count,
    buf,
    starts,
    ends,
    partition,
    offsets,
    text: (i) => bytesText(buf, starts[i]!, ends[i]!),
    bytes: (i) => Uint8Array.prototype.slice.call(buf, starts[i]!, ends[i]!),
    position: (i): SourcePosition => ({ source, partition, offset: offsets[i] }),
  };
}

/** Reads the event time (epoch ms) of a line: field `index` split on `sep`; -Infinity when unreadable. */
export function eventTimeReader(index: number, sep: string, unit: 's' | 'ms' | 'us' | 'ns'): (b: Uint8Array, s: number, e: number) => number {
  const mul = unit === 's' ? 1000 : unit === 'ms' ? 1 : unit === 'us' ? 1 / 1000 : 1 / 1_000_000;
  const sepBytes = Buffer.from(sep, 'utf8');
  const toMs = (text: string | undefined) => {
    const v = text === undefined ? NaN : Number(text.trim());
    return Number.isFinite(v) && text!.trim() !== '' ? v * mul : -Infinity;
  };
  if (sepBytes.length !== 1) return (b, s, e) => toMs(bytesText(b, s, e).split(/\r?\n/)[0]!.split(sep)[index]);
  const one = sepBytes[0]!;
  return (b, s, e) => {
    let fs = s;
    for (let k = 0; k < index; k++) {
      while (fs < e && b[fs] !== one && b[fs] !== NL) fs++;
      if (fs >= e || b[fs] === NL) return -Infinity;
      fs++;
    }
    let fe = fs;
    while (fe < e && b[fe] !== one && b[fe] !== NL && b[fe] !== CR) fe++;
    // plain decimal digits (the usual epoch value) without a string
    let i = fs;
    const neg = b[i] === 45;
    if (neg) i++;
    let v = 0;
    let digits = 0;
    let scale = 1;
    let dot = false;
    for (; i < fe; i++) {
      const c = b[i]!;
      if (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        digits++;
        if (dot) scale *= 10;
      } else if (c === 46 && !dot) dot = true;
      else return toMs(bytesText(b, fs, fe));
    }
    if (digits === 0 || digits > 15) return toMs(bytesText(b, fs, fe));
    return ((neg ? -v : v) / scale) * mul;
  };
}

/**
 * Polls the brokers until `topic` exists with a leader for every partition (true), or the run is
 * stopped (false). Brokers that stop answering meanwhile are waited for too (a throttled warning).
 */
async function waitForTopic(cfg: KafkaInputConfig, o: { warn(m: string): void; stopping(): boolean; status(detail: string): void }): Promise<boolean> {
  const kafka = createKafka(cfg, { warn: o.warn, level: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const throttle = new Throttle(o.warn, 30_000);
  let delay = 250;
  let connected = false;
  try {
    while (!o.stopping()) {
      try {
        if (!connected) {
          await admin.connect();
          connected = true;
        }
        if ((await admin.listTopics()).includes(cfg.topic)) {
          const meta = await admin.fetchTopicMetadata({ topics: [cfg.topic] });
          const parts = meta.topics[0]?.partitions ?? [];
          if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return true;
        }
        o.status(`waiting for topic ${cfg.topic}`);
      } catch (e) {
        connected = false;
        await admin.disconnect().catch(() => undefined);
        o.status(`waiting for topic ${cfg.topic}: ${kafkaCause(e)}`);
        throttle.say('unreachable', `kafka: still waiting for topic '${cfg.topic}': ${kafkaCause(e)}`);
      }
      // short sleeps so a stop is seen quickly
      for (const end = Date.now() + delay; Date.now() < end && !o.stopping(); ) await realSleep(Math.min(100, end - Date.now()));
      delay = Math.min(2000, delay * 1.5);
    }
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}
