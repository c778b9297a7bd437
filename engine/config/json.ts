/**
 * A strict JSON parser that remembers where every value came from, so each
 * diagnostic can name the file, line and column of the offending value and
 * markers inside a string (a transformation entry) land on the right character.
 */
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

export function parseJsonWithLocations(text: string): ParsedJson {
  const locs = new Map<string, JsonLoc>();
  let depth = 0;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;

  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (msg: string, at = i): never => {
    throw new JsonSyntaxError(msg, at);
  };
  const describeHere = () => (i >= n ? 'end of file' : `'${text[i]}'`);

  const parseString = (): { value: string; charMap?: number[] } => {
    const start = i;
    i++; // opening quote
    let out = '';
    let map: number[] | undefined;
    let chunkStart = i;
    while (true) {
      if (i >= n) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c < 0x20) fail('control character in string (use \\n, \\t, …)');
      if (c === 92) {
        if (!map) {
          map = [];
          for (let k = start + 1; k < i; k++) map.push(k);
        } else for (let k = chunkStart; k < i; k++) map.push(k);
        out += text.slice(chunkStart, i);
        const escStart = i;
        const e = text[i + 1];
        let decoded: string;
        switch (e) {
          case '"':
            decoded = '"';
            break;
          case '\\':
            decoded = '\\';
            break;
          case '/':
            decoded = '/';
            break;
          case 'b':
            decoded = '\b';
            break;
          case 'f':
            decoded = '\f';
            break;
          case 'n':
            decoded = '\n';
            break;
          case 'r':
            decoded = '\r';
            break;
          case 't':
            decoded = '\t';
            break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape in string');
            decoded = String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            return fail(`bad escape '\\${e ?? ''}' in string`);
        }
        i += 2;
        out += decoded;
        map.push(escStart);
        chunkStart = i;
        continue;
      }
      i++;
    }
    if (map) {
      for (let k = chunkStart; k < i; k++) map.push(k);
      map.push(i);
    }
    out += text.slice(chunkStart, i);
    i++; // closing quote
    return { value: out, charMap: map };
  };

  const parseValue = (path: string, keyStart?: number, keyEnd?: number): unknown => {
    ws();
    const start = i;
    const c = text[i];
    let value: unknown;
    const loc: JsonLoc = { start, end: start, keyStart, keyEnd };
    locs.set(path, loc);
    if ((c === '{' || c === '[') && ++depth > MAX_JSON_DEPTH) fail(`arrays and objects nested more than ${MAX_JSON_DEPTH} levels deep`);
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          if (text[i] !== '"') fail(`expected a property name in double quotes but found ${describeHere()}`);
          const ks = i;
          const { value: key } = parseString();
          const ke = i;
          ws();
          if (text[i] !== ':') fail(`expected ':' after property name but found ${describeHere()}`);
          i++;
          const childPath = pathKey(path, key);
          if (Object.hasOwn(obj, key)) fail(`duplicate key "${key}"`, ks);
          // defineProperty, not assignment: a "__proto__" key is data, never the object's prototype
          Object.defineProperty(obj, key, { value: parseValue(childPath, ks, ke), enumerable: true, writable: true, configurable: true });
          ws();
          if (text[i] === ',') {
            i++;
            ws();
            if (text[i] === '}') fail('trailing comma before }');
            continue;
          }
          if (text[i] === '}') {
            i++;
            break;
          }
          fail(`expected ',' or '}' but found ${describeHere()}`);
        }
      }
      value = obj;
      depth--;
    } else if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') i++;
      else {
        for (;;) {
          arr.push(parseValue(pathKey(path, arr.length)));
          ws();
          if (text[i] === ',') {
            i++;
            ws();
            if (text[i] === ']') fail('trailing comma before ]');
            continue;
          }
          if (text[i] === ']') {
            i++;
            break;
          }
          fail(`expected ',' or ']' but found ${describeHere()}`);
        }
      }
      value = arr;
      depth--;
    } else if (c === '"') {
      const s = parseString();
      value = s.value;
      if (s.charMap) loc.charMap = s.charMap;
    } else if (c === 't' && text.startsWith('true', i)) {
      i += 4;
      value = true;
    } else if (c === 'f' && text.startsWith('false', i)) {
      i += 5;
      value = false;
    } else if (c === 'n' && text.startsWith('null', i)) {
      i += 4;
      value = null;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      if (!m) fail('invalid number');
      loc.raw = m![0];
      i += m![0].length;
      value = Number(m![0]);
    } else {
      fail(`unexpected ${describeHere()}`);
    }
    loc.end = i;
    return value;
  };

  const value = parseValue('');
  ws();
  if (i < n) fail(`unexpected ${describeHere()} after the end of the JSON value`);
  return { value, text, locs, lineStarts: lineStartsOf(text) };
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
