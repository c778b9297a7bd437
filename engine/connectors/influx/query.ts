/**
 * History lookups as queries: escaped InfluxQL (docs/semantics.md#influxql-escaping) for the v1
 * form, Flux through the client's `flux` template for the v2 form, and RFC 3339 ↔ epoch ns.
 */
import { flux, fluxDateTime, fluxString } from '@influxdata/influxdb-client';
import type { Value } from '../../core/types.js';
import { tagText } from './line-protocol.js';

/** `"name"` with `\` and `"` escaped. */
export function influxIdent(name: string): string {
  return '"' + name.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** `'text'` with `\` and `'` escaped. */
export function influxString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/**
 * `SELECT * FROM "<db>"."<rp>"."<m>" WHERE time >= <from ns> AND time <= <to ns> AND "<tag>" = '<v>' …`:
 * numeric time bounds, quoted identifiers, escaped tag values.
 */
export function historyQuery(o: { measurement: string; database?: string; retentionPolicy?: string; fromNs: bigint; toNs: bigint; tags: TagFilter[] }): string {
  const from =
    o.retentionPolicy !== undefined && o.database !== undefined
      ? `${influxIdent(o.database)}.${influxIdent(o.retentionPolicy)}.${influxIdent(o.measurement)}`
      : influxIdent(o.measurement);
  let q = `SELECT * FROM ${from} WHERE time >= ${o.fromNs} AND time <= ${o.toNs}`;
  for (const [k, vs] of o.tags) {
    const alts = vs.map((v) => `${influxIdent(k)} = ${influxString(v)}`);
    q += alts.length === 1 ? ` AND ${alts[0]}` : ` AND (${alts.join(' OR ')})`;
  }
  return q;
}

/** a tag and the texts it may have been written as (a double key 5.0 is "5.0", an integer 5 is "5") */
export type TagFilter = [tag: string, values: string[]];

/** The tag texts a key value of unknown static type may have been stored as. */
export function tagFilter(name: string, v: Value): TagFilter {
  if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 1e16) return [name, [String(v), `${v}.0`]];
  return [name, [tagText(v, undefined)]];
}

/** The same lookup in Flux (v2 form), parameters escaped by the client's `flux` template. */
export function historyFlux(o: { bucket: string; measurement: string; fromNs: bigint; toNs: bigint; tags: TagFilter[] }): string {
  let filter = flux`r._measurement == ${o.measurement}`;
  for (const [k, vs] of o.tags) {
    let alt = flux`r[${fluxString(k)}] == ${vs[0]!}`;
    for (const v of vs.slice(1)) alt = flux`${alt} or r[${fluxString(k)}] == ${v}`;
    filter = vs.length > 1 ? flux`${filter} and (${alt})` : flux`${filter} and ${alt}`;
  }
  const q = flux`from(bucket: ${o.bucket})
  |> range(start: ${fluxDateTime(nsIso(o.fromNs))}, stop: ${fluxDateTime(nsIso(o.toNs + 1n))})
  |> filter(fn: (r) => ${filter})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
  return q.toString();
}

/** epoch ns → RFC 3339 with 9 fraction digits */
export function nsIso(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const sub = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const iso = new Date(Number(ms - (ms % 1000n) - (ns < 0n && sub !== 0n ? 1000n : 0n))).toISOString().slice(0, 19);
  return `${iso}.${sub.toString().padStart(9, '0')}Z`;
}

/** RFC 3339 (any fraction digits) → epoch ns */
export function isoNs(s: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) throw new Error(`not an RFC 3339 time: ${s}`);
  const secs = BigInt(Date.parse(m[1]! + m[3]!)) / 1000n;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
  return secs * 1_000_000_000n + frac;
}
