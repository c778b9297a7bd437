/**
 * The aggregate table in Cassandra (docs/live.md#cassandra-output): one row per aggregate row,
 * partitioned by the key fields and clustered by the window end, newest first, so "the last N
 * windows of a key" is one partition read and a re-written window replaces its row. Integer columns
 * are `varint` (the engine's integers are exact and unbounded: docs/semantics.md#exact-integers),
 * doubles `double`, booleans `boolean`, strings `text`, the window bounds `timestamp`. A `reduce`
 * has no key: its rows share one partition, `series = 'all'`.
 */
import type { FieldType, Value } from '../../core/types.js';
import { isIntegerType, isFloatingType } from '../../core/types.js';
import type { RowShape } from '../../core/window.js';
import { cqlIdent, cqlReplication, cqlString, cqlTable, type CassandraClient } from './client.js';

export interface Column {
  name: string;
  /** CQL type */
  type: string;
}

export interface TableLayout {
  /** the partition key: the key fields, or `series` for a reduce */
  partition: Column[];
  /** the value of `series` (reduce only) */
  series?: string;
  /** every column, in the order rows are bound: partition key, window_end, window_start, values */
  columns: Column[];
}

export const SERIES_COLUMN = 'series';
const REDUCE_SERIES = 'all';

export function cqlType(t: FieldType): string {
  if (isIntegerType(t)) return 'varint';
  if (isFloatingType(t)) return 'double';
  if (t === 'BooleanType') return 'boolean';
  return 'text';
}

export function tableLayout(shape: RowShape): TableLayout {
  const keyed = shape.keyNames.length > 0;
  const partition = keyed ? shape.keyNames.map((name, i) => ({ name, type: cqlType(shape.keyTypes[i]!) })) : [{ name: SERIES_COLUMN, type: 'text' }];
  return {
    partition,
    series: keyed ? undefined : REDUCE_SERIES,
    columns: [
      ...partition,
      { name: 'window_end', type: 'timestamp' },
      { name: 'window_start', type: 'timestamp' },
      ...shape.valueNames.map((name, i) => ({ name, type: cqlType(shape.valueTypes[i]!) })),
    ],
  };
}

/** Names the table needs for itself: a column of the pipeline with one of these names cannot be stored. */
export function reservedNames(layout: TableLayout): string[] {
  return ['window_start', 'window_end', ...(layout.series !== undefined ? [SERIES_COLUMN] : [])];
}

export function createTableCql(keyspace: string, table: string, layout: TableLayout): string {
  const cols = layout.columns.map((c) => `${cqlIdent(c.name)} ${c.type}`).join(', ');
  const pk = `(${layout.partition.map((c) => cqlIdent(c.name)).join(', ')}), "window_end"`;
  return `CREATE TABLE IF NOT EXISTS ${cqlTable(keyspace, table)} (${cols}, PRIMARY KEY (${pk})) WITH CLUSTERING ORDER BY ("window_end" DESC)`;
}

