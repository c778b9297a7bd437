/**
 * Quote-aware tokenizer for transformation bodies (docs/semantics.md#tokenizer).
 * Scans char codes directly; every token carries its offsets.
 */
import { EngineError } from '../core/errors.js';

export type TokenKind = 'ident' | 'int' | 'float' | 'string' | '(' | ')' | ',' | 'eof';

export interface Token {
  kind: TokenKind;
  from: number;
  to: number;
  /** identifier text, numeric source text, or the unescaped string contents */
  text: string;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c);
const isWhite = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

function describeChar(ch: string): string {
  return ch === "'" ? '"\'"' : `'${ch}'`;
}

export function tokenize(src: string, start = 0, end = src.length): Token[] {
  const tokens: Token[] = [];
  let i = start;
  while (i < end) {
    const c = src.charCodeAt(i);
    if (isWhite(c)) {
      i++;
      continue;
    }
    const from = i;
    if (c === 40 || c === 41 || c === 44) {
      tokens.push({ kind: src[i] as '(' | ')' | ',', from, to: i + 1, text: src[i]! });
      i++;
      continue;
    }
    if (isIdentStart(c)) {
      while (i < end && isIdentPart(src.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', from, to: i, text: src.slice(from, i) });
      continue;
    }
    if (c === 39 || c === 34) {
      // string literal with backslash escapes \' \" \\ (others keep the backslash, as Python does)
      const quote = c;
      let text = '';
      i++;
      let closed = false;
      while (i < end) {
        const d = src.charCodeAt(i);
        if (d === 92 && i + 1 < end) {
          const e = src[i + 1]!;
          if (e === "'" || e === '"' || e === '\\') text += e;
          else if (e === 'n') text += '\n';
          else if (e === 't') text += '\t';
          else if (e === 'r') text += '\r';
          else text += '\\' + e;
          i += 2;
          continue;
        }
        if (d === quote) {
          closed = true;
          i++;
          break;
        }
        text += src[i];
        i++;
      }
      if (!closed) {
        throw new EngineError('IncorrectExpression', `Incorrect expression: unterminated string literal (no closing ${quote === 39 ? '"\'"' : "'\"'"})`, {
          from,
          to: end,
        });
      }
      tokens.push({ kind: 'string', from, to: i, text });
      continue;
    }
    if (c === 43 || c === 45 || c === 46 || isDigit(c)) {
      i = scanNumber(src, i, end, tokens);
      continue;
    }
    throw new EngineError('IncorrectExpression', `Incorrect expression: unexpected character ${describeChar(src[i]!)}`, { from, to: from + 1 });
  }
  tokens.push({ kind: 'eof', from: end, to: end, text: '' });
  return tokens;
}

/** INT := [+-] DIGITS ;  FLOAT := [+-] (DIGITS "." [DIGITS] | "." DIGITS) [EXP] | [+-] DIGITS EXP */
function scanNumber(src: string, i: number, end: number, tokens: Token[]): number {
  const from = i;
  let c = src.charCodeAt(i);
  if (c === 43 || c === 45) i++;
  let intDigits = 0;
  while (i < end && isDigit(src.charCodeAt(i))) {
    i++;
    intDigits++;
  }
  let isFloat = false;
  let fracDigits = 0;
  if (i < end && src.charCodeAt(i) === 46) {
    isFloat = true;
    i++;
    while (i < end && isDigit(src.charCodeAt(i))) {
      i++;
      fracDigits++;
    }
  }
  if (intDigits === 0 && fracDigits === 0) {
    throw new EngineError('IncorrectExpression', `Incorrect expression: malformed number`, { from, to: Math.max(i, from + 1) });
  }
  if (i < end && (src.charCodeAt(i) | 0x20) === 101) {
    let j = i + 1;
    c = src.charCodeAt(j);
    if (c === 43 || c === 45) j++;
    let expDigits = 0;
    while (j < end && isDigit(src.charCodeAt(j))) {
      j++;
      expDigits++;
    }
    if (expDigits === 0) {
      throw new EngineError('IncorrectExpression', `Incorrect expression: malformed exponent`, { from, to: j });
    }
    i = j;
    isFloat = true;
  }
  // a number must not run straight into an identifier character: 0x1F, 1_000, 12abc (docs/semantics.md#tokenizer)
  if (i < end && (isIdentPart(src.charCodeAt(i)) || src.charCodeAt(i) === 46)) {
    let j = i;
    while (j < end && (isIdentPart(src.charCodeAt(j)) || src.charCodeAt(j) === 46)) j++;
    throw new EngineError(
      'IncorrectExpression',
      `Incorrect expression: '${src.slice(from, j)}' is not a valid number (only decimal literals such as 13, -13.5, 4E+8)`,
      { from, to: j },
    );
  }
  tokens.push({ kind: isFloat ? 'float' : 'int', from, to: i, text: src.slice(from, i) });
  return i;
}
