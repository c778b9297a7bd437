/**
 * Recursive-descent parser for transformation entries (docs/semantics.md#language).
 *   entry := IDENT | IDENT ":" body          (split at the first colon outside quotes, docs/semantics.md#tokenizer)
 *   body  := call | literal | fieldref
 */
import { EngineError } from '../core/errors.js';
import type { Call, Expr, Literal, TransformEntry } from './ast.js';
import { tokenize, type Token } from './tokenizer.js';
import { normBig } from '../values/numeric.js';

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Offset of the first `:` outside string literals, or -1. */
function firstColon(src: string): number {
  let quote = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (quote) {
      if (c === 92) i++;
      else if (c === quote) quote = 0;
    } else if (c === 39 || c === 34) quote = c;
    else if (c === 58) return i;
  }
  return -1;
}

function trimRange(src: string, from: number, to: number): [number, number] {
  while (from < to && /\s/.test(src[from]!)) from++;
  while (to > from && /\s/.test(src[to - 1]!)) to--;
  return [from, to];
}

/**
 * Reference-compatible check of bracket balance outside string literals. Like
 * the reference (docs/semantics.md#tokenizer), a call-shaped body `name( … )` is counted inside its
 * argument list, so `add((1,2)` reports 1 open and 0 close brackets.
 */
function checkBrackets(src: string, from: number, to: number): void {
  let open = 0;
  let close = 0;
  let quote = 0;
  const call = /^[A-Za-z_][A-Za-z0-9_]*\s*\(/.exec(src.slice(from, to));
  const [lo, hi] = call && to - from > call[0].length && src.charCodeAt(to - 1) === 41 ? [from + call[0].length, to - 1] : [from, to];
  for (let i = lo; i < hi; i++) {
    const c = src.charCodeAt(i);
    if (quote) {
      if (c === 92) i++;
      else if (c === quote) quote = 0;
    } else if (c === 39 || c === 34) quote = c;
    else if (c === 40) open++;
    else if (c === 41) close++;
  }
  // an unterminated string literal: the tokenizer reports it at its position
  if (quote) return;
  if (open !== close) {
    throw new EngineError('IncorrectExpression', `Incorrect expression: ${open} open brackets and ${close} close brackets `, { from, to });
  }
}

export function parseEntry(entry: string): TransformEntry {
  const colon = firstColon(entry);
  if (colon < 0) {
    const [from, to] = trimRange(entry, 0, entry.length);
    const text = entry.slice(from, to);
    if (!IDENT_RE.test(text)) {
      if (text.length === 0) {
        throw new EngineError('FieldNotExists', `Field with name '' does not exists`, { from, to: Math.max(to, from + 1) });
      }
      // a bare expression without a name: parse it for a precise error first
      const body = parseBody(entry, from, to);
      throw new EngineError(
        'IncorrectExpression',
        `Incorrect expression: '${text}' needs an output column name, e.g. "${body.kind === 'call' ? body.name : 'col'}: ${text}"`,
        { from, to },
      );
    }
    return { name: text, nameSpan: { from, to }, body: { kind: 'field', name: text, from, to }, form: 'field' };
  }
  const [nFrom, nTo] = trimRange(entry, 0, colon);
  const name = entry.slice(nFrom, nTo);
  if (!IDENT_RE.test(name)) {
    throw new EngineError(
      'IncorrectExpression',
      name.length === 0
        ? 'Incorrect expression: missing output column name before ":"'
        : `Incorrect expression: output column name '${name}' must match [A-Za-z_][A-Za-z0-9_]*`,
      { from: nFrom, to: Math.max(nTo, nFrom + 1) },
    );
  }
  const [bFrom, bTo] = trimRange(entry, colon + 1, entry.length);
  if (bFrom >= bTo) {
    throw new EngineError('FieldNotExists', `Field with name '' does not exists`, { from: colon, to: colon + 1 });
  }
  const body = parseBody(entry, bFrom, bTo);
  const form = body.kind === 'call' ? 'call' : body.kind === 'literal' ? 'constant' : 'rename';
  return { name, nameSpan: { from: nFrom, to: nTo }, body, form };
}

/** Parse one expression occupying `src[from, to)`. */
/**
 * Deepest nesting of calls in one expression: generous for people, and bounded so neither this
 * recursive parser nor the JavaScript compiler of the generated code runs out of stack.
 */
export const MAX_CALL_DEPTH = 200;

export function parseBody(src: string, from = 0, to = src.length): Expr {
  checkBrackets(src, from, to);
  const tokens = tokenize(src, from, to);
  let pos = 0;
  let depth = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;

  const unexpected = (t: Token, expected: string): never => {
    const what = t.kind === 'eof' ? 'end of expression' : `'${src.slice(t.from, t.to)}'`;
    throw new EngineError('IncorrectExpression', `Incorrect expression: expected ${expected} but found ${what}`, {
      from: t.from,
      to: Math.max(t.to, t.from + 1),
    });
  };

  const parseExpr = (): Expr => {
    const t = next();
    switch (t.kind) {
      case 'int': {
        const big = BigInt(t.text.startsWith('+') ? t.text.slice(1) : t.text);
        return { kind: 'literal', type: 'LongType', value: normBig(big), raw: t.text, from: t.from, to: t.to };
      }
      case 'float':
        return { kind: 'literal', type: 'FloatType', value: Number(t.text), raw: t.text, from: t.from, to: t.to };
      case 'string':
        return { kind: 'literal', type: 'StringType', value: t.text, raw: src.slice(t.from, t.to), from: t.from, to: t.to };
      case 'ident': {
        if (peek().kind === '(') {
          if (++depth > MAX_CALL_DEPTH) {
            throw new EngineError('IncorrectExpression', `Incorrect expression: calls nested more than ${MAX_CALL_DEPTH} levels deep`, {
              from: t.from,
              to: t.to,
            });
          }
          next();
          const args: Expr[] = [];
          if (peek().kind !== ')') {
            for (;;) {
              args.push(parseExpr());
              const sep = next();
              if (sep.kind === ')') break;
              if (sep.kind !== ',') unexpected(sep, "',' or ')'");
              if (peek().kind === ')') unexpected(peek(), "an argument after ','");
            }
          } else next();
          const close = tokens[pos - 1]!;
          depth--;
          const call: Call = { kind: 'call', name: t.text, nameSpan: { from: t.from, to: t.to }, args, from: t.from, to: close.to };
          return call;
        }
        if (t.text === 'True' || t.text === 'False') {
          const lit: Literal = { kind: 'literal', type: 'BooleanType', value: t.text === 'True', raw: t.text, from: t.from, to: t.to };
          return lit;
        }
        return { kind: 'field', name: t.text, from: t.from, to: t.to };
      }
      default:
        return unexpected(t, 'a field, a literal or a function call');
    }
  };

  const expr = parseExpr();
  if (peek().kind !== 'eof') unexpected(peek(), 'end of expression');
  return expr;
}
