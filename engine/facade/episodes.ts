/**
 * Alert events grouped into episodes (docs/alerts.md#alert-id): every event names its episode
 * by `alertId`, so a run's events, the stored alerts table and an alert topic read back all give
 * the same episodes. The workbench draws one band per episode; backtests score them.
 */
import type { AlertEpisode, AlertEvent } from '../facade-types.js';

export class EpisodeTracker {
  private readonly byId = new Map<string, AlertEpisode>();
  /** alert id → window end of its latest event */
  private readonly latest = new Map<string, number>();
  private readonly firingSeen = new Set<string>();

  /** Takes one event (duplicates after an at-least-once redelivery change nothing); returns its episode. */
  add(a: AlertEvent): AlertEpisode {
    let e = this.byId.get(a.alertId);
    if (!e) {
      e = {
        alertId: a.alertId,
        rule: a.rule,
        module: a.module,
        key: a.key,
        keyFields: a.keyFields,
        field: a.field,
        kind: a.episodeKind,
        lifecycle: a.lifecycle,
        start: a.episodeStart,
        // an episode first seen resolved (its firing before the events read): it fired when it began
        firing: a.state === 'resolved' ? a.episodeStart : a.time,
        // a rule without lifecycle: the alert is the whole episode
        end: a.lifecycle ? null : a.time,
        peakValue: a.peakValue,
        peakTime: a.peakTime,
        lowerBound: a.lowerBound,
        upperBound: a.upperBound,
        events: 0,
      };
      this.byId.set(a.alertId, e);
    }
    e.events++;
    if (a.state !== 'resolved') e.firing = e.events === 1 || !this.firingSeen.has(a.alertId) ? a.time : Math.min(e.firing, a.time);
    if (a.state !== 'resolved') this.firingSeen.add(a.alertId);
    if (a.state === 'resolved') e.end = a.time;
    // the latest event carries the episode's peak so far and its current bounds
    if (a.time >= (this.latest.get(a.alertId) ?? Number.NEGATIVE_INFINITY)) {
      this.latest.set(a.alertId, a.time);
      e.lowerBound = a.lowerBound;
      e.upperBound = a.upperBound;
      if (a.peakTime !== null) {
        e.peakValue = a.peakValue;
        e.peakTime = a.peakTime;
      }
    }
    return e;
  }

  /** Every episode, by start, then rule, key and field. */
  episodes(): AlertEpisode[] {
    return [...this.byId.values()].sort(
      (a, b) => a.start - b.start || cmp(a.rule, b.rule) || cmp(JSON.stringify(a.key), JSON.stringify(b.key)) || cmp(a.field, b.field),
    );
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The episodes of a list of alert events. */
export function alertEpisodes(events: readonly AlertEvent[]): AlertEpisode[] {
  const t = new EpisodeTracker();
  for (const a of events) t.add(a);
  return t.episodes();
}
