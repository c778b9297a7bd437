// Alert delivery (docs/alerts.md#delivery): a failing sink is retried with backoff on the injected clock while the window waits,
// nothing is dropped while the run is alive, a failure retrying cannot help is counted for that sink, and a stop during an
// outage fails the run naming the sink.
import { describe, expect, it } from 'vitest';
import { AlertDelivery } from '../../../engine/analysis/delivery.js';
import type { Alert, AlertSink } from '../../../engine/components/types.js';
import { VirtualClock } from '../../../engine/core/clock.js';
import { referenceAlert } from '../components/alerts/fixtures.js';

const alert = (field: string): Alert =>
  referenceAlert({
    module: 'R',
    timeMs: 10_000,
    key: [1],
    keyFields: ['sid'],
    keyTypes: ['LongType'],
    field,
    value: 5,
    valueType: 'DoubleType',
    lowerBound: 0,
    upperBound: 1,
  });

/** A sink whose next `failures` deliveries fail with `error`. */
class FlakySink implements AlertSink {
  readonly description = 'flaky';
  readonly target = 'flaky @ 127.0.0.1:1';
  received: Alert[][] = [];
  attempts = 0;
  constructor(
    public failures: number,
    private readonly error = new Error('connection refused'),
    private readonly fatal = false,
  ) {}
  async open(): Promise<void> {}
  async deliver(alerts: readonly Alert[]): Promise<void> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw this.error;
    }
    this.received.push([...alerts]);
  }
  retriable(): boolean {
    return !this.fatal;
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(sinks: AlertSink[], stopping = () => false) {
  const clock = new VirtualClock(0);
  const warnings: string[] = [];
  const failed: { sink: string; alerts: readonly Alert[] }[] = [];
  const delivery = new AlertDelivery(sinks, {
    clock,
    warn: (m) => warnings.push(m),
    stopping,
    onFailed: (sink, alerts) => failed.push({ sink, alerts }),
    backoff: { minMs: 1000, maxMs: 8000, jitter: 0 },
  });
  return { clock, warnings, failed, delivery };
}

describe('alert delivery', () => {
  it('retries a failing sink with backoff until it takes the alerts; the other sinks get them once', async () => {
    const flaky = new FlakySink(3);
    const steady = new FlakySink(0);
    const { clock, warnings, delivery } = setup([flaky, steady]);
    let done = false;
    const p = delivery.deliver([alert('a'), alert('b')], 10_000).then(() => (done = true));
    await settle(); // the first attempt fails and its backoff starts at t = 0
    await clock.advance(999);
    expect(done).toBe(false);
    expect(flaky.attempts).toBe(1);
    // backoff 1 s, 2 s, 4 s: delivered after 7 s
    await clock.advance(7000 - 999 - 1);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(flaky.received.map((b) => b.map((a) => a.field))).toEqual([['a', 'b']]);
    expect(steady.received).toHaveLength(1);
    expect(delivery.stats()).toEqual([
      { sink: 'flaky @ 127.0.0.1:1', delivered: 2, failed: 0, retries: 3 },
      { sink: 'flaky @ 127.0.0.1:1', delivered: 2, failed: 0, retries: 0 },
    ]);
    expect(warnings[0]).toMatch(
      /^alert sink flaky @ 127\.0\.0\.1:1: delivering 2 alert\(s\) of the window ending 1970-01-01T00:00:10\.000Z failed: connection refused; retry 1 in 1\.0 s/,
    );
    expect(warnings.at(-1)).toBe('alert sink flaky @ 127.0.0.1:1: delivering again');
  });

  it('a failure retrying cannot help is counted as failed for that sink, kept, and the run goes on', async () => {
    const fatal = new FlakySink(1, new Error('message too large'), true);
    const { warnings, failed, delivery } = setup([fatal]);
    await delivery.deliver([alert('a')], 10_000);
    await delivery.deliver([alert('b')], 20_000);
    expect(delivery.stats()).toEqual([{ sink: 'flaky @ 127.0.0.1:1', delivered: 1, failed: 1, retries: 0 }]);
    expect(failed.map((f) => f.alerts.map((a) => a.field))).toEqual([['a']]);
    expect(warnings).toEqual(['alert sink flaky @ 127.0.0.1:1: 1 alert(s) of the window ending 1970-01-01T00:00:10.000Z not delivered: message too large']);
  });

  it('a stop during an outage fails the delivery naming the sink, never claiming the alerts', async () => {
    let stopping = false;
    const down = new FlakySink(Number.POSITIVE_INFINITY);
    const { clock, delivery } = setup([down], () => stopping);
    const p = delivery.deliver([alert('a')], 10_000);
    await settle();
    const outcome = p.then(
      () => 'delivered',
      (e: Error) => e.message,
    );
    await clock.advance(3000);
    stopping = true;
    await clock.advance(8000);
    expect(await outcome).toBe(
      'alert sink flaky @ 127.0.0.1:1: 1 alert(s) of the window ending 1970-01-01T00:00:10.000Z not delivered: the run was stopped while retrying (connection refused)',
    );
    expect(delivery.stats()[0]).toMatchObject({ delivered: 0, failed: 1 });
  });
});
