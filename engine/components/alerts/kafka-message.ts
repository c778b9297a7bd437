/**
 * Alerts to a Kafka topic (docs/semantics.md#kafka-alerts): one message per alert, the value being what
 * the reference sends — Python `json.dumps` of
 * `{AnalysisModule, timestamp, param: {key, field, lower_bound, upper_bound, value}}`
 * (", " and ": " separators, non-ASCII as \uXXXX, tuples as arrays) — with the
 * window end as timestamp (in seconds). Unlike the reference the message is
 * keyed by the aggregation key (the JSON of `param.key`), so one key's alerts
 * stay in order on one partition. The producer is per pipeline (docs/semantics.md#one-producer-per-pipeline).
 */
import type { FieldType, Value } from '../../core/types.js';
import { isIntegerType } from '../../core/types.js';
import { pyFloat } from '../../values/python.js';
import type { Alert } from '../types.js';

/** Python json.dumps of a str (ensure_ascii) */
export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** Python json.dumps of a number: floats as repr (`900.0`), ints plain; NaN/±inf as null (not JSON otherwise). */
function pyJsonNumber(x: number, float: boolean): string {
  if (!Number.isFinite(x)) return 'null';
  return float ? pyFloat(x) : String(x);
}

export function pyJsonValue(v: Value, type: FieldType | undefined): string {
  switch (typeof v) {
    case 'number':
      return pyJsonNumber(v, type !== undefined ? !isIntegerType(type) : !Number.isInteger(v));
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return pyJsonString(v);
    default:
      return 'null';
  }
}

export function alertKeyJson(a: Alert): string {
  return a.key === null ? 'null' : '[' + a.key.map((v, i) => pyJsonValue(v, a.keyTypes[i])).join(', ') + ']';
}

/**
 * The message value, byte for byte what the reference's json.dumps(kwargs) gives; an alert of a
 * rule with a lifecycle adds new keys after the reference ones (docs/alerts.md#formats).
 */
export function kafkaAlertJson(a: Alert): string {
  const param =
    `{"key": ${alertKeyJson(a)}, "field": ${pyJsonString(a.field)}, "lower_bound": ${pyJsonNumber(a.lowerBound, true)}, ` +
    `"upper_bound": ${pyJsonNumber(a.upperBound, true)}, "value": ${pyJsonValue(a.value, a.valueType)}}`;
  const reference = `{"AnalysisModule": ${pyJsonString(a.module)}, "timestamp": ${pyFloat(a.timeMs / 1000)}, "param": ${param}`;
  if (!a.lifecycle) return reference + '}';
  const seconds = (ms: number | null) => (ms === null ? 'null' : pyFloat(ms / 1000));
  return (
    `${reference}, "rule": ${pyJsonString(a.rule)}, "state": "${a.state}", "alert_id": "${a.alertId}", "episode_start": ${seconds(a.episodeStartMs)}, ` +
    `"episode_kind": "${a.episodeKind}", "peak_value": ${pyJsonValue(a.peakValue, a.valueType)}, "peak_time": ${seconds(a.peakTimeMs)}}`
  );
}

/** Headers of every alert message, reference or not: what a consumer drops duplicates by (docs/live.md#alert-duplicates). */
export function kafkaAlertHeaders(a: Alert): Record<string, string> {
  return { alert_id: a.alertId, alert_state: a.state };
}
