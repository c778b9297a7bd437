/**
 * Alert episodes (docs/backtest.md#episodes): what a backtest scores. An episode is one stretch of
 * trouble of one (rule, key, field): the windows in deviation from the one that opened it to the
 * last one before it ended. Alerts are fed window by window, in time order. Without lifecycle
 * options an episode is a run of consecutive alerting windows; with them, it is what its alert_id
 * names (docs/alerts.md#alert-id).
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
  private readonly byAlertId = new Map<string, Episode>();
  /** alert events observed */
  alerts = 0;

  /** the alerts raised on window `w` (after the alerts of every earlier window) */
  observe(w: ClosedWindow, alerts: readonly Alert[]): void {
    this.alerts += alerts.length;
    for (const a of alerts) {
      if (a.lifecycle) {
        this.observeLifecycle(w, a);
        continue;
      }
      const k = `${a.module}\u0000${keyString(a.key)}\u0000${a.field}`;
      const ep = this.open.get(k);
      // without a lifecycle every deviating window alerts: consecutive windows are one episode
      if (ep && ep.endMs >= w.startMs) {
        ep.endMs = Math.max(ep.endMs, w.endMs);
        ep.alerts++;
        continue;
      }
      if (ep) this.done.push(ep);
      this.open.set(k, episodeOf(a, w.startMs, w.endMs, w.endMs));
    }
    // an episode that did not go on in this window has ended
    for (const [k, ep] of this.open) {
      if (ep.endMs < w.startMs) {
        this.done.push(ep);
        this.open.delete(k);
      }
    }
  }

  /**
   * A rule with lifecycle options names its episode in every event (alert_id), and with notify
   * "transitions" sends only its firing and resolved events: windows between them are in the
   * episode although no event was sent for them, so consecutive windows cannot be what groups them.
   */
  private observeLifecycle(w: ClosedWindow, a: Alert): void {
    const ep = this.byAlertId.get(a.alertId);
    if (!ep) {
      const startMs = a.episodeStartMs - (w.endMs - w.startMs);
      // first seen resolved (a window that fired and recovered at once): it fired when it began
      const resolved = a.state === 'resolved';
      this.byAlertId.set(a.alertId, episodeOf(a, startMs, resolved ? Math.max(w.startMs, a.episodeStartMs) : w.endMs, resolved ? a.episodeStartMs : w.endMs));
      return;
    }
    ep.alerts++;
    // resolved: the windows that brought it back to normal are not trouble any more
    ep.endMs = a.state === 'resolved' ? Math.max(ep.endMs, w.startMs) : Math.max(ep.endMs, w.endMs);
  }

  /** every episode, ended or still open at the end of the input, in order of start */
  episodes(): Episode[] {
    return [...this.done, ...this.open.values(), ...this.byAlertId.values()].sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
  }
}

function episodeOf(a: Alert, startMs: number, endMs: number, firedAtMs: number): Episode {
  const id = `${a.module}/${keyText(a.key, a.keyTypes)}/${a.field}/${isoUtc(startMs)}`;
  return { id, rule: a.module, key: a.key, keyTypes: a.keyTypes, field: a.field, startMs, endMs, firedAtMs, alerts: 1 };
}
