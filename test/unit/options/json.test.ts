// The located JSON parser behind every diagnostic position (docs/semantics.md#cli: line/column of the offending JSON value).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonSyntaxError, lineCol, lineStartsOf, parseJsonWithLocations, pathKey, stringCharOffset } from '../../../engine/options/json.js';

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJsonWithLocations(text);
  } catch (e) {
    expect(e).toBeInstanceOf(JsonSyntaxError);
    return e as JsonSyntaxError;
  }
  throw new Error('expected a syntax error');
}

describe('parseJsonWithLocations', () => {
  const text =
    '{\n  "input": {\n    "options": { "port": 29092, "big": 12345678901234567890 }\n  },\n  "list": [1, "two", true, null],\n  "a b": {"c": -1.5e3}\n}';
  const doc = parseJsonWithLocations(text);

  it('parses values like JSON.parse', () => {
    expect(doc.value).toEqual(JSON.parse(text));
  });
  it('records where every value starts and ends', () => {
    const port = doc.locs.get('input.options.port')!;
    expect(text.slice(port.start, port.end)).toBe('29092');
    expect(lineCol(doc.lineStarts, port.start)).toEqual({ line: 3, column: 26 });
    const two = doc.locs.get('list[1]')!;
    expect(text.slice(two.start, two.end)).toBe('"two"');
    const obj = doc.locs.get('input')!;
    expect(text[obj.start]).toBe('{');
    expect(text.slice(obj.keyStart, obj.keyEnd)).toBe('"input"');
  });
  it('keeps the source text of numbers (integers beyond 2^53 stay exact)', () => {
    expect(doc.locs.get('input.options.big')!.raw).toBe('12345678901234567890');
    expect(doc.locs.get('["a b"].c')!.raw).toBe('-1.5e3');
  });
  it('quotes path segments that are not identifiers', () => {
    expect(pathKey('', 'input')).toBe('input');
    expect(pathKey('input', 'options')).toBe('input.options');
    expect(pathKey('list', 3)).toBe('list[3]');
    expect(pathKey('', 'a b')).toBe('["a b"]');
    expect(doc.locs.has('["a b"]')).toBe(true);
  });
  it('maps decoded string characters back to raw offsets across escapes', () => {
    const t = '{"s": "a\\u00e9\\"b\\n c"}';
    const d = parseJsonWithLocations(t);
    expect((d.value as { s: string }).s).toBe('aé"b\n c');
    const loc = d.locs.get('s')!;
    // decoded index → raw index
    expect(t[stringCharOffset(loc, 0)]).toBe('a');
    expect(t.slice(stringCharOffset(loc, 1), stringCharOffset(loc, 1) + 6)).toBe('\\u00e9');
    expect(t.slice(stringCharOffset(loc, 2), stringCharOffset(loc, 2) + 2)).toBe('\\"');
    expect(t[stringCharOffset(loc, 3)]).toBe('b');
    expect(t[stringCharOffset(loc, 6)]).toBe('c');
    const plain = parseJsonWithLocations('{"s": "abc"}').locs.get('s')!;
    expect(stringCharOffset(plain, 2)).toBe(9);
  });
  it('skips a byte-order mark', () => {
    expect(parseJsonWithLocations('\ufeff{"a": 1}').value).toEqual({ a: 1 });
  });
  it('lineCol is 1-based', () => {
    const starts = lineStartsOf('ab\ncd\n\nx');
    expect(lineCol(starts, 0)).toEqual({ line: 1, column: 1 });
    expect(lineCol(starts, 4)).toEqual({ line: 2, column: 2 });
    expect(lineCol(starts, 7)).toEqual({ line: 4, column: 1 });
  });
});

describe('strict syntax with positioned errors', () => {
  it.each([
    ['{"a": 1,}', 'trailing comma before }', 8],
    ['[1, 2,]', 'trailing comma before ]', 6],
    ['{"a": 1, "a": 2}', 'duplicate key "a"', 9],
    ["{'a': 1}", 'expected a property name in double quotes', 1],
    ['{"a" 1}', "expected ':' after property name", 5],
    ['{"a": 01}', "expected ',' or '}'", 7],
    ['{"a": tru}', "unexpected 't'", 6],
    ['{"a": "x', 'unterminated string', 6],
    ['{"a": "\\x"}', "bad escape '\\x'", 7],
    ['{"a": "\t"}', 'control character in string', 7],
    ['{} x', "unexpected 'x' after the end of the JSON value", 3],
    ['', 'unexpected end of file', 0],
    ['{"a": NaN}', "unexpected 'N'", 6],
  ])('%j → %s at offset %d', (text, msg, offset) => {
    const e = syntaxError(text);
    expect(e.message).toContain(msg);
    expect(e.offset).toBe(offset);
  });

  it('keeps a "__proto__" key as an own property and never sets the prototype', () => {
    const d = parseJsonWithLocations('{"__proto__": {"polluted": 1}, "a": {"__proto__": null}}');
    const v = d.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')!.value).toEqual({ polluted: 1 });
    expect((v as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(v.a as object)).toEqual(['__proto__']);
    expect(v).toStrictEqual(JSON.parse('{"__proto__": {"polluted": 1}, "a": {"__proto__": null}}'));
    expect(d.locs.has('["__proto__"]') || d.locs.has('__proto__')).toBe(true);
  });

  it('agrees with JSON.parse on random JSON values (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (v, indent) => {
        const text = JSON.stringify(v, null, indent);
        const d = parseJsonWithLocations(text);
        expect(d.value).toStrictEqual(JSON.parse(text));
        expect(d.locs.get('')!.start).toBe(0);
        expect(d.locs.get('')!.end).toBe(text.length);
      }),
      { numRuns: 300 },
    );
  });
});
