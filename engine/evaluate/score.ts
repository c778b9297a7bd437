/**
 * Scoring one rule's episodes against labelled anomalies (docs/backtest.md#matching):
 * - an episode and a label match when they have the same key and their intervals overlap;
 * - a label matched by at least one episode is a true positive, counted once however many
 *   episodes match it; a label no episode matches is a false negative;
 * - an episode that matches no label is a false positive;
 * - precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·TP / (2·TP + FP + FN);
 * - the detection delay of a true positive is the number of windows from the window holding the
 *   label's start to the first window that notified (0 when an episode was already firing).
 */
import { windowStart } from '../core/time.js';
import { keyString } from '../analysis/history-recent.js';
import type { Episode } from './episodes.js';
import type { Label } from './labels.js';

export interface Hit {
  label: Label;
  episodes: Episode[];
  /** windows from the label's start to the first notification */
  delayWindows: number;
}

/** What a backtest reports per rule and per sweep value (plain numbers: the facade hands them on as they are). */
export interface Metrics {
  tp: number;
  fp: number;
  fn: number;
  /** null when the rule raised no episode */
  precision: number | null;
  /** null when there are no labels */
  recall: number | null;
  /** null when there is neither a label nor an episode */
  f1: number | null;
  /** mean over the true positives; null without one */
  meanDelayWindows: number | null;
  episodes: number;
}

export interface Score extends Metrics {
  hits: Hit[];
  falsePositives: Episode[];
  falseNegatives: Label[];
}

/** Half-open intervals overlap; a label whose end equals its start is an instant inside [start, end). */
export function overlaps(ep: { startMs: number; endMs: number }, label: { startMs: number; endMs: number }): boolean {
  if (label.endMs === label.startMs) return ep.startMs <= label.startMs && label.startMs < ep.endMs;
  return ep.startMs < label.endMs && label.startMs < ep.endMs;
}

export function score(episodes: readonly Episode[], labels: readonly Label[], batchMs: number): Score {
  const labelsByKey = new Map<string, Label[]>();
  for (const l of labels) {
    const k = keyString(l.key);
    const list = labelsByKey.get(k);
    if (list) list.push(l);
    else labelsByKey.set(k, [l]);
  }
  const matched = new Map<Label, Episode[]>();
  const falsePositives: Episode[] = [];
  for (const ep of episodes) {
    let hit = false;
    for (const l of labelsByKey.get(keyString(ep.key)) ?? []) {
      if (!overlaps(ep, l)) continue;
      hit = true;
      const list = matched.get(l);
      if (list) list.push(ep);
      else matched.set(l, [ep]);
    }
    if (!hit) falsePositives.push(ep);
  }
  const hits: Hit[] = [];
  const falseNegatives: Label[] = [];
  for (const l of labels) {
    const eps = matched.get(l);
    if (!eps) {
      falseNegatives.push(l);
      continue;
    }
    const firstNotice = Math.min(...eps.map((e) => e.firedAtMs));
    const labelWindowEnd = windowStart(l.startMs, batchMs) + batchMs;
    hits.push({ label: l, episodes: eps, delayWindows: Math.max(0, Math.round((firstNotice - labelWindowEnd) / batchMs)) });
  }
  const tp = hits.length;
  const fp = falsePositives.length;
  const fn = falseNegatives.length;
  return {
    tp,
    fp,
    fn,
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp + fn > 0 ? tp / (tp + fn) : null,
    f1: tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null,
    meanDelayWindows: tp > 0 ? hits.reduce((s, h) => s + h.delayWindows, 0) / tp : null,
    episodes: episodes.length,
    hits,
    falsePositives,
    falseNegatives,
  };
}
