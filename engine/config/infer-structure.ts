/**
 * A data-structure file guessed from the start of a CSV file (docs/workbench.md#new-projects-and-files): the
 * header (when the first line is one) names the fields, the values of the first rows give their
 * types, and an integer column of plausible epoch times (named like a time, or holding values of
 * one epoch magnitude) is offered as the event-time field with its unit.
 */
import type { FieldType } from '../core/types.js';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

export interface InferredField {
  name: string;
  index: number;
  type: FieldType;
  /** what the values looked like: 'timestamp' is an integer column of epoch times (typed LongType) */
  guessed: 'int' | 'long' | 'double' | 'boolean' | 'string' | 'timestamp';
  /** values seen that were empty */
  empty: number;
}

export interface InferredStructure {
  /** the first line names the columns (set `header: true` on the csv input) */
  header: boolean;
  separator: string;
  fields: InferredField[];
  /** the event-time field and its unit, when a column looks like epoch times */
  time?: { field: string; unit: TimeUnit };
  /** data rows the types were guessed from */
  rowsSampled: number;
  /** rows whose column count differs from the first row's (their extra or missing cells are ignored) */
  raggedRows: number;
}

export interface InferOptions {
  /** column separator; guessed among , ; tab | when absent */
  separator?: string;
  /** data rows to look at (default 200) */
  maxRows?: number;
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$/i;
const BOOL_RE = /^(true|false)$/i;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TIME_NAME_RE = /(^|_)(time|timestamp|ts|epoch|date|datetime)(_|$)/i;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/** Epoch magnitudes between 2000-01-01 and 2100-01-01, per unit. */
const EPOCH_RANGES: [TimeUnit, number, number][] = [
  ['s', 946_684_800, 4_102_444_800],
  ['ms', 946_684_800e3, 4_102_444_800e3],
  ['us', 946_684_800e6, 4_102_444_800e6],
  ['ns', 946_684_800e9, 4_102_444_800e9],
];

function guessSeparator(lines: string[]): string {
  let best = ',';
  let bestScore = 0;
  for (const sep of [',', ';', '\t', '|']) {
    const counts = lines.map((l) => splitLine(l, sep).length);
    const first = counts[0] ?? 1;
    if (first < 2) continue;
    // a separator that splits every line into the same number of cells wins
    const score = counts.filter((c) => c === first).length * 1000 + first;
    if (score > bestScore) {
      best = sep;
      bestScore = score;
    }
  }
  return best;
}

/** The cells of a line; double-quoted cells may hold the separator ("" is a quote inside them). */
function splitLine(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (line.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
    } else cur += c;
  }
  out.push(cur);
  return out;
}

type Kind = 'empty' | 'bool' | 'int' | 'float' | 'string';
const kindOf = (v: string): Kind => {
  const t = v.trim();
  if (t === '') return 'empty';
  if (INT_RE.test(t)) return 'int';
  if (FLOAT_RE.test(t)) return 'float';
  if (BOOL_RE.test(t)) return 'bool';
  return 'string';
};

/** The first line is a header when its cells are all names and some column below it holds no names (numbers, booleans). */
function looksLikeHeader(first: string[], rows: string[][]): boolean {
  if (!first.every((c) => kindOf(c) === 'string' || kindOf(c) === 'empty')) return false;
  if (rows.length === 0) return first.every((c) => NAME_RE.test(c.trim()));
  return first.some((_, i) => rows.some((r) => ['int', 'float', 'bool'].includes(kindOf(r[i] ?? ''))));
}

