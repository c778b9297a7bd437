// docs/semantics.md#commit-after-outputs with a committable source (what the Kafka source does with the runner): offsets are
// committed per partition only up to the first row of a window no output has confirmed yet;
// under event time a stop or the end of a bounded read leaves the windows it flushes early uncommitted (they are read again),
// under processing time a stop commits everything it flushed. A scripted in-memory source
// stands in for the broker here; test/integration/kafka-live.test.ts does it for real.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../../engine/pipeline/runner.js';
import type { LineBatch, Source } from '../../../engine/components/types.js';
import { stringBatch } from '../../../engine/components/types.js';
import { VirtualClock } from '../../../engine/core/clock.js';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import { makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();
const T0 = 1523800000;
const row = (dt: number, sid = 1) => `${T0 + dt},${sid},seal.t1,250,516,1000,500`;

/** one partition's lines from offset `first` on; or, merged (`rows`), each line with its own partition and offset */
type Step =
  | { partition: number; first: number; lines: string[]; advanceMs?: number }
  | { rows: [partition: number, offset: number, line: string][]; advanceMs?: number };

class ScriptedKafka implements Source {
  readonly description = 'scripted kafka';
  readonly committable = true;
  commits: Record<number, string>[] = [];
  watermarks: (number | undefined)[] = [];
  resumeAt: number | undefined;
  resumeWatermarkMs(): number | undefined {
    return this.resumeAt;
  }
  constructor(
    private readonly steps: Step[],
    private readonly end: 'finite' | (() => void),
    private readonly clock?: VirtualClock,
  ) {}
  async open(): Promise<void> {}
  async next(): Promise<LineBatch | null> {
    const s = this.steps.shift();
    if (!s) {
      if (this.end === 'finite') return null;
      this.end();
      return new Promise(() => undefined); // an idle topic: only a stop ends the wait
    }
    if (s.advanceMs) await this.clock!.advance(s.advanceMs);
    if ('rows' in s) {
      const offsets = s.rows.map((r) => String(r[1]));
      const partitions = Int32Array.from(s.rows, (r) => r[0]);
      const lines = s.rows.map((r) => r[2]);
      return stringBatch(lines, (i) => ({ source: 'topic', partition: partitions[i], offset: offsets[i] }), { partitions, offsets });
    }
    const offsets = s.lines.map((_, i) => String(s.first + i));
    return stringBatch(s.lines, (i) => ({ source: 'topic', partition: s.partition, offset: offsets[i] }), { partition: s.partition, offsets });
  }
  progress(): number | null {
    return null;
  }
  async commit(safe: Map<number, string>, meta?: { watermarkMs?: number }): Promise<void> {
    this.commits.push(Object.fromEntries(safe));
    this.watermarks.push(meta?.watermarkMs);
  }
  async close(): Promise<void> {}
}

async function plan(options: Record<string, unknown>) {
  const dir = tmp();
  writeFiles(dir, {
    'config.json': makeConfig({
      inputType: 'kafka',
      transformation: ['sensor_id', 'n: one(timestamp)'],
      rule: ['key: sensor_id', 'sum(n)'],
      options: { brokers: ['localhost:9092'], topic: 't', consumer_group: 'g', batchDuration: 10, ...options },
      outputs: [{ method: 'sqlite', options: { path: 'store.db' } }],
    }),
    'ds.json': structure(SENSOR_SPEC),
  });
  const outcome = await checkConfig(path.join(dir, 'config.json'));
  expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return outcome.plan!;
}

describe('offset commits (15.5)', () => {
  it('event time: up to the first row of the oldest open window, per partition; bad rows do not hold commits back', async () => {
    const p = await plan({ time_field: 'timestamp' });
    const source = new ScriptedKafka(
      [
        { partition: 0, first: 100, lines: [row(1), row(2), 'garbage', row(11)] }, // window 0 closes at row(11)
        { partition: 1, first: 7, lines: [row(12), row(13)] },
        { partition: 0, first: 104, lines: [row(14), row(21)] }, // window 10 closes
        { partition: 1, first: 9, lines: [row(22), 'bad', row(23)] },
      ],
      'finite',
    );
    const stats = await new Runner(p, { source, warn: () => undefined }).run();
    expect(stats.rowErrors).toBe(2);
    expect(source.commits).toEqual([
      { 0: '103' }, // 100–102 in the closed window [0, 10), row(11) at 103 opens [10, 20)
      { 0: '103', 1: '7' },
      { 0: '105', 1: '9' }, // [10, 20) closed: 105 (row(21)) is the first row of [20, 30); partition 1 had only rows of [10, 20)
      { 0: '105', 1: '9' }, // 9 (row(22)) opens [20, 30) on partition 1
      // the end of a topic's bounded read (--until-end) flushes the open windows early, as a stop does: their rows
      // stay uncommitted, so the next run reads them again and completes those windows (docs/live.md#until-end)
      { 0: '105', 1: '9' },
    ]);
  });

  it('event time: a batch merged from several partitions commits each partition up to its first row of the oldest open window', async () => {
    const p = await plan({ time_field: 'timestamp' });
    const source = new ScriptedKafka(
      [
        {
          rows: [
            [0, 100, row(1)],
            [1, 7, row(2)],
            [0, 101, row(3)], // partition 0 is back in window [0, 10): nothing new to track
            [1, 8, row(11)], // opens [10, 20) on partition 1 and closes [0, 10)
            [0, 102, 'garbage'],
            [0, 103, row(12)], // partition 0's first row of [10, 20)
          ],
        },
        {
          rows: [
            [1, 9, row(21)], // closes [10, 20)
            [0, 104, row(22)],
            [1, 10, 'bad'],
          ],
        },
      ],
      'finite',
    );
    const stats = await new Runner(p, { source, warn: () => undefined }).run();
    expect(stats.rowErrors).toBe(2);
    expect(source.commits).toEqual([
      { 0: '103', 1: '8' },
      { 0: '104', 1: '9' },
      { 0: '104', 1: '9' }, // the end of the bounded read: the windows it flushes early stay uncommitted
    ]);
  });

  it('event time: a stop flushes the open windows but commits only what precedes them, so they are read again', async () => {
    const p = await plan({ time_field: 'timestamp' });
    let runner!: Runner;
    const source = new ScriptedKafka(
      [
        { partition: 0, first: 0, lines: [row(1), row(2), row(11), row(12)] },
        { partition: 1, first: 50, lines: [row(13)] },
      ],
      () => runner.stop(),
    );
    const windows: number[] = [];
    runner = new Runner(p, { source, warn: () => undefined, onWindow: (w) => windows.push(w.groups.length) });
    await runner.run();
    expect(windows).toEqual([1, 1]); // [10, 20) flushed early by the stop
    expect(source.commits.at(-1)).toEqual({ 0: '2', 1: '50' });
  });

  it('processing time: a stop commits every row it flushed (read again, they would land in other windows)', async () => {
    const p = await plan({});
    const clock = new VirtualClock(1_000_000_000);
    let runner!: Runner;
    const source = new ScriptedKafka(
      [
        { partition: 0, first: 0, lines: [row(0), row(0)], advanceMs: 1000 },
        { partition: 0, first: 2, lines: [row(0)], advanceMs: 12_000 }, // the first window closed before this batch
        { partition: 1, first: 30, lines: [row(0)], advanceMs: 1000 },
      ],
      () => runner.stop(),
      clock,
    );
    runner = new Runner(p, { source, clock, warn: () => undefined });
    await runner.run();
    expect(source.commits[0]).toEqual({ 0: '0' });
    expect(source.commits.at(-1)).toEqual({ 0: '3', 1: '31' });
  });

  it('event time: the watermark goes with every commit; a restarted run resumes from it (rows of windows stored before are late)', async () => {
    const p = await plan({ time_field: 'timestamp' });
    const first = new ScriptedKafka([{ partition: 0, first: 0, lines: [row(1), row(12), row(25)] }], 'finite');
    await new Runner(p, { source: first, warn: () => undefined }).run();
    expect(first.watermarks).toEqual([(T0 + 25) * 1000, (T0 + 25) * 1000]);
    const again = new ScriptedKafka([{ partition: 0, first: 1, lines: [row(12), row(25), row(5)] }], 'finite');
    again.resumeAt = (T0 + 21) * 1000; // [10, 20) was stored before the restart
    const late: string[] = [];
    const stats = await new Runner(p, { source: again, warn: () => undefined, onRowError: (d) => late.push(`${d.reason}@${d.position.offset}`) }).run();
    expect(late).toEqual(['late@1', 'late@3']);
    expect(stats.windowsClosed).toBe(1);
  });

  it('processing time: no watermark is committed', async () => {
    const p = await plan({});
    const clock = new VirtualClock(1_000_000_000);
    const source = new ScriptedKafka([{ partition: 0, first: 0, lines: [row(0)], advanceMs: 1000 }], 'finite', clock);
    await new Runner(p, { source, clock, warn: () => undefined }).run();
    expect(source.watermarks.every((w) => w === undefined)).toBe(true);
  });
});
