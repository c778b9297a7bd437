// Replay pacing on a VirtualClock (engine/pipeline/pacing.ts): the schedule, a pause that freezes it, a restart.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../engine/core/clock.js';
import { EventPacer, RatePacer } from '../../../engine/pipeline/pacing.js';

describe('EventPacer', () => {
  it('waits as long as the event times say, divided by the speed', async () => {
    const clock = new VirtualClock(1_000);
    const pacer = new EventPacer(clock, 2);
    expect(pacer.waitFor(50_000)).toBe(0); // the first row anchors the schedule
    expect(pacer.waitFor(50_000)).toBe(0);
    expect(pacer.waitFor(54_000)).toBe(2_000);
    await clock.advance(1_500);
    expect(pacer.waitFor(54_000)).toBe(500);
    expect(pacer.waitFor(54_008)).toBe(504);
    // a few ms behind is not worth a timer
    expect(pacer.waitFor(50_008)).toBe(0);
  });

  it('a pause freezes the schedule: after resume the next row waits what it had left, not less', async () => {
    const clock = new VirtualClock();
    const pacer = new EventPacer(clock, 1);
    pacer.waitFor(0);
    await clock.advance(400);
    pacer.pause();
    await clock.advance(60_000);
    pacer.pause(); // twice is once
    pacer.resume();
    expect(pacer.waitFor(1_000)).toBe(600);
    pacer.resume(); // resuming a running schedule changes nothing
    expect(pacer.waitFor(1_000)).toBe(600);
  });

  it('restart and a new speed anchor the schedule at the next row', async () => {
    const clock = new VirtualClock();
    const pacer = new EventPacer(clock, 1);
    pacer.waitFor(0);
    pacer.restart();
    expect(pacer.waitFor(30_000)).toBe(0);
    expect(pacer.waitFor(31_000)).toBe(1_000);
    pacer.setSpeed(10);
    expect(pacer.waitFor(40_000)).toBe(0);
    expect(pacer.waitFor(41_000)).toBe(100);
  });
});

describe('RatePacer', () => {
  it('spaces rows by 1/rate; a pause does not make up for the paused time afterwards', async () => {
    const clock = new VirtualClock();
    const pacer = new RatePacer(clock, 10);
    expect(pacer.waitFor()).toBe(100);
    await clock.advance(100);
    expect(pacer.waitFor()).toBe(100);
    pacer.pause();
    await clock.advance(5_000);
    pacer.resume();
    expect(pacer.waitFor()).toBe(200);
    pacer.restart();
    expect(pacer.waitFor()).toBe(100);
  });
});
