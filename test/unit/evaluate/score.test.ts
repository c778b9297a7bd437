// Matching episodes with labels (docs/backtest.md#matching) and grouping alerts into episodes (docs/backtest.md#episodes).
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../engine/components/types.js';
import { EpisodeTracker, type Episode } from '../../../engine/evaluate/episodes.js';
import type { Label } from '../../../engine/evaluate/labels.js';
import { overlaps, score } from '../../../engine/evaluate/score.js';
import { referenceAlert } from '../components/alerts/fixtures.js';

const S = 1000;
const W = 10 * S;

function episode(key: string, startMs: number, endMs: number, firedAtMs = startMs + W, field = 'v'): Episode {
  return { id: `${key}/${startMs}`, rule: 'R', key: [key], keyTypes: ['StringType'], field, startMs, endMs, firedAtMs, alerts: (endMs - startMs) / W };
}
const label = (key: string, startMs: number, endMs: number, line = 2): Label => ({ key: [key], startMs, endMs, line });

describe('score', () => {
  it('overlap is of half-open intervals; an instant label lies inside [start, end)', () => {
    expect(overlaps({ startMs: 10, endMs: 20 }, { startMs: 19, endMs: 30 })).toBe(true);
    expect(overlaps({ startMs: 10, endMs: 20 }, { startMs: 20, endMs: 30 })).toBe(false);
    expect(overlaps({ startMs: 10, endMs: 20 }, { startMs: 0, endMs: 10 })).toBe(false);
    expect(overlaps({ startMs: 10, endMs: 20 }, { startMs: 10, endMs: 10 })).toBe(true);
    expect(overlaps({ startMs: 10, endMs: 20 }, { startMs: 20, endMs: 20 })).toBe(false);
  });

  it('a label counts once however many episodes match it; an episode of another key never matches', () => {
    const eps = [episode('a', 0, 2 * W), episode('a', 0, W, W, 'w'), episode('b', 0, W)];
    const s = score(eps, [label('a', 5 * S, 15 * S), label('c', 0, W, 3)], W);
    expect([s.tp, s.fp, s.fn]).toEqual([1, 1, 1]);
    expect(s.hits[0]!.episodes).toHaveLength(2);
    expect(s.falsePositives.map((e) => e.key)).toEqual([['b']]);
    expect(s.precision).toBeCloseTo(0.5, 12);
    expect(s.recall).toBeCloseTo(0.5, 12);
    expect(s.f1).toBeCloseTo(0.5, 12);
  });

  it('an episode matching two labels makes both true positives and is no false positive', () => {
    const s = score([episode('a', 0, 5 * W)], [label('a', 0, W), label('a', 3 * W, 4 * W, 3)], W);
    expect([s.tp, s.fp, s.fn]).toEqual([2, 0, 0]);
    expect(s.precision).toBe(1);
  });

  it('delay: windows from the window holding the label start to the first notification, 0 when already firing', () => {
    // label starts in window [20 s, 30 s); the episode notified at the end of window [40 s, 50 s): two windows late
    const late = score([episode('a', 4 * W, 6 * W)], [label('a', 25 * S, 60 * S)], W);
    expect(late.hits[0]!.delayWindows).toBe(2);
    const early = score([episode('a', 0, 6 * W)], [label('a', 25 * S, 60 * S)], W);
    expect(early.hits[0]!.delayWindows).toBe(0);
    const both = score([episode('a', 0, 6 * W), episode('b', 4 * W, 5 * W)], [label('a', 25 * S, 60 * S), label('b', 25 * S, 60 * S, 3)], W);
    expect(both.meanDelayWindows).toBe(1);
  });

  it('null ratios where they are undefined: no episode, no label', () => {
    const none = score([], [label('a', 0, W)], W);
    expect([none.precision, none.recall, none.f1, none.meanDelayWindows]).toEqual([null, 0, 0, null]);
    const nothing = score([], [], W);
    expect([nothing.precision, nothing.recall, nothing.f1]).toEqual([null, null, null]);
    const noLabels = score([episode('a', 0, W)], [], W);
    expect([noLabels.precision, noLabels.recall, noLabels.f1]).toEqual([0, null, 0]);
  });
});

describe('EpisodeTracker', () => {
  const win = (i: number) => ({ startMs: i * W, endMs: (i + 1) * W, groups: [] });
  const alert = (key: string, field = 'v'): Alert =>
    referenceAlert({
      module: 'R',
      timeMs: 0,
      key: [key],
      keyFields: ['k'],
      keyTypes: ['StringType'],
      field,
      value: 1,
      valueType: 'LongType',
      lowerBound: 0,
      upperBound: 0,
    });

  it('consecutive windows with alerts of one (rule, key, field) are one episode; a window without one ends it', () => {
    const t = new EpisodeTracker();
    t.observe(win(0), [alert('a')]);
    t.observe(win(1), [alert('a'), alert('a', 'w')]);
    t.observe(win(2), [alert('b')]);
    t.observe(win(3), [alert('a')]);
    const eps = t.episodes();
    expect(eps.map((e) => [e.id, e.startMs / W, e.endMs / W, e.firedAtMs / W, e.alerts])).toEqual([
      ["R/('a',)/v/1970-01-01T00:00:00.000Z", 0, 2, 1, 2],
      ["R/('a',)/w/1970-01-01T00:00:10.000Z", 1, 2, 2, 1],
      ["R/('b',)/v/1970-01-01T00:00:20.000Z", 2, 3, 3, 1],
      ["R/('a',)/v/1970-01-01T00:00:30.000Z", 3, 4, 4, 1],
    ]);
    expect(t.alerts).toBe(5);
  });

  it('a lifecycle rule notifying transitions: firing and resolved events of one alert_id are one episode, across the silent windows between them', () => {
    // opened by window 2 (episode start = its end), fired at the end of window 3, resolved in window 7
    const lifecycleAlert = (key: string, state: Alert['state'], episodeWindow: number, id = `${key}-${episodeWindow}`): Alert => ({
      ...alert(key),
      state,
      lifecycle: true,
      alertId: id,
      episodeStartMs: (episodeWindow + 1) * W,
    });
    const t = new EpisodeTracker();
    t.observe(win(3), [lifecycleAlert('a', 'firing', 2)]);
    t.observe(win(4), [lifecycleAlert('b', 'firing', 4)]);
    t.observe(win(7), [lifecycleAlert('a', 'resolved', 2)]);
    t.observe(win(9), [lifecycleAlert('a', 'firing', 9)]);
    const eps = t.episodes();
    expect(eps.map((e) => [e.id, e.startMs / W, e.endMs / W, e.firedAtMs / W, e.alerts])).toEqual([
      ["R/('a',)/v/1970-01-01T00:00:20.000Z", 2, 7, 4, 2],
      ["R/('b',)/v/1970-01-01T00:00:40.000Z", 4, 5, 5, 1],
      ["R/('a',)/v/1970-01-01T00:01:30.000Z", 9, 10, 10, 1],
    ]);
    // the consecutive-window rule would have cut episode a in two and lost its silent windows 4..6
    expect(score(eps, [label('a', 55 * S, 56 * S)], W).tp).toBe(1);
  });
});
