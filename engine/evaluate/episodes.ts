/**
 * Alert episodes (docs/backtest.md#episodes): what a backtest scores. An episode is one stretch of
 * trouble of one (rule, key, field): the windows in deviation from the one that opened it to the
 * last one before it ended. Alerts are fed window by window, in time order.
 */
import type { FieldType, Value } from '../core/types.js';
import type { ClosedWindow } from '../core/window.js';
import type { Alert } from '../components/types.js';
import { keyString } from '../analysis/history-recent.js';
import { isoUtc } from '../core/time.js';
import { keyText } from './labels.js';

export interface Episode {
  /** stable: rule, key, field and the start of the window that opened it */
  id: string;
  rule: string;
  key: Value[] | null;
  keyTypes: FieldType[];
  field: string;
  /** start of the first window in deviation, epoch ms */
  startMs: number;
  /** end of the last window in deviation (exclusive), epoch ms */
  endMs: number;
  /** end of the window whose alert was the first notification */
  firedAtMs: number;
  /** alert events that belong to it */
  alerts: number;
}

/** Groups a replay's alerts into episodes, per rule. */
export class EpisodeTracker {
  private readonly open = new Map<string, Episode>();
  private readonly done: Episode[] = [];
  /** alert events observed */
  alerts = 0;

  /** the alerts raised on window `w` (after the alerts of every earlier window) */
  observe(w: ClosedWindow, alerts: readonly Alert[]): void {
    this.alerts += alerts.length;
    for (const a of alerts) {
      const k = `${a.module}\u0000${keyString(a.key)}\u0000${a.field}`;
      const ep = this.open.get(k);
      // without a lifecycle every deviating window alerts: consecutive windows are one episode
      if (ep && ep.endMs >= w.startMs) {
        ep.endMs = Math.max(ep.endMs, w.endMs);
        ep.alerts++;
        continue;
      }
      if (ep) this.done.push(ep);
      const startMs = w.startMs;
      this.open.set(k, {
        id: `${a.module}/${keyText(a.key, a.keyTypes)}/${a.field}/${isoUtc(startMs)}`,
        rule: a.module,
        key: a.key,
        keyTypes: a.keyTypes,
        field: a.field,
        startMs,
        endMs: w.endMs,
        firedAtMs: w.endMs,
        alerts: 1,
      });
    }
    // an episode that did not go on in this window has ended
    for (const [k, ep] of this.open) {
      if (ep.endMs < w.startMs) {
        this.done.push(ep);
        this.open.delete(k);
      }
    }
  }

  /** every episode, ended or still open at the end of the input, in order of start */
  episodes(): Episode[] {
    return [...this.done, ...this.open.values()].sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
  }
}
