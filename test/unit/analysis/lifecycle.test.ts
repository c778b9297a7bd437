// The alert lifecycle (docs/alerts.md): one state machine per (rule, key, field), driven by closed windows only, so the same
// windows give the same events and alert ids on every run, and a snapshot taken between windows goes on exactly where it stopped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertLifecycle, type Evaluation } from '../../../engine/analysis/lifecycle.js';
import type { LifecycleOptions } from '../../../engine/components/analyses/lifecycle-options.js';
import { alertId } from '../../../engine/components/alerts/alert-id.js';
import type { Alert } from '../../../engine/components/types.js';
import type { Value } from '../../../engine/core/types.js';

const BATCH = 10_000;
const T0 = 1_523_800_000_000;
const end = (i: number) => T0 + (i + 1) * BATCH;
/** bounds [90, 110]: centre 100, half-width 10 */
const LOWER = 90;
const UPPER = 110;

const options = (o: Partial<LifecycleOptions> = {}): LifecycleOptions => ({
  for: 0,
  keepFiringFor: 0,
  recoveryBand: 1,
  noData: undefined,
  notify: 'transitions',
  ...o,
});

const evaluation = (value: number, key: Value[] | null = [1]): Evaluation => ({
  field: 'rpm',
  module: 'R',
  value,
  lower: LOWER,
  upper: UPPER,
  deviating: value < LOWER || value > UPPER,
  key,
});

/** A window: per key, the rpm value of its record (a key absent from the window sends no record). */
type Window = Record<number, number>;

function drive(lc: AlertLifecycle, windows: readonly Window[], from = 0): Alert[] {
  const out: Alert[] = [];
  windows.forEach((w, j) => {
    const i = from + j;
    for (const [k, v] of Object.entries(w)) {
      const key = [Number(k)];
      const state = lc.seen(key, end(i));
      lc.evaluate(0, state, end(i), [evaluation(v, key)], out);
    }
    lc.windowClosed(end(i), out);
  });
  return out;
}

const lifecycle = (o: LifecycleOptions | undefined) =>
  new AlertLifecycle([{ name: 'R', lifecycle: o }], { keyFields: ['sid'], keyTypes: ['LongType'], valueTypes: new Map([['rpm', 'DoubleType']]) }, BATCH);

/** state @ window index, value: what a test reads at a glance */
const brief = (events: readonly Alert[]) => events.map((a) => `${a.state}@${(a.timeMs - T0) / BATCH - 1}${a.value === null ? '' : `=${a.value}`}`);
const only = (vs: number[]): Window[] => vs.map((v) => ({ 1: v }));

describe('without lifecycle options: one alert per deviating record, as the reference', () => {
  it('every deviation is an alert of its own window, nothing else is raised (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.constantFrom('1', '2', '3'), fc.integer({ min: 60, max: 140 })), { maxLength: 30 }), (raw) => {
        const windows = raw as unknown as Window[];
        const events = drive(lifecycle(undefined), windows);
        const expected = windows.flatMap((w, i) =>
          Object.entries(w)
            .filter(([, v]) => v < LOWER || v > UPPER)
            .map(([k, v]) => ({ key: [Number(k)], value: v, timeMs: end(i) })),
        );
        expect(events.map((a) => ({ key: a.key, value: a.value, timeMs: a.timeMs }))).toEqual(expected);
        for (const a of events) {
          expect(a).toMatchObject({
            state: 'firing',
            lifecycle: false,
            episodeStartMs: a.timeMs,
            lowerBound: LOWER,
            upperBound: UPPER,
            rule: 'R',
            module: 'R',
          });
          expect(a.alertId).toBe(alertId('R', `[${a.key![0]}]`, 'rpm', a.timeMs));
        }
      }),
    );
  });
});