export function insertCql(keyspace: string, table: string, layout: TableLayout): string {
  const names = layout.columns.map((c) => cqlIdent(c.name));
  return `INSERT INTO ${cqlTable(keyspace, table)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
}

/** A column of an existing table, as system_schema.columns has it. */
export interface ExistingColumn {
  name: string;
  type: string;
  kind: 'partition_key' | 'clustering' | 'regular' | 'static';
  position: number;
  clusteringOrder: string;
}

/** The columns of a table, or undefined when it does not exist. */
export async function tableColumns(client: CassandraClient, keyspace: string, table: string): Promise<ExistingColumn[] | undefined> {
  const r = await client.execute(
    'SELECT column_name, type, kind, position, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
  );
  if (r.rows.length === 0) return undefined;
  return r.rows.map((row) => ({
    name: row.column_name as string,
    type: row.type as string,
    kind: row.kind as ExistingColumn['kind'],
    position: row.position as number,
    clusteringOrder: row.clustering_order as string,
  }));
}

export async function keyspaceExists(client: CassandraClient, keyspace: string): Promise<boolean> {
  const r = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace]);
  return r.rows.length > 0;
}

/** `PRIMARY KEY ((a, b), window_end) a varint, b text, …` of existing columns, for messages. */
export function describeColumns(cols: readonly ExistingColumn[]): string {
  const pk = cols.filter((c) => c.kind === 'partition_key').sort((a, b) => a.position - b.position);
  const ck = cols.filter((c) => c.kind === 'clustering').sort((a, b) => a.position - b.position);
  const rest = cols.filter((c) => c.kind !== 'partition_key' && c.kind !== 'clustering').sort((a, b) => a.name.localeCompare(b.name));
  const key = `PRIMARY KEY ((${pk.map((c) => c.name).join(', ')})${ck.map((c) => `, ${c.name}${c.clusteringOrder === 'desc' ? ' DESC' : ''}`).join('')})`;
  return `${key}; ${[...pk, ...ck, ...rest].map((c) => `${c.name} ${c.type}`).join(', ')}`;
}

/** The columns the layout makes, described like existing ones. */
export function layoutColumns(layout: TableLayout): ExistingColumn[] {
  return layout.columns.map((c) => {
    const p = layout.partition.findIndex((x) => x.name === c.name);
    if (p >= 0) return { ...c, kind: 'partition_key', position: p, clusteringOrder: 'none' };
    if (c.name === 'window_end') return { ...c, kind: 'clustering', position: 0, clusteringOrder: 'desc' };
    return { ...c, kind: 'regular', position: -1, clusteringOrder: 'none' };
  });
}

/** Whether an existing table is the one the layout makes (same columns, types, key and order). */
export function sameTable(existing: readonly ExistingColumn[], layout: TableLayout): boolean {
  const want = layoutColumns(layout);
  if (want.length !== existing.length) return false;
  const have = new Map(existing.map((c) => [c.name, c]));
  return want.every((w) => {
    const h = have.get(w.name);
    return h !== undefined && h.type === w.type && h.kind === w.kind && h.position === w.position && h.clusteringOrder === w.clusteringOrder;
  });
}

/**
 * Creates the keyspace (with `replication`) and the table when missing; an existing table must be
 * the one this config writes. Returns what it created, for the run's messages.
 */
export async function ensureTable(
  client: CassandraClient,
  keyspace: string,
  table: string,
  layout: TableLayout,
  replication: Record<string, string | number>,
): Promise<{ createdKeyspace: boolean; createdTable: boolean }> {
  let createdKeyspace = false;
  if (!(await keyspaceExists(client, keyspace))) {
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${cqlIdent(keyspace)} WITH replication = ${cqlReplication(replication)}`);
    createdKeyspace = true;
  }
  const existing = await tableColumns(client, keyspace, table);
  if (!existing) {
    await client.execute(createTableCql(keyspace, table, layout));
    return { createdKeyspace, createdTable: true };
  }
  if (!sameTable(existing, layout)) {
    throw new TableMismatch(
      `table ${keyspace}.${table} has ${describeColumns(existing)} but this config writes ${describeColumns(layoutColumns(layout))}; use another "table" or drop the old one`,
    );
  }
  return { createdKeyspace, createdTable: false };
}

export class TableMismatch extends Error {
  override name = 'TableMismatch';
}

// ---- values ---------------------------------------------------------------------------------

/** A value bound to a column of this CQL type (integers as bigint for varint and bigint). */
export function toCql(v: Value, cql: string): unknown {
  if (v === null) return null;
  switch (cql) {
    case 'varint':
    case 'bigint':
    case 'counter':
      return typeof v === 'bigint' ? v : typeof v === 'boolean' ? BigInt(v ? 1 : 0) : BigInt(v as number);
    case 'int':
    case 'smallint':
    case 'tinyint':
    case 'double':
    case 'float':
      return typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v;
    case 'timestamp':
      return new Date(v as number);
    default:
      return v;
  }
}

const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A value read back, as the engine holds values: integers as numbers while safe (bigints beyond), timestamps as epoch ms. */
export function fromCql(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

/** The partition key of a row as bound values, `undefined` with the reason when Cassandra cannot store it. */
export function partitionProblem(layout: TableLayout, key: readonly Value[] | null): string | undefined {
  if (!key) return undefined;
  for (let i = 0; i < layout.partition.length; i++) {
    const v = key[i];
    const name = layout.partition[i]!.name;
    if (v === null || v === undefined) return `key field ${name} is null (a Cassandra partition key cannot be)`;
    if (typeof v === 'string') {
      if (v === '' && layout.partition.length === 1) return `key field ${name} is empty (Cassandra rejects an empty partition key)`;
      if (Buffer.byteLength(v) > 65_535) return `key field ${name} is longer than 65535 bytes (the limit of a Cassandra partition key)`;
    }
  }
  return undefined;
}

/** `WHERE "a" = ? AND "b" = ?` of the partition (reduce: `series = 'all'`). */
export function partitionWhere(layout: TableLayout): string {
  return layout.series !== undefined
    ? `${cqlIdent(SERIES_COLUMN)} = ${cqlString(layout.series)}`
    : layout.partition.map((c) => `${cqlIdent(c.name)} = ?`).join(' AND ');
}
