// One time zone for every time the workbench shows (docs/workbench.md#time-zone).
import { afterEach, describe, expect, it } from 'vitest';
import { dateTimeText, offsetText, parseTimeZoneChoice, timeOfDayText, zoneLabel } from '../../../../renderer/src/lib/time-zone';

const savedTz = process.env.TZ;
afterEach(() => {
  process.env.TZ = savedTz;
});

// 2018-04-15 13:46:40 UTC, a window end of the sensor sample
const END = Date.UTC(2018, 3, 15, 13, 46, 40);

describe('time zone', () => {
  it('UTC: the engine’s own times, marked Z, whatever zone the machine is in', () => {
    process.env.TZ = 'Asia/Kolkata';
    expect(dateTimeText(END, 'utc')).toBe('2018-04-15 13:46:40Z');
    expect(dateTimeText(END + 500, 'utc')).toBe('2018-04-15 13:46:40.500Z');
    expect(timeOfDayText(END, 'utc')).toBe('13:46:40');
    expect(zoneLabel('utc')).toBe('UTC');
  });

  it('local: the wall clock of the machine’s zone, with its offset at that instant', () => {
    process.env.TZ = 'Asia/Kolkata';
    expect(dateTimeText(END, 'local')).toBe('2018-04-15 19:16:40+05:30');
    expect(timeOfDayText(END + 250, 'local', true)).toBe('19:16:40.250');
    // ICU may name it by its older name, Asia/Calcutta
    expect(zoneLabel('local', END)).toMatch(/^Asia\/(Kolkata|Calcutta) \(UTC\+05:30\)$/);
  });

  it('local offsets follow daylight saving, and cross the date line', () => {
    process.env.TZ = 'America/New_York';
    expect(offsetText(Date.UTC(2018, 0, 15), 'local')).toBe('-05:00');
    expect(offsetText(END, 'local')).toBe('-04:00');
    expect(dateTimeText(Date.UTC(2018, 3, 15, 2, 0, 0), 'local')).toBe('2018-04-14 22:00:00-04:00');
    process.env.TZ = 'UTC';
    expect(dateTimeText(END, 'local')).toBe('2018-04-15 13:46:40+00:00');
  });

  it('a saved choice reads back; anything else is UTC', () => {
    expect(parseTimeZoneChoice('local')).toBe('local');
    expect(parseTimeZoneChoice('utc')).toBe('utc');
    expect(parseTimeZoneChoice(null)).toBe('utc');
    expect(parseTimeZoneChoice('Europe/Berlin')).toBe('utc');
  });
});
