/** Alerts on standard output: the reference line (UTC by default, docs/semantics.md#alert-time-zone) or JSON lines. */
import type { Alert, AlertSink } from '../types.js';
import { pyFloat, pyRepr, pyTuple } from '../../values/python.js';
import { jsonValue } from '../outputs/format.js';
import { writeText } from '../outputs/stdout.js';
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

export function referenceAlertLine(a: Alert, timezone: 'utc' | 'local'): string {
  const time = formatAlertTime(a.timeMs, timezone);
  const range = `[${pyFloat(a.lowerBound)},${pyFloat(a.upperBound)}]`;
  const value = pyRepr(a.value, a.valueType);
  const keyPart = a.key !== null && a.key.length > 0 ? ` for key=${pyTuple(a.key, a.keyTypes)}` : '';
  return `${a.module}: Time: ${time}. Parameter '${a.field}'${keyPart} out of range ${range} and equal ${value}`;
}

export function jsonAlertLine(a: Alert): string {
  const key = a.key === null ? 'null' : '[' + a.key.map((v, i) => jsonValue(v, a.keyTypes[i]!)).join(', ') + ']';
  const bound = (x: number) => (Number.isFinite(x) ? pyFloat(x) : 'null');
  return `{"module": ${JSON.stringify(a.module)}, "time": "${new Date(a.timeMs).toISOString()}", "key": ${key}, "field": ${JSON.stringify(a.field)}, "value": ${jsonValue(a.value, a.valueType ?? 'DoubleType')}, "lower_bound": ${bound(a.lowerBound)}, "upper_bound": ${bound(a.upperBound)}}`;
}

export class StdoutAlertSink implements AlertSink {
  readonly description = 'alerts to stdout';
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly format: 'reference' | 'jsonl',
    private readonly timezone: 'utc' | 'local',
  ) {}
  async open(): Promise<void> {}
  send(a: Alert): Promise<void> {
    return writeText(this.out, (this.format === 'jsonl' ? jsonAlertLine(a) : referenceAlertLine(a, this.timezone)) + '\n');
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