describe('alert lifecycle', () => {
  it('for: pending while deviating, firing after `for` more windows, resolved when back; one id per episode', () => {
    const events = drive(lifecycle(options({ for: 2 })), only([120, 100, 120, 125, 121, 100, 100]));
    // window 0 deviates once and recovers while pending: nothing; windows 2–4 deviate: fires at 4
    expect(brief(events)).toEqual(['firing@4=121', 'resolved@5=100']);
    expect(events[0]!.alertId).toBe(events[1]!.alertId);
    expect(events[0]!.alertId).toBe(alertId('R', '[1]', 'rpm', end(2)));
    expect(events[0]).toMatchObject({ episodeStartMs: end(2), lifecycle: true, episodeKind: 'deviation', peakValue: 125, peakTimeMs: end(3) });
  });

  it('for: 0 fires in the first deviating window', () => {
    expect(brief(drive(lifecycle(options()), only([100, 130, 100])))).toEqual(['firing@1=130', 'resolved@2=100']);
  });

  it('keep_firing_for: stays firing that many windows after the value is back; a deviation meanwhile continues the episode', () => {
    const events = drive(lifecycle(options({ keepFiringFor: 1 })), only([120, 100, 120, 100, 100, 100]));
    expect(brief(events)).toEqual(['firing@0=120', 'resolved@4=100']);
    expect(new Set(events.map((a) => a.alertId)).size).toBe(1);
  });

  it('recovery band: a value hovering at the bound does not flap', () => {
    const hovering = [120, 109, 111, 108, 112, 109, 104, 100];
    expect(brief(drive(lifecycle(options()), only(hovering)))).toEqual([
      'firing@0=120',
      'resolved@1=109',
      'firing@2=111',
      'resolved@3=108',
      'firing@4=112',
      'resolved@5=109',
    ]);
    // half of the half-width: back only within [95, 105]
    const banded = drive(lifecycle(options({ recoveryBand: 0.5 })), only(hovering));
    expect(brief(banded)).toEqual(['firing@0=120', 'resolved@6=104']);
    expect(banded[0]!.peakValue).toBe(120);
    // the band keeps an alert going, it never starts one: 108 is within the bounds
    expect(brief(drive(lifecycle(options({ recoveryBand: 0.5 })), only([108, 100])))).toEqual([]);
  });

  it('no_data: a key missing that many windows raises no-data, resolved when it comes back', () => {
    const lc = lifecycle(options({ noData: 2 }));
    // key 2 keeps the windows closing; key 1 is missing in windows 2, 3, 4
    const windows: Window[] = [{ 1: 100, 2: 100 }, { 1: 100, 2: 100 }, { 2: 100 }, { 2: 100 }, { 2: 100 }, { 1: 100, 2: 100 }, { 1: 100, 2: 100 }];
    const events = drive(lc, windows);
    expect(events.map((a) => `${a.state}@${(a.timeMs - T0) / BATCH - 1} key=${a.key}`)).toEqual(['nodata@3 key=1', 'resolved@5 key=1']);
    expect(events[0]).toMatchObject({ episodeKind: 'nodata', value: null, episodeStartMs: end(3), lowerBound: LOWER, upperBound: UPPER });
    expect(events[1]).toMatchObject({ episodeKind: 'nodata', value: 100, alertId: events[0]!.alertId });
  });

  it('no_data ends a firing episode: resolved, then no-data; a key that was never seen raises nothing', () => {
    const windows: Window[] = [{ 1: 130, 2: 100 }, { 2: 100 }, { 2: 100 }, { 2: 100 }];
    const events = drive(lifecycle(options({ noData: 2 })), windows);
    expect(events.map((a) => `${a.state}@${(a.timeMs - T0) / BATCH - 1} ${a.episodeKind} key=${a.key}`)).toEqual([
      'firing@0 deviation key=1',
      'resolved@2 deviation key=1',
      'nodata@2 nodata key=1',
    ]);
    expect(events[1]!.alertId).toBe(events[0]!.alertId);
    expect(events[2]!.alertId).not.toBe(events[0]!.alertId);
  });

  it('notify "every": firing and no-data repeat every window, resolved once', () => {
    expect(brief(drive(lifecycle(options({ notify: 'every', keepFiringFor: 1 })), only([120, 130, 100, 100])))).toEqual([
      'firing@0=120',
      'firing@1=130',
      'firing@2=100',
      'resolved@3=100',
    ]);
    const nodata = drive(lifecycle(options({ notify: 'every', noData: 1 })), [{ 1: 100, 2: 100 }, { 2: 100 }, { 2: 100 }, { 1: 100, 2: 100 }]);
    expect(brief(nodata)).toEqual(['nodata@1', 'nodata@2', 'resolved@3=100']);
  });

  it('a field the rule stops reporting counts as back to normal', () => {
    const lc = lifecycle(options());
    const out: Alert[] = [];
    lc.evaluate(0, lc.seen([1], end(0)), end(0), [evaluation(130)], out);
    lc.windowClosed(end(0), out);
    lc.evaluate(0, lc.seen([1], end(1)), end(1), [], out);
    lc.windowClosed(end(1), out);
    expect(brief(out)).toEqual(['firing@0=130', 'resolved@1']);
  });

  it('the same windows give the same events and ids on every run; a snapshot between windows goes on exactly (property)', () => {
    const window = fc.dictionary(fc.constantFrom('1', '2'), fc.integer({ min: 80, max: 120 })) as unknown as fc.Arbitrary<Window>;
    const opts = fc.record({
      for: fc.nat(3),
      keepFiringFor: fc.nat(3),
      recoveryBand: fc.constantFrom(1, 0.5, 0.2),
      noData: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      notify: fc.constantFrom('transitions' as const, 'every' as const),
    });
    fc.assert(
      fc.property(opts, fc.array(window, { maxLength: 25 }), fc.nat(25), (o, windows, cut) => {
        const whole = drive(lifecycle(o), windows);
        expect(drive(lifecycle(o), windows)).toEqual(whole);
        const first = lifecycle(o);
        const at = Math.min(cut, windows.length);
        const before = drive(first, windows.slice(0, at));
        const restarted = lifecycle(o);
        restarted.restore(JSON.parse(JSON.stringify(first.snapshot())));
        expect([...before, ...drive(restarted, windows.slice(at), at)]).toEqual(whole);
        // every episode: opened by firing or no-data, at most one resolved, nothing after it
        const seen = new Map<string, string[]>();
        for (const a of whole) seen.set(a.alertId, [...(seen.get(a.alertId) ?? []), a.state]);
        for (const states of seen.values()) {
          expect(states[0]).not.toBe('resolved');
          if (states.includes('resolved')) expect(states.indexOf('resolved')).toBe(states.length - 1);
        }
      }),
    );
  });
});

describe('restore', () => {
  it('a snapshot names the last window it includes (a restarted run skips windows up to it)', () => {
    const lc = lifecycle(options({ for: 1 }));
    drive(lc, only([120, 120]));
    const snap = JSON.parse(JSON.stringify(lc.snapshot()));
    expect(snap.closedThrough).toBe(end(1));
    const restarted = lifecycle(options({ for: 1 }));
    restarted.restore(snap);
    expect(restarted.restoredThrough).toBe(end(1));
    expect(brief(drive(restarted, only([100]), 2))).toEqual(['resolved@2=100']);
  });
});