/** A field name from a header cell: characters rules can name ([A-Za-z0-9_]), unique, never empty. */
function fieldName(raw: string | undefined, index: number, taken: Set<string>): string {
  let base = (raw ?? '')
    .trim()
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (base === '') base = `col${index}`;
  if (/^\d/.test(base)) base = `c_${base}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  taken.add(name);
  return name;
}

function epochUnit(values: number[]): TimeUnit | undefined {
  if (values.length === 0) return undefined;
  for (const [unit, lo, hi] of EPOCH_RANGES) if (values.every((v) => v >= lo && v < hi)) return unit;
  return undefined;
}

/** Guesses a data structure from the text of the start of a CSV file (a truncated last line is ignored). */
export function inferStructure(text: string, opts: InferOptions = {}): InferredStructure {
  const maxRows = opts.maxRows ?? 200;
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // the text may end inside a line when only the start of a file was read
  if (all.length > 1 && !/\r?\n$/.test(text)) all.pop();
  const lines = all.filter((l) => l.trim() !== '').slice(0, maxRows + 1);
  if (lines.length === 0) throw new Error('the file is empty: nothing to infer a data structure from');
  const separator = opts.separator ?? guessSeparator(lines.slice(0, 20));
  const cells = lines.map((l) => splitLine(l, separator));
  const header = looksLikeHeader(cells[0]!, cells.slice(1));
  const rows = (header ? cells.slice(1) : cells).slice(0, maxRows);
  const width = cells[0]!.length;
  const taken = new Set<string>();
  const names = Array.from({ length: width }, (_, i) => fieldName(header ? cells[0]![i] : undefined, i, taken));

  const fields: InferredField[] = [];
  const timeCandidates: { field: string; unit: TimeUnit; named: boolean }[] = [];
  for (let i = 0; i < width; i++) {
    const values = rows.map((r) => (r[i] ?? '').trim());
    const kinds = new Set(values.map(kindOf));
    const empty = values.filter((v) => v === '').length;
    kinds.delete('empty');
    let guessed: InferredField['guessed'];
    let type: FieldType;
    if (kinds.size === 0 || kinds.has('string') || (kinds.has('bool') && kinds.size > 1)) {
      guessed = 'string';
      type = 'StringType';
    } else if (kinds.has('bool')) {
      guessed = 'boolean';
      type = 'BooleanType';
    } else if (kinds.has('float')) {
      guessed = 'double';
      type = 'DoubleType';
    } else {
      const nums = values.filter((v) => v !== '').map(Number);
      const unit = epochUnit(nums);
      const named = TIME_NAME_RE.test(names[i]!);
      // epoch seconds of today also fit an int: a time-like name, a bigger unit or values in time order make them times
      const timeLike = unit !== undefined && (named || unit !== 's' || nums.every((n, k) => k === 0 || n >= nums[k - 1]!));
      if (unit && timeLike) timeCandidates.push({ field: names[i]!, unit, named });
      if (timeLike) {
        guessed = 'timestamp';
        type = 'LongType';
      } else if (nums.every((n) => n >= INT32_MIN && n <= INT32_MAX)) {
        guessed = 'int';
        type = 'IntegerType';
      } else {
        guessed = 'long';
        type = 'LongType';
      }
    }
    fields.push({ name: names[i]!, index: i, type, guessed, empty });
  }
  // several time-like columns: a time-like name decides, else none is picked for the user
  const time = timeCandidates.find((c) => c.named) ?? (timeCandidates.length === 1 ? timeCandidates[0] : undefined);
  if (time) {
    const f = fields.find((x) => x.name === time.field)!;
    f.guessed = 'timestamp';
    f.type = 'LongType';
  }
  return {
    header,
    separator,
    fields,
    time: time ? { field: time.field, unit: time.unit } : undefined,
    rowsSampled: rows.length,
    raggedRows: rows.filter((r) => r.length !== width).length,
  };
}

/** The data-structure file's text for an inferred structure (one field a line, as the samples are written). */
export function structureFileText(s: InferredStructure): string {
  const width = Math.max(...s.fields.map((f) => JSON.stringify(f.name).length));
  const lines = s.fields.map((f) => `  ${`${JSON.stringify(f.name)}:`.padEnd(width + 1)} { "index": ${f.index}, "type": "${f.type}" }`);
  return `{\n${lines.join(',\n')}\n}\n`;
}
