/**
 * One time zone for every time the workbench shows — charts, tables, alerts, backtests, the Kafka
 * tail: UTC, the zone the engine writes times in, or this machine's local zone (docs/workbench.md#time-zone).
 * Every text carries its zone, so a time never reads ambiguously.
 */
export type TimeZoneChoice = 'utc' | 'local';

export const TIME_ZONE_SETTING = 'ts-engine-time-zone';

export function parseTimeZoneChoice(saved: string | null): TimeZoneChoice {
  return saved === 'local' ? 'local' : 'utc';
}

/** The IANA name of this machine's zone (`Europe/Berlin`), or `local` when the runtime cannot tell. */
export function localZoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
}

/** `Z`, or the local offset at that instant (`+05:30`; daylight saving changes it) */
export function offsetText(ms: number, tz: TimeZoneChoice): string {
  if (tz === 'utc') return 'Z';
  const minutes = -new Date(ms).getTimezoneOffset();
  if (minutes === 0) return '+00:00';
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** the wall-clock fields of `ms` in the zone, as an ISO text without its zone (`2018-04-15T13:46:40.500`) */
function wallClock(ms: number, tz: TimeZoneChoice): string {
  const shifted = tz === 'utc' ? ms : ms - new Date(ms).getTimezoneOffset() * 60_000;
  return new Date(shifted).toISOString().slice(0, 23);
}

/** `2018-04-15 13:46:40Z`, `2018-04-15 19:16:40+05:30`; milliseconds only when there are some */
export function dateTimeText(ms: number, tz: TimeZoneChoice): string {
  const wall = wallClock(ms, tz).replace('T', ' ');
  return `${wall.endsWith('.000') ? wall.slice(0, 19) : wall}${offsetText(ms, tz)}`;
}

/** `13:46:40` (with `.500` when `withMs`): for lists whose rows share a day; the zone is in the list's header */
export function timeOfDayText(ms: number, tz: TimeZoneChoice, withMs = false): string {
  return wallClock(ms, tz).slice(11, withMs ? 23 : 19);
}

/** What an axis or a list header says: `UTC`, or `Asia/Kolkata (UTC+05:30)` */
export function zoneLabel(tz: TimeZoneChoice, atMs: number = Date.now()): string {
  return tz === 'utc' ? 'UTC' : `${localZoneName()} (UTC${offsetText(atMs, 'local').replace('+00:00', '')})`;
}

/** The instant a date-time field (`2018-04-15T13:46`, wall clock in the zone) names; undefined when empty or unreadable. */
export function parseWallClock(text: string, tz: TimeZoneChoice): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(text)) return undefined;
  const ms = tz === 'utc' ? Date.parse(`${text}Z`) : new Date(text).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** What a date-time field shows for `ms` in the zone, to the second (`2018-04-15T13:46:40`). */
export function wallClockField(ms: number, tz: TimeZoneChoice): string {
  return wallClock(ms, tz).slice(0, 19);
}
