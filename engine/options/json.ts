/**
 * JSON with the place of every value, so each diagnostic names the file, line and column of the
 * offending value and markers inside a string (a transformation entry) land on the right
 * character. Parsed by Microsoft's jsonc-parser (the parser behind VS Code's and Monaco's JSON)
 * in strict mode: no comments, no trailing commas. On top of it: duplicate keys are errors, a
 * "__proto__" key is plain data, numbers keep their source text (integers beyond 2^53 stay exact),
 * and a syntax error is worded and placed at the offending character.
 */
import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';

export interface JsonLoc {
  /** offsets into the text: the value itself */
  start: number;
  end: number;
  /** the property key, for object members */
  keyStart?: number;
  keyEnd?: number;
  /** for numbers: the literal text (integers beyond 2^53 stay exact) */
  raw?: string;
  /** for strings with escapes: raw offset of each decoded char (length = decoded length + 1) */
  charMap?: number[];
}

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface ParsedJson {
  value: unknown;
  text: string;
  locs: Map<string, JsonLoc>;
  lineStarts: number[];
}

export function pathKey(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const safe = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
  if (!safe) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Deepest nesting of arrays and objects accepted: far beyond any config, and well inside the
 * stack the recursive parser (and every consumer that walks the value) needs.
 */
export const MAX_JSON_DEPTH = 256;

export function parseJsonWithLocations(input: string): ParsedJson {
  // a byte-order mark becomes a space: same offsets, and the parser skips it
  const text = input.charCodeAt(0) === 0xfeff ? ` ${input.slice(1)}` : input;
  const tooDeep = firstTooDeep(text);
  if (tooDeep >= 0) throw new JsonSyntaxError(`arrays and objects nested more than ${MAX_JSON_DEPTH} levels deep`, tooDeep);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0) throw syntaxError(text, errors[0]!, root);
  const locs = new Map<string, JsonLoc>();
  const value = build(text, root!, '', locs);
  return { value, text: input, locs, lineStarts: lineStartsOf(input) };
}

function build(text: string, node: Node, path: string, locs: Map<string, JsonLoc>, key?: Node): unknown {
  const loc: JsonLoc = { start: node.offset, end: node.offset + node.length };
  if (key) {
    loc.keyStart = key.offset;
    loc.keyEnd = key.offset + key.length;
  }
  locs.set(path, loc);
  switch (node.type) {
    case 'object': {
      const obj: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children as [Node, Node];
        const name = k.value as string;
        if (Object.hasOwn(obj, name)) throw new JsonSyntaxError(`duplicate key ${JSON.stringify(name)}`, k.offset);
        // defineProperty, not assignment: a "__proto__" key is data, never the object's prototype
        Object.defineProperty(obj, name, { value: build(text, v, pathKey(path, name), locs, k), enumerable: true, writable: true, configurable: true });
      }
      return obj;
    }
    case 'array':
      return (node.children ?? []).map((c, i) => build(text, c, pathKey(path, i), locs));
    case 'number':
      loc.raw = text.slice(loc.start, loc.end);
      return node.value;
    case 'string': {
      const raw = text.slice(loc.start, loc.end);
      if (raw.includes('\\')) loc.charMap = charMap(raw, loc.start);
      return node.value;
    }
    default:
      return node.value;
  }
}

/** Offset of the first '{' or '[' nested deeper than MAX_JSON_DEPTH (strings skipped), or -1. */
function firstTooDeep(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

/** raw offset of each decoded character of a string literal (and one past the last) */
function charMap(raw: string, start: number): number[] {
  const map: number[] = [];
  for (let i = 1; i < raw.length - 1; ) {
    map.push(start + i);
    if (raw[i] !== '\\') {
      i++;
      continue;
    }
    i += raw[i + 1] === 'u' ? 6 : 2;
  }
  map.push(start + raw.length - 1);
  return map;
}

const describeAt = (text: string, at: number) => (at >= text.length ? 'end of file' : `'${text[at]}'`);

/** the innermost container open at `at` ('{' or '['), strings skipped */
function openContainer(text: string, at: number): '{' | '[' | undefined {
  const stack: string[] = [];
  for (let i = 0; i < at; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < at && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') stack.push(c);
    else if (c === '}' || c === ']') stack.pop();
  }
  return stack[stack.length - 1] as '{' | '[' | undefined;
}

/** the parser's first error in the words (and at the character) a person needs */
function syntaxError(text: string, e: ParseError, root: Node | undefined): JsonSyntaxError {
  const at = e.offset;
  const here = describeAt(text, at);
  const prevChar = text.slice(0, at).trimEnd().slice(-1);
  const closing = openContainer(text, at) === '[' ? ']' : '}';
  const inToken = (find: (c: string, i: number) => boolean) => {
    for (let i = at + 1; i < at + e.length; i++) if (find(text[i]!, i)) return i;
    return at;
  };
  switch (printParseErrorCode(e.error)) {
    case 'PropertyNameExpected':
      if (text[at] === '}' && prevChar === ',') return new JsonSyntaxError('trailing comma before }', at);
      return new JsonSyntaxError(`expected a property name in double quotes but found ${here}`, at);
    case 'ValueExpected':
      if (text[at] === ']' && prevChar === ',') return new JsonSyntaxError('trailing comma before ]', at);
      return new JsonSyntaxError(`unexpected ${here}`, at);
    case 'ColonExpected':
      return new JsonSyntaxError(`expected ':' after property name but found ${here}`, at);
    case 'CommaExpected':
    case 'CloseBraceExpected':
    case 'CloseBracketExpected':
      return new JsonSyntaxError(`expected ',' or '${closing}' but found ${here}`, at);
    case 'UnexpectedEndOfString':
      return new JsonSyntaxError('unterminated string', at);
    case 'InvalidEscapeCharacter': {
      const i = inToken((c, k) => c === '\\' && !/["\\/bfnrtu]/.test(text[k + 1] ?? ''));
      return new JsonSyntaxError(`bad escape '\\${text[i + 1] ?? ''}' in string`, i);
    }
    case 'InvalidUnicode':
      return new JsonSyntaxError(
        'bad \\u escape in string',
        inToken((c, k) => c === '\\' && text[k + 1] === 'u'),
      );
    case 'InvalidCharacter':
      return new JsonSyntaxError(
        'control character in string (use \\n, \\t, …)',
        inToken((c) => c.charCodeAt(0) < 0x20),
      );
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber':
      return new JsonSyntaxError('invalid number', at);
    default: {
      // a key that is not a double-quoted string
      if (closing === '}' && (prevChar === '{' || prevChar === ','))
        return new JsonSyntaxError(`expected a property name in double quotes but found ${here}`, at);
      const after = root !== undefined && at >= root.offset + root.length;
      return new JsonSyntaxError(after ? `unexpected ${here} after the end of the JSON value` : `unexpected ${here}`, at);
    }
  }
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) starts.push(k + 1);
  return starts;
}

/** 1-based line and column of an offset. */
export function lineCol(lineStarts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
}

/** Raw offset of decoded character `k` of the string at `loc`. */
export function stringCharOffset(loc: JsonLoc, k: number): number {
  if (loc.charMap) return loc.charMap[Math.max(0, Math.min(k, loc.charMap.length - 1))]!;
  return Math.min(loc.start + 1 + k, loc.end - 1);
}
