/**
 * A processor's runs of rows (Processor.takeRows, docs/performance.md#row-runs): one generated loop that
 * reads each row from bytes, transforms it and folds it into the current window's groups, with every value in a
 * local of its own, for as long as rows are the common case: a good row, of the current window, whose event time
 * closes no window. At the first row that is not, it stops, and the processor's row-by-row path takes that row.
 *
 * Row by row, a row's values go through two arrays (the parsed row, the transformed row) and six calls; doubles
 * stored in an array are boxed. In locals they are not, and the parser, the transformation and the group update are
 * one function that V8 compiles as a whole.
 */
import type { InputField, Value } from '../core/types.js';
import { MAX_EVENT_MS, windowStart } from '../core/time.js';
import { groupTree, type GroupOps, type WindowGroups } from '../aggregate/groups.js';
import type { CompiledTransform } from '../expr/compile.js';
import { runtime } from '../expr/runtime.js';
import { BYTE_ROW_VARS, byteRowCode, type InternTables } from './row-parser.js';

/** Slots of a run's state (a Float64Array): what the processor gives it and what the run gives back. */
export const RUN_STATE = {
  /** the current window's start (in) */
  start: 0,
  maxEventMs: 1,
  watermarkMs: 2,
  /** the smallest end of an open window (in): a watermark there closes it */
  minOpenEnd: 3,
  /** the first row not taken (out), also when the run threw */
  stoppedAt: 4,
} as const;

/**
 * Takes rows [from, to) into `w` while they are the common case, updating the event-time state in `st`. A row
 * whose transformation throws is not taken (nothing of it was folded): the run throws, with `stoppedAt` at it.
 */
export type RowRun = (b: Uint8Array, starts: ArrayLike<number>, ends: ArrayLike<number>, from: number, to: number, w: WindowGroups, st: Float64Array) => number;

export interface RowRunParts {
  fields: readonly InputField[];
  /** the data structure's slots the parser fills */
  slots: readonly number[];
  sepByte: number;
  /** the row parser's own tables, so that both give the same strings */
  interners: InternTables;
  /** event time: the time field's slot and its conversion to ms; whole input: undefined */
  eventTime?: { slot: number; toMs: (v: Value) => number; durMs: number; latenessMs: number };
  transform: Pick<CompiledTransform, 'inline' | 'consts'>;
  inlineAdd: GroupOps['inlineAdd'];
}

/** The run for these parts; undefined when the transformation or the group update cannot be run inline. */
export function compileRowRun(parts: RowRunParts): RowRun | undefined {
  const { transform, inlineAdd, eventTime } = parts;
  if (transform.inline === undefined || inlineAdd === undefined) return undefined;
  const read = byteRowCode(parts.fields, parts.slots, parts.sepByte, parts.interners, { slot: (slot) => `r${slot}`, bail: 'break rows;' });
  const slotLocals = [...new Set(parts.slots)].map((slot) => `r${slot}`);
  const columns = transform.inline.map((code, column) => `const o${column} = ${code};`).join('\n');
  const time = eventTime
    ? `const tMs = toMs(r${eventTime.slot});
      // NaN fails both comparisons and ±Infinity one: the row-by-row path rejects such a row
      if (!(tMs >= ${-MAX_EVENT_MS} && tMs <= ${MAX_EVENT_MS - eventTime.durMs}) || windowStart(tMs, ${eventTime.durMs}) !== start) break rows;
      let watermarkAfter = watermarkMs;
      if (tMs > maxEventMs && tMs - ${eventTime.latenessMs} > watermarkMs) watermarkAfter = tMs - ${eventTime.latenessMs};
      // a watermark at an open window's end closes it: the row-by-row path does that
      if (watermarkAfter >= minOpenEnd) break rows;`
    : '';
  const afterRow = eventTime ? 'if (tMs > maxEventMs) maxEventMs = tMs;\n      watermarkMs = watermarkAfter;' : '';
  const source = `"use strict";
const { sameKey, nest } = tree;
return function runRows(b, starts, ends, i, to, w, st) {
  const start = st[${RUN_STATE.start}], minOpenEnd = st[${RUN_STATE.minOpenEnd}];
  let maxEventMs = st[${RUN_STATE.maxEventMs}], watermarkMs = st[${RUN_STATE.watermarkMs}];
  try {
    rows: for (; i < to; i++) {
      const end = ends[i];
      let p = starts[i], ${BYTE_ROW_VARS};
      let ${slotLocals.length > 0 ? slotLocals.join(', ') : '_'};
      ${read.code}
      ${time}
      ${columns}
      add: {
        ${inlineAdd((position) => `o${position}`, 'break add;')}
      }
      ${afterRow}
    }
  } finally {
    st[${RUN_STATE.maxEventMs}] = maxEventMs;
    st[${RUN_STATE.watermarkMs}] = watermarkMs;
    st[${RUN_STATE.stoppedAt}] = i;
  }
  return i;
};`;
  const scope = { ...read.scope, h: runtime, k: transform.consts, tree: groupTree, toMs: eventTime?.toMs, windowStart };
  return new Function(...Object.keys(scope), source)(...Object.values(scope)) as RowRun;
}
