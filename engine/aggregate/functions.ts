/**
 * Aggregate functions (docs/semantics.md#aggregate-functions). Built-ins emit inline JS so the
 * per-row update is generated code; extension functions are called through `x[i]`.
 */
import type { FieldType } from '../core/types.js';
import { isIntegerType, PROMOTION_ORDER } from '../core/types.js';

export interface AggregateDef {
  /** canonical lower-case name */
  name: string;
  accepts: readonly FieldType[];
  doc: string;
  resultType(input: FieldType): FieldType;
  /** JS expression for the first value of a group (a group of one row is returned unchanged) */
  init(v: string, input: FieldType): string;
  /** JS statement folding `b` into the accumulator slot `a` (an lvalue) */
  combine(a: string, b: string, input: FieldType): string;
  /** a user aggregate: its combine runs in the sandbox */
  user?: boolean;
}

const NUMERIC: readonly FieldType[] = PROMOTION_ORDER;

/** sum/mul of booleans count true as 1 and always produce IntegerType (docs/semantics.md#aggregate-functions). */
const boolToInt = (t: FieldType): FieldType => (t === 'BooleanType' ? 'IntegerType' : t);

export const BUILTIN_AGGREGATES: readonly AggregateDef[] = [
  {
    name: 'sum',
    accepts: NUMERIC,
    doc: 'Sum of the column over the group. Booleans count true as 1 (IntegerType result).',
    resultType: boolToInt,
    init: (v, t) => (t === 'BooleanType' ? `(${v} ? 1 : 0)` : v),
    combine: (a, b, t) => (t === 'BooleanType' ? `${a} = h.iadd(${a}, ${b} ? 1 : 0);` : isIntegerType(t) ? `${a} = h.iadd(${a}, ${b});` : `${a} += ${b};`),
  },
  {
    name: 'mul',
    accepts: NUMERIC,
    doc: 'Product of the column over the group. Booleans count true as 1 (IntegerType result).',
    resultType: boolToInt,
    init: (v, t) => (t === 'BooleanType' ? `(${v} ? 1 : 0)` : v),
    combine: (a, b, t) => (t === 'BooleanType' ? `${a} = h.imul(${a}, ${b} ? 1 : 0);` : isIntegerType(t) ? `${a} = h.imul(${a}, ${b});` : `${a} *= ${b};`),
  },
  {
    name: 'max',
    accepts: NUMERIC,
    doc: 'Largest value of the group (ties and NaN comparisons keep the earlier value).',
    resultType: (t) => t,
    init: (v) => v,
    combine: (a, b) => `if (${a} < ${b}) ${a} = ${b};`,
  },
  {
    name: 'min',
    accepts: NUMERIC,
    doc: 'Smallest value of the group (ties and NaN comparisons keep the earlier value).',
    resultType: (t) => t,
    init: (v) => v,
    combine: (a, b) => `if (${a} > ${b}) ${a} = ${b};`,
  },
];

export const BUILTIN_AGGREGATE_MAP: ReadonlyMap<string, AggregateDef> = new Map(BUILTIN_AGGREGATES.map((a) => [a.name, a]));
