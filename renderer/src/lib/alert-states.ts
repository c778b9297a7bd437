/**
 * States of alerts and episodes as the Alerts panel lists and filters them (docs/alerts.md#states).
 * Events are `firing`, `resolved` and `nodata` (pending is never sent, as in Grafana); an episode
 * is firing or no data while open, resolved once its resolved event came.
 */
import type { AlertEpisode, AlertEvent } from '../../../main/api/contract';

export type AlertState = AlertEvent['state'];

export const ALERT_STATES: readonly AlertState[] = ['firing', 'resolved', 'nodata'];

export const STATE_LABEL: Record<AlertState, string> = { firing: 'firing', resolved: 'resolved', nodata: 'no data' };

export function episodeState(e: AlertEpisode): AlertState {
  // without lifecycle, an episode is one firing alert of one window (the reference's behaviour)
  if (!e.lifecycle) return 'firing';
  if (e.end !== null) return 'resolved';
  return e.kind === 'nodata' ? 'nodata' : 'firing';
}

/** How many of each state, for the filter's buttons. */
export function countStates<T>(items: readonly T[], stateOf: (x: T) => AlertState): Record<AlertState, number> {
  const n: Record<AlertState, number> = { firing: 0, resolved: 0, nodata: 0 };
  for (const x of items) n[stateOf(x)]++;
  return n;
}
