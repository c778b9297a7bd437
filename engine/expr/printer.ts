/** Canonical printing of expressions; `parseBody(print(e))` gives back `e` (modulo offsets). */
import type { Expr, TransformEntry } from './ast.js';

function quoteString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r') + "'";
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'field':
      return e.name;
    case 'literal':
      if (e.type === 'StringType') return quoteString(e.value as string);
      if (e.type === 'BooleanType') return e.value ? 'True' : 'False';
      return e.raw;
    case 'call':
      return `${e.name}(${e.args.map(printExpr).join(', ')})`;
  }
}

export function printEntry(t: TransformEntry): string {
  if (t.form === 'field') return t.name;
  return `${t.name}: ${printExpr(t.body)}`;
}
