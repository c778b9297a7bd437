/**
 * Where in a JSON document an offset is: the path of the value it lies in and,
 * inside a string value, the string's content up to the offset. A tolerant
 * scanner (the document is often invalid while typing).
 */
export interface JsonPlace {
  path: (string | number)[];
  /** inside a string value (not a key) */
  inString: boolean;
  /** content of that string before the offset (raw, escapes not decoded) */
  before: string;
  /** offset of the string's first content character */
  stringStart: number;
}

export function jsonPlaceAt(text: string, offset: number): JsonPlace {
  type Frame = { kind: 'obj'; key: string | null; expectKey: boolean } | { kind: 'arr'; index: number };
  const stack: Frame[] = [];
  const pathOf = (): (string | number)[] =>
    stack.flatMap((f): (string | number)[] => (f.kind === 'obj' ? (f.key !== null && !f.expectKey ? [f.key] : []) : [f.index]));
  let i = 0;
  while (i < offset && i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const start = i + 1;
      let j = start;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      const isKey = top?.kind === 'obj' && top.expectKey;
      if (offset >= start && offset <= j) {
        return { path: pathOf(), inString: !isKey, before: text.slice(start, offset), stringStart: start };
      }
      if (isKey && top?.kind === 'obj') top.key = text.slice(start, j);
      i = j + 1;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === '{') stack.push({ kind: 'obj', key: null, expectKey: true });
    else if (c === '[') stack.push({ kind: 'arr', index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ':' && top?.kind === 'obj') top.expectKey = false;
    else if (c === ',') {
      if (top?.kind === 'obj') {
        top.expectKey = true;
        top.key = null;
      } else if (top?.kind === 'arr') top.index++;
    }
    i++;
  }
  return { path: pathOf(), inString: false, before: '', stringStart: offset };
}

export const isTransformationPath = (p: (string | number)[]) =>
  p.length === 3 && p[0] === 'processing' && p[1] === 'transformation' && typeof p[2] === 'number';
export const isRulePath = (p: (string | number)[]) =>
  p.length === 4 && p[0] === 'processing' && p[1] === 'aggregations' && p[2] === 'rule' && typeof p[3] === 'number';
