/**
 * Delivery of alerts to their sinks as reliably as windows to their outputs (docs/alerts.md#delivery):
 * the alerts of a window go to every sink at once; a sink that fails is retried with backoff
 * for as long as the run is alive, and since the runner awaits the delivery, the input waits
 * meanwhile (back-pressure) and the window's offsets stay uncommitted. Only a failure retrying
 * cannot help (a message too large, a topic not authorised) gives up on those alerts: they are
 * counted as failed for that sink, named in a warning and handed to `onFailed` (the dead
 * letters). A stop during an outage ends the run as failed, naming the sink.
 */
import type { Alert, AlertSink } from '../components/types.js';
import type { Clock } from '../core/clock.js';
import type { ConnectionStatus } from '../core/connection.js';
import { EngineError } from '../core/errors.js';
import { Throttle, withRetries, type BackoffOptions } from '../connectors/backoff.js';

/** Per sink: what the summary says (docs/alerts.md#summary). */
export interface SinkDeliveryStats {
  /** the sink and its server */
  sink: string;
  delivered: number;
  failed: number;
  retries: number;
}

export interface DeliveryOptions {
  clock: Clock;
  warn(message: string): void;
  /** true once the run is being stopped: a sink retrying gives up instead of holding up the stop */
  stopping(): boolean;
  /** alerts a sink could not take and retrying cannot help with */
  onFailed?(sink: string, alerts: readonly Alert[], reason: string): void;
  /** tests: shorter waits, no jitter */
  backoff?: Pick<BackoffOptions, 'minMs' | 'maxMs' | 'jitter' | 'random'>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const cause = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

class SinkChannel {
  readonly stats: SinkDeliveryStats;
  /** while retrying: what went wrong, for the connection status */
  private trouble: string | undefined;

  constructor(
    readonly sink: AlertSink,
    private readonly o: DeliveryOptions,
    private readonly throttle: Throttle,
  ) {
    this.stats = { sink: sink.target, delivered: 0, failed: 0, retries: 0 };
  }

  /** a backoff wait that ends early when the run is being stopped */
  private readonly pause = async (ms: number): Promise<void> => {
    const end = this.o.clock.now() + ms;
    for (let left = ms; left > 0 && !this.o.stopping(); left = end - this.o.clock.now()) await this.o.clock.sleep(Math.min(left, 100));
  };

  async deliver(alerts: readonly Alert[], windowEnd: number): Promise<void> {
    const target = this.sink.target;
    try {
      await withRetries(() => this.sink.deliver(alerts), {
        maxRetries: Number.POSITIVE_INFINITY,
        retriable: (e) => this.sink.retriable?.(e) ?? true,
        aborted: () => this.o.stopping(),
        sleep: this.pause,
        ...this.o.backoff,
        onRetry: (n, ms, e) => {
          this.stats.retries++;
          this.trouble = `${cause(e)}; retry ${n} in ${(ms / 1000).toFixed(1)} s (input paused)`;
          this.throttle.say(
            target,
            `alert sink ${target}: delivering ${alerts.length} alert(s) of the window ending ${iso(windowEnd)} failed: ${this.trouble}`,
          );
        },
      });
    } catch (e) {
      this.stats.failed += alerts.length;
      const retriable = this.sink.retriable?.(e) ?? true;
      if (retriable && this.o.stopping()) {
        this.trouble = cause(e);
        throw new EngineError(
          'AlertDeliveryError',
          `alert sink ${target}: ${alerts.length} alert(s) of the window ending ${iso(windowEnd)} not delivered: the run was stopped while retrying (${cause(e)})`,
        );
      }
      // retrying cannot help: these alerts are given up on, loudly, and the run goes on
      const reason = `alert sink ${target}: ${alerts.length} alert(s) of the window ending ${iso(windowEnd)} not delivered: ${cause(e)}`;
      this.o.warn(reason);
      this.o.onFailed?.(target, alerts, reason);
      return;
    }
    if (this.trouble !== undefined) this.o.warn(`alert sink ${target}: delivering again`);
    this.trouble = undefined;
    this.stats.delivered += alerts.length;
  }

  status(): ConnectionStatus | undefined {
    const own = this.sink.status?.();
    if (this.trouble !== undefined) return { name: own?.name ?? `alerts ${this.sink.target}`, status: 'retrying', detail: this.trouble };
    return own;
  }
}

export class AlertDelivery {
  private readonly channels: SinkChannel[];

  constructor(sinks: readonly AlertSink[], o: DeliveryOptions) {
    const throttle = new Throttle(o.warn, 10_000, () => o.clock.now());
    this.channels = sinks.map((s) => new SinkChannel(s, o, throttle));
  }

  async open(): Promise<void> {
    for (const c of this.channels) await c.sink.open();
  }

  /** Delivers the alerts of the window ending `windowEnd` to every sink; resolves once each has them (or gave up on them for good). */
  async deliver(alerts: readonly Alert[], windowEnd: number): Promise<void> {
    if (alerts.length === 0) return;
    // one sink (the usual case): its outcome is the delivery's, with no settling of a list of promises per window
    if (this.channels.length === 1) return this.channels[0]!.deliver(alerts, windowEnd);
    const outcomes = await Promise.allSettled(this.channels.map((c) => c.deliver(alerts, windowEnd)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  stats(): SinkDeliveryStats[] {
    return this.channels.map((c) => ({ ...c.stats }));
  }

  statuses(): ConnectionStatus[] {
    return this.channels.flatMap((c) => {
      const s = c.status();
      return s ? [s] : [];
    });
  }

  async close(): Promise<void> {
    const errors: string[] = [];
    for (const c of this.channels) {
      try {
        await c.sink.close();
      } catch (e) {
        errors.push(`alert sink ${c.sink.target}: ${cause(e)}`);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  }
}
