/**
 * Alerts on standard output: the reference line (UTC by default, docs/semantics.md#alert-time-zone) or JSON lines.
 * Alerts of rules with a lifecycle add their state (docs/alerts.md#formats); others keep the reference formats exactly.
 */
import type { Alert, AlertSink } from '../types.js';
import { pyFloat, pyRepr, pyTuple } from '../../values/python.js';
import { jsonValue } from '../outputs/format.js';
import { writeText } from '../outputs/stdout.js';
import { keyText } from './alert-id.js';
import { obj, oneOf } from '../../options/spec.js';
import type { AlertSinkDescriptor } from '../descriptor.js';

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

export function formatAlertTime(ms: number, timezone: 'utc' | 'local'): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  if (timezone === 'utc') {
    return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  }
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * The reference line; a lifecycle's firing alert says so and names its episode, its resolved and
 * no-data events have lines of their own (docs/alerts.md#formats).
 */
export function referenceAlertLine(a: Alert, timezone: 'utc' | 'local'): string {
  const time = formatAlertTime(a.timeMs, timezone);
  const range = `[${pyFloat(a.lowerBound)},${pyFloat(a.upperBound)}]`;
  const value = pyRepr(a.value, a.valueType);
  const keyPart = a.key !== null && a.key.length > 0 ? ` for key=${pyTuple(a.key, a.keyTypes)}` : '';
  const head = `${a.module}: Time: ${time}. Parameter '${a.field}'${keyPart}`;
  if (!a.lifecycle) return `${head} out of range ${range} and equal ${value}`;
  const episode = `(alert ${a.alertId.slice(0, 12)}, since ${formatAlertTime(a.episodeStartMs, timezone)})`;
  if (a.state === 'nodata') return `${head} has no data ${episode}`;
  if (a.state === 'resolved') {
    const now = a.value === null ? 'no value' : `equal ${value}`;
    return `${head} resolved: ${a.episodeKind === 'nodata' ? 'data again' : `back in range ${range}`}, ${now} ${episode}`;
  }
  return `${head} out of range ${range} and equal ${value} ${episode}`;
}

const bound = (x: number) => (Number.isFinite(x) ? pyFloat(x) : 'null');
const isoOrNull = (ms: number | null) => (ms === null ? 'null' : `"${new Date(ms).toISOString()}"`);

export function jsonAlertLine(a: Alert): string {
  const key = keyText(a.key, a.keyTypes);
  const type = a.valueType ?? 'DoubleType';
  const line = `{"module": ${JSON.stringify(a.module)}, "time": "${new Date(a.timeMs).toISOString()}", "key": ${key}, "field": ${JSON.stringify(a.field)}, "value": ${jsonValue(a.value, type)}, "lower_bound": ${bound(a.lowerBound)}, "upper_bound": ${bound(a.upperBound)}`;
  if (!a.lifecycle) return line + '}';
  // new keys only, after the old ones (docs/alerts.md#formats)
  return `${line}, "rule": ${JSON.stringify(a.rule)}, "state": "${a.state}", "alert_id": "${a.alertId}", "episode_start": ${isoOrNull(a.episodeStartMs)}, "episode_kind": "${a.episodeKind}", "peak_value": ${jsonValue(a.peakValue, type)}, "peak_time": ${isoOrNull(a.peakTimeMs)}}`;
}

export class StdoutAlertSink implements AlertSink {
  readonly description = 'alerts to stdout';
  readonly target = 'stdout';
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly format: 'reference' | 'jsonl',
    private readonly timezone: 'utc' | 'local',
  ) {}
  async open(): Promise<void> {}
  deliver(alerts: readonly Alert[]): Promise<void> {
    let text = '';
    for (const a of alerts) text += (this.format === 'jsonl' ? jsonAlertLine(a) : referenceAlertLine(a, this.timezone)) + '\n';
    return writeText(this.out, text);
  }
  async close(): Promise<void> {}
}

interface StdoutAlertOptions {
  format: 'reference' | 'jsonl';
  timezone: 'utc' | 'local';
}

const settings = obj({
  format: oneOf('reference', 'jsonl').default('reference').describe('The reference line (default) or JSON lines.'),
  timezone: oneOf('utc', 'local').default('utc').describe('Time zone of the reference line (default utc).'),
});

export const stdoutAlerts: AlertSinkDescriptor<'stdout', StdoutAlertOptions> = {
  kind: 'alert',
  name: 'stdout',
  doc: 'One line per alert on standard output.',
  settings,
  options: settings.map((o): StdoutAlertOptions => ({ format: o.format, timezone: o.timezone })),
  describe: (o) => `alerts to stdout (${o.format})`,
  create: async (o, ctx) => new StdoutAlertSink(ctx.stdout, o.format, o.timezone),
  export: {
    reference: {
      dropKeys: [
        { key: 'format', why: 'ts-engine only' },
        { key: 'timezone', why: 'ts-engine only (the reference prints local time)' },
      ],
    },
  },
};
