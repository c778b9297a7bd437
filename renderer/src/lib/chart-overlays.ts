/**
 * What the charts draw over the series (docs/alerts.md#alert-id, docs/backtest.md): alert
 * episodes of rules with a lifecycle as one band from firing to resolved, the alerts of rules
 * without one as markers binned per pixel column (a count where several fall in one column, so
 * 5 000 alerts of a long replay stay readable), and labelled anomalies as shaded intervals under
 * the episodes. Pure geometry: Chart.svelte does the drawing.
 */
import type { AlertEpisode } from '../../../main/api/contract';

/** A labelled anomaly interval, epoch ms (the windows it touches). */
export interface LabelInterval {
  start: number;
  end: number;
  keyText: string;
  label?: string;
}

/** An episode as a band, x in seconds (the charts' x is the window end). */
export interface EpisodeBand {
  alertId: string;
  /** window end of the window that opened it (pending from here to `firing`) */
  start: number;
  firing: number;
  /** resolved at, or the last window shown while it is still open */
  end: number;
  open: boolean;
  kind: AlertEpisode['kind'];
  key: AlertEpisode['key'];
}

/** The bands of one chart: episodes of rules with a lifecycle on this field. */
export function episodeBands(episodes: readonly AlertEpisode[], field: string, lastTimeSec: number): EpisodeBand[] {
  const out: EpisodeBand[] = [];
  for (const e of episodes) {
    if (!e.lifecycle || e.field !== field) continue;
    out.push({
      alertId: e.alertId,
      start: e.start / 1000,
      firing: e.firing / 1000,
      end: e.end === null ? Math.max(lastTimeSec, e.firing / 1000) : e.end / 1000,
      open: e.end === null,
      kind: e.kind,
      key: e.key,
    });
  }
  return out;
}

export interface MarkerBin {
  /** pixel column */
  x: number;
  /** the topmost point of the column (canvas y grows downwards) */
  y: number;
  count: number;
}

/**
 * Points in pixels (each standing for `count` alerts, 1 by default) binned per column of `width`
 * pixels: one marker per column, at its topmost point, with how many it stands for. Points
 * outside [left, right] are dropped.
 */
export function binMarkers(points: readonly { x: number; y: number; count?: number }[], width: number, left: number, right: number): MarkerBin[] {
  const bins = new Map<number, MarkerBin>();
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y) || p.x < left || p.x > right) continue;
    const col = Math.floor(p.x / width);
    const b = bins.get(col);
    const count = p.count ?? 1;
    if (!b) bins.set(col, { x: col * width + width / 2, y: p.y, count });
    else {
      b.count += count;
      b.y = Math.min(b.y, p.y);
    }
  }
  return [...bins.values()].sort((a, b) => a.x - b.x);
}

/** The x range (seconds) a jump to [start, end] ms shows: the interval with context on both sides. */
export function focusRange(startMs: number, endMs: number, windowMs: number): { min: number; max: number } {
  const span = Math.max(endMs - startMs, windowMs);
  const pad = Math.max(span, 4 * windowMs);
  return { min: (startMs - pad) / 1000, max: (endMs + pad) / 1000 };
}
