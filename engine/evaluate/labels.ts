/**
 * The labels file of a backtest (docs/backtest.md#labels): known anomalies as time intervals per
 * key. A CSV with a header naming every key field of the config's aggregation, `start`, `end`
 * and optionally `label`; times are epoch numbers (seconds unless told otherwise) or ISO 8601
 * (UTC when no offset is given). Every problem is reported at its line and column, all at once.
 */
import type { Diagnostic } from '../core/errors.js';
import { isFloatingType, isIntegerType, type FieldType, type Value } from '../core/types.js';
import { MS_PER_UNIT, type TimeUnit } from '../core/time.js';
import { parseBoolText, parseFloatText, parseIntText } from '../values/numeric.js';
import { pyTuple } from '../values/python.js';

export interface Label {
  /** key values in the order of the config's key fields; null for a reduce config */
  key: Value[] | null;
  startMs: number;
  /** exclusive; equal to startMs for an instant */
  endMs: number;
  label?: string;
  /** 1-based line in the labels file */
  line: number;
}

export interface LabelsFile {
  labels: Label[];
  diagnostics: Diagnostic[];
}

interface Cell {
  text: string;
  /** 1-based column of the cell's first character */
  column: number;
}

/** Splits one CSV line (RFC 4180 quotes: "a,b" and "" inside quotes); undefined when a quote is not closed. */
export function splitCsvLine(line: string, sep = ','): Cell[] | undefined {
  const cells: Cell[] = [];
  let i = 0;
  for (;;) {
    const column = i + 1;
    let text = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += line[i++];
      }
      const next = line.indexOf(sep, i);
      text += line.slice(i, next < 0 ? line.length : next);
      i = next < 0 ? line.length : next;
    } else {
      const next = line.indexOf(sep, i);
      text = line.slice(i, next < 0 ? line.length : next);
      i = next < 0 ? line.length : next;
    }
    cells.push({ text: text.trim(), column });
    if (i >= line.length) return cells;
    i += sep.length;
  }
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch ms of a label time: a number in `unit`, or ISO 8601 (no offset = UTC); undefined when neither. */
export function parseLabelTime(text: string, unit: TimeUnit): number | undefined {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const n = Number(text) * MS_PER_UNIT[unit];
    return Number.isFinite(n) ? n : undefined;
  }
  const m = ISO.exec(text);
  if (!m) return undefined;
  const zone = m[8] === undefined ? 'Z' : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8];
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? ''}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseKeyCell(text: string, type: FieldType): Value | undefined {
  if (isIntegerType(type)) return parseIntText(text);
  if (isFloatingType(type)) return parseFloatText(text);
  if (type === 'BooleanType') return parseBoolText(text);
  return text;
}

export interface LabelKeyField {
  name: string;
  type: FieldType;
}

/** Reads a labels file's text against the config's key fields. */
export function parseLabels(file: string, text: string, keys: readonly LabelKeyField[], unit: TimeUnit = 's'): LabelsFile {
  const diagnostics: Diagnostic[] = [];
  const report = (line: number, column: number, message: string, width = 1) =>
    diagnostics.push({ file, line, column, endLine: line, endColumn: column + width, path: '', errorClass: 'InputError', message, severity: 'error' });
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const isData = (l: string) => l.trim() !== '' && !l.trimStart().startsWith('#');
  const headerIndex = lines.findIndex(isData);
  const expected = [...keys.map((k) => k.name), 'start', 'end'];
  const allowed = `${expected.join(', ')} and optionally label`;
  if (headerIndex < 0) {
    report(1, 1, `the labels file is empty: its first line must be a header naming ${allowed}`);
    return { labels: [], diagnostics };
  }
  const header = splitCsvLine(lines[headerIndex]!) ?? [];
  const columnOf = new Map<string, number>();
  header.forEach((c, i) => {
    if (columnOf.has(c.text)) report(headerIndex + 1, c.column, `column '${c.text}' appears twice in the header`, c.text.length);
    else if (!expected.includes(c.text) && c.text !== 'label') {
      report(headerIndex + 1, c.column, `unknown column '${c.text}': the header names ${allowed}`, Math.max(1, c.text.length));
    }
    columnOf.set(c.text, i);
  });
  const missing = expected.filter((n) => !columnOf.has(n));
  if (missing.length > 0) {
    report(headerIndex + 1, 1, `the header lacks ${missing.map((m) => `'${m}'`).join(', ')}: it must name ${allowed}`, lines[headerIndex]!.length);
  }
  if (diagnostics.length > 0) return { labels: [], diagnostics };

  const labels: Label[] = [];
  for (let li = headerIndex + 1; li < lines.length; li++) {
    const raw = lines[li]!;
    if (!isData(raw)) continue;
    const line = li + 1;
    const cells = splitCsvLine(raw);
    if (!cells) {
      report(line, raw.indexOf('"') + 1, 'a quoted value is not closed');
      continue;
    }
    if (cells.length !== header.length) {
      report(line, 1, `expected ${header.length} values (${header.map((c) => c.text).join(', ')}), got ${cells.length}`, raw.length);
      continue;
    }
    const cell = (name: string) => cells[columnOf.get(name)!]!;
    let ok = true;
    const key: Value[] = [];
    for (const k of keys) {
      const c = cell(k.name);
      const v = parseKeyCell(c.text, k.type);
      if (v === undefined) {
        report(line, c.column, `${k.name} ${JSON.stringify(c.text)} is not a valid ${k.type} (the type of the key field ${k.name})`, c.text.length);
        ok = false;
      } else key.push(v);
    }
    const time = (name: 'start' | 'end') => {
      const c = cell(name);
      const ms = parseLabelTime(c.text, unit);
      if (ms === undefined) {
        report(line, c.column, `${name} ${JSON.stringify(c.text)} is neither an epoch time in ${unit} nor an ISO 8601 time`, Math.max(1, c.text.length));
        ok = false;
      }
      return ms;
    };
    const startMs = time('start');
    const endMs = time('end');
    if (startMs !== undefined && endMs !== undefined && endMs < startMs) {
      report(line, cell('end').column, `end ${cell('end').text} is before start ${cell('start').text}`, cell('end').text.length);
      ok = false;
    }
    if (!ok) continue;
    const name = columnOf.has('label') ? cell('label').text : '';
    labels.push({ key: keys.length > 0 ? key : null, startMs: startMs!, endMs: endMs!, ...(name !== '' ? { label: name } : {}), line });
  }
  labels.sort((a, b) => a.startMs - b.startMs || a.line - b.line);
  return { labels, diagnostics };
}

/** A key as Python prints it, `(4, 'bearing.t2')` (how alerts and outputs show keys). */
export function keyText(key: readonly Value[] | null, types: readonly FieldType[]): string {
  return key === null ? '()' : pyTuple(key, types);
}
