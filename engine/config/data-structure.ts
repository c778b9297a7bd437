/**
 * The data-structure file (docs/semantics.md#data-structure): field name → column index and type,
 * sorted by index; only the six types a text column can be parsed as.
 */
import type { FieldType, InputField } from '../core/types.js';
import { ALL_TYPES, PARSEABLE_TYPES } from '../core/types.js';
import { DiagnosticSink } from '../options/diagnostics.js';
import { JsonSyntaxError, lineCol, lineStartsOf, parseJsonWithLocations, type ParsedJson } from '../options/json.js';
import { isObj } from '../options/spec.js';

/** Parses a JSON file with positions; a syntax error is one positioned diagnostic. */
export function parseDoc(text: string, file: string): { doc?: ParsedJson; sink: DiagnosticSink } {
  try {
    const doc = parseJsonWithLocations(text);
    return { doc, sink: new DiagnosticSink(file, doc) };
  } catch (e) {
    const sink = new DiagnosticSink(file, undefined);
    if (e instanceof JsonSyntaxError) {
      const lc = lineCol(lineStartsOf(text), e.offset);
      sink.diagnostics.push({
        file,
        line: lc.line,
        column: lc.column,
        endLine: lc.line,
        endColumn: lc.column + 1,
        path: '',
        errorClass: 'ConfigError',
        message: `invalid JSON: ${e.message}`,
        severity: 'error',
      });
      return { sink };
    }
    throw e;
  }
}

/** Highest column index of a data structure: wider than any CSV, and small enough that 2^53+1 or 10^7 is an error, not a hang. */
export const MAX_COLUMN_INDEX = 1_000_000;

/** Parses and checks a data-structure file. */
export function parseDataStructure(text: string, file: string): { fields?: InputField[]; sink: DiagnosticSink; doc?: ParsedJson } {
  const { doc, sink } = parseDoc(text, file);
  if (!doc) return { sink };
  const root = doc.value;
  if (!isObj(root) || Object.keys(root).length === 0) {
    sink.report('', 'ConfigError', `the data structure must be a non-empty JSON object {"field": {"index": 0, "type": "LongType"}, …}`);
    return { sink, doc };
  }
  const fields: InputField[] = [];
  let ok = true;
  for (const [name, spec] of Object.entries(root)) {
    const p = name;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      sink.report(p, 'ConfigError', `field name '${name}' cannot be referenced in expressions (use letters, digits and _)`, {
        onKey: true,
        severity: 'warning',
      });
    }
    if (!isObj(spec)) {
      sink.report(p, 'ConfigError', `field '${name}' must be an object {"index": <column>, "type": "<Type>"}`);
      ok = false;
      continue;
    }
    const index = spec.index;
    const type = spec.type;
    if (index === undefined) {
      sink.report(p, 'ConfigError', `field '${name}' has no "index"`);
      ok = false;
    } else if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      sink.report(`${p}.index`, 'ConfigError', `index of field '${name}' must be a non-negative integer, got ${JSON.stringify(index)}`);
      ok = false;
    } else if (index > MAX_COLUMN_INDEX) {
      sink.report(`${p}.index`, 'ConfigError', `index of field '${name}' is ${index}; a line has at most ${MAX_COLUMN_INDEX + 1} columns`);
      ok = false;
    }
    if (type === undefined) {
      sink.report(p, 'ConfigError', `field '${name}' has no "type"`);
      ok = false;
    } else if (typeof type !== 'string' || !PARSEABLE_TYPES.includes(type as FieldType)) {
      const known = typeof type === 'string' && (ALL_TYPES.includes(type as FieldType) || /^[A-Z][A-Za-z]*Type$/.test(type));
      sink.report(
        `${p}.type`,
        'ConfigError',
        known
          ? `type ${type} of field '${name}' cannot be parsed from text; use one of ${PARSEABLE_TYPES.join(', ')}`
          : `unknown type ${JSON.stringify(type)} for field '${name}'; use one of ${PARSEABLE_TYPES.join(', ')}`,
      );
      ok = false;
    }
    if (ok) fields.push({ name, index: index as number, type: type as FieldType });
  }
  if (!ok) return { sink, doc };
  // stable sort by index: index is the column position, and two fields may name one column (docs/semantics.md#data-structure)
  const sorted = fields
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.index - b.f.index || a.i - b.i)
    .map(({ f }) => f);
  return { fields: sorted, sink, doc };
}
