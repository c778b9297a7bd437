/**
 * What a user module exports, read from its source without running it (a
 * folder the user has not trusted, docs/sandbox.md): literal entries of
 * `transformFunctions` / `aggregateFunctions` (name, arity, params, returns,
 * accepts, doc) and the classes it exports. esbuild strips TypeScript; a small
 * tokenizer reads literals and skips everything else. Whatever is not a
 * literal is "unknown", and `complete` says whether the lists were literal.
 */
import fs from 'node:fs';
import type { UnsavedSources } from '../core/files.js';
import type { ModuleShape, RawAggregate, RawTransform } from '../sandbox/protocol.js';

export interface StaticShape extends ModuleShape {
  /** false when a list is built by code, so names may be missing */
  complete: boolean;
}

type Tok = { t: 'str' | 'num' | 'id' | 'punct' | 'tmpl' | 'regex'; v: string };

const PUNCT_BEFORE_REGEX = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^', '=>']);

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = src.length;
  const prevAllowsRegex = () => {
    const p = out[out.length - 1];
    return (
      !p ||
      (p.t === 'punct' && PUNCT_BEFORE_REGEX.has(p.v)) ||
      (p.t === 'id' && ['return', 'typeof', 'case', 'in', 'of', 'new', 'delete', 'void', 'throw'].includes(p.v))
    );
  };
  while (i < n) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let v = '';
      while (j < n && src[j] !== c) {
        if (src[j] === '\\') {
          const e = src[j + 1] ?? '';
          v += ({ n: '\n', t: '\t', r: '\r', 0: '\0' } as Record<string, string>)[e] ?? e;
          j += 2;
        } else v += src[j++];
      }
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (c === '`') {
      // templates: skipped as a whole (nested ${…} balanced)
      let j = i + 1;
      let depth = 0;
      while (j < n) {
        if (src[j] === '\\') j += 2;
        else if (depth === 0 && src[j] === '`') break;
        else if (src[j] === '$' && src[j + 1] === '{') {
          depth++;
          j += 2;
        } else if (depth > 0 && src[j] === '}') {
          depth--;
          j++;
        } else j++;
      }
      out.push({ t: 'tmpl', v: src.slice(i, j + 1) });
      i = j + 1;
    } else if (c === '/' && prevAllowsRegex()) {
      let j = i + 1;
      let cls = false;
      while (j < n && (cls || src[j] !== '/') && src[j] !== '\n') {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') cls = true;
        else if (src[j] === ']') cls = false;
        j++;
      }
      j++;
      while (j < n && /[a-z]/i.test(src[j]!)) j++;
      out.push({ t: 'regex', v: src.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xob][0-9a-f_]+|[0-9_]*\.?[0-9_]*(e[+-]?[0-9]+)?)n?/i.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0] });
      i += Math.max(1, m[0].length);
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z0-9_$\u0080-\uffff]+/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      const three = src.slice(i, i + 3);
      const two = src.slice(i, i + 2);
      const p = ['...', '===', '!=='].includes(three) ? three : ['=>', '==', '!=', '&&', '||', '??', '?.', '<=', '>=', '++', '--'].includes(two) ? two : c;
      out.push({ t: 'punct', v: p });
      i += p.length;
    }
  }
  return out;
}

const UNKNOWN = Symbol('unknown');
const FUNCTION = Symbol('function');
type Lit = string | number | boolean | null | Lit[] | { [k: string]: Lit } | typeof UNKNOWN | typeof FUNCTION;

class Reader {
  i = 0;
  constructor(readonly toks: Tok[]) {}
  peek(k = 0): Tok | undefined {
    return this.toks[this.i + k];
  }
  is(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && (t.t === 'punct' || t.t === 'id') && t.v === v;
  }
  /** skips one expression: up to a `,` or closing bracket at depth 0 */
  skipExpr(): void {
    let depth = 0;
    while (this.i < this.toks.length) {
      const t = this.toks[this.i]!;
      if (t.t === 'punct') {
        if (t.v === '(' || t.v === '[' || t.v === '{') depth++;
        else if (t.v === ')' || t.v === ']' || t.v === '}') {
          if (depth === 0) return;
          depth--;
        } else if (t.v === ',' && depth === 0) return;
        else if (t.v === ';' && depth === 0) return;
      }
      this.i++;
    }
  }
  value(): Lit {
    const start = this.i;
    const t = this.peek();
    if (!t) return UNKNOWN;
    const done = (v: Lit): Lit => {
      const n = this.peek();
      // a literal followed by more expression (`'a' + b`, `f()`) is not a literal
      if (n && !(n.t === 'punct' && [',', ']', '}', ')', ';'].includes(n.v))) {
        this.i = start;
        this.skipExpr();
        return UNKNOWN;
      }
      return v;
    };
    if (t.t === 'str') {
      this.i++;
      return done(t.v);
    }
    if (t.t === 'num') {
      this.i++;
      return done(Number(t.v.replace(/_/g, '')));
    }
    if (t.t === 'punct' && t.v === '-' && this.peek(1)?.t === 'num') {
      this.i += 2;
      return done(-Number(this.peek(-1)!.v));
    }
    if (t.t === 'id' && (t.v === 'true' || t.v === 'false' || t.v === 'null')) {
      this.i++;
      return done(t.v === 'null' ? null : t.v === 'true');
    }
    if (this.is('function') || this.is('async') || this.is('class') || this.isArrow()) {
      this.skipExpr();
      return FUNCTION;
    }
    if (this.is('[')) {
      const arr: Lit[] = [];
      this.items(
        ']',
        () => arr.push(UNKNOWN),
        () => arr.push(this.value()),
      );
      return done(arr);
    }
    if (this.is('{')) {
      const obj: { [k: string]: Lit } = {};
      this.items(
        '}',
        () => (obj['...'] = UNKNOWN),
        () => this.property(obj),
      );
      return done(obj);
    }
    this.skipExpr();
    return UNKNOWN;
  }
  /** the entries of a literal up to `close`: commas skipped, spreads are unknown */
  items(close: string, spread: () => void, item: () => void): void {
    this.i++;
    while (this.peek() && !this.is(close)) {
      if (this.is(',')) {
        this.i++;
        continue;
      }
      if (this.is('...')) {
        this.i++;
        this.skipExpr();
        spread();
        continue;
      }
      item();
    }
    this.i++;
  }
  /** one property of an object literal into `obj` */
  property(obj: { [k: string]: Lit }): void {
    let key: string | undefined;
    if (this.is('async') || this.is('get') || this.is('set')) {
      if (!this.is(':', 1) && !this.is('(', 1) && !this.is(',', 1)) this.i++;
    }
    if (this.is('*')) this.i++;
    const k = this.peek()!;
    if (k.t === 'id' || k.t === 'str' || k.t === 'num') {
      key = k.v;
      this.i++;
    } else if (this.is('[')) {
      this.skipBalanced();
    }
    if (this.is(':')) {
      this.i++;
      const v = this.value();
      if (key !== undefined) obj[key] = v;
    } else if (this.is('(')) {
      // method shorthand
      this.skipBalanced();
      if (this.is('{')) this.skipBalanced();
      if (key !== undefined) obj[key] = FUNCTION;
    } else if (key !== undefined) obj[key] = UNKNOWN; // shorthand property
  }
  isArrow(): boolean {
    if (this.peek()?.t === 'id' && this.is('=>', 1)) return true;
    if (!this.is('(')) return false;
    let depth = 0;
    for (let k = this.i; k < this.toks.length; k++) {
      const t = this.toks[k]!;
      if (t.t !== 'punct') continue;
      if (t.v === '(') depth++;
      else if (t.v === ')') {
        depth--;
        if (depth === 0) return this.toks[k + 1]?.t === 'punct' && this.toks[k + 1]!.v === '=>';
      }
    }
    return false;
  }
  skipBalanced(): void {
    let depth = 0;
    do {
      const t = this.toks[this.i++];
      if (!t) return;
      if (t.t === 'punct' && ['(', '[', '{'].includes(t.v)) depth++;
      else if (t.t === 'punct' && [')', ']', '}'].includes(t.v)) depth--;
    } while (depth > 0);
  }
}

/** The literal after a top-level `const|let|var <name> =`, or undefined when the module has no such declaration. */
function declaration(toks: Tok[], name: string): Lit | undefined {
  for (let i = 0; i + 2 < toks.length; i++) {
    const t = toks[i]!;
    if (t.t === 'id' && ['const', 'let', 'var'].includes(t.v) && toks[i + 1]!.t === 'id' && toks[i + 1]!.v === name && toks[i + 2]!.v === '=') {
      const r = new Reader(toks);
      r.i = i + 3;
      return r.value();
    }
  }
  return undefined;
}

/** Classes with an `analysis` method declared in the module, by their exported names. */
function exportedClasses(toks: Tok[]): Record<string, boolean> {
  const classes = new Map<string, boolean>();
  const exported = new Map<string, string>();
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.t !== 'id' || t.v !== 'class') continue;
    const named = toks[i + 1]?.t === 'id' && !['extends'].includes(toks[i + 1]!.v) ? toks[i + 1]!.v : undefined;
    const open = toks.findIndex((x, k) => k > i && x.t === 'punct' && x.v === '{');
    if (open < 0) continue;
    let depth = 0;
    let hasAnalysis = false;
    let k = open;
    for (; k < toks.length; k++) {
      const x = toks[k]!;
      if (x.t === 'punct' && ['(', '[', '{'].includes(x.v)) depth++;
      else if (x.t === 'punct' && [')', ']', '}'].includes(x.v)) {
        depth--;
        if (depth === 0) break;
      } else if (depth === 1 && x.t === 'id' && x.v === 'analysis' && toks[k + 1]?.v === '(') hasAnalysis = true;
    }
    const isDefault = toks[i - 1]?.v === 'default' && toks[i - 2]?.v === 'export';
    const isExported = toks[i - 1]?.v === 'export';
    if (named) classes.set(named, hasAnalysis);
    if (isDefault) exported.set('default', named ?? '\0anonymous');
    if (isDefault && !named) classes.set('\0anonymous', hasAnalysis);
    if (isExported && named) exported.set(named, named);
  }
  // export { A, B as C }
  for (let i = 0; i < toks.length; i++) {
    if (toks[i]!.v !== 'export' || toks[i + 1]?.v !== '{') continue;
    for (let k = i + 2; k < toks.length && toks[k]!.v !== '}'; k++) {
      const local = toks[k]!;
      if (local.t !== 'id') continue;
      if (toks[k + 1]?.v === 'as' && toks[k + 2]) {
        exported.set(toks[k + 2]!.v, local.v);
        k += 2;
      } else exported.set(local.v, local.v);
    }
  }
  const out: Record<string, boolean> = {};
  for (const [name, local] of exported) out[name] = classes.get(local) ?? false;
  return out;
}

const asString = (v: Lit) => (typeof v === 'string' ? v : undefined);

export async function staticShape(file: string, sources?: UnsavedSources): Promise<StaticShape | { error: string }> {
  let src: string;
  try {
    src = sources?.(file) ?? fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { error: `cannot read ${file}: ${(e as Error).message}` };
  }
  const esbuild = await import('esbuild');
  const loader = /\.(m|c)?tsx?$/.test(file) ? (file.endsWith('x') ? 'tsx' : 'ts') : 'js';
  let js: string;
  try {
    js = (await esbuild.transform(src, { loader, format: 'esm', target: 'es2022', sourcefile: file, logLevel: 'silent' })).code;
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    return { error: first ? `${file}:${first.location?.line ?? 1}:${(first.location?.column ?? 0) + 1}: ${first.text}` : (e as Error).message };
  }
  const toks = tokenize(js);
  let complete = true;
  const listOf = (name: string): Lit[] => {
    const v = declaration(toks, name);
    if (v === undefined) {
      if (toks.some((t) => t.t === 'id' && t.v === name)) complete = false;
      return [];
    }
    if (!Array.isArray(v)) {
      complete = false;
      return [];
    }
    if (v.some((x) => x === UNKNOWN)) complete = false;
    return v.filter((x) => x !== UNKNOWN);
  };
  const transform = listOf('transformFunctions').map((f): { problem: string } | RawTransform => {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return { problem: 'is not an object literal' };
    const o = f as Record<string, Lit>;
    if ('...' in o || typeof o.name !== 'string') complete = false;
    return {
      name: asString(o.name ?? UNKNOWN),
      arity: typeof o.arity === 'number' ? o.arity : undefined,
      params: Array.isArray(o.params) ? o.params.map((p) => (typeof p === 'string' ? p : '?')) : undefined,
      returns: asString(o.returns ?? UNKNOWN),
      doc: asString(o.doc ?? UNKNOWN),
      hasResultType: o.resultType !== undefined,
      hasApply: o.apply !== undefined,
    };
  });
  const aggregate = listOf('aggregateFunctions').map((f): { problem: string } | RawAggregate => {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return { problem: 'is not an object literal' };
    const o = f as Record<string, Lit>;
    if ('...' in o || typeof o.name !== 'string') complete = false;
    return {
      name: asString(o.name ?? UNKNOWN),
      accepts: Array.isArray(o.accepts) ? o.accepts.map((p) => (typeof p === 'string' ? p : '?')) : undefined,
      doc: asString(o.doc ?? UNKNOWN),
      hasCombine: o.combine !== undefined,
      resultTypes: o.resultType !== undefined ? {} : undefined,
    };
  });
  const analysesLit = declaration(toks, 'analyses');
  const analyses: Record<string, boolean> = {};
  if (analysesLit && typeof analysesLit === 'object' && !Array.isArray(analysesLit)) {
    for (const k of Object.keys(analysesLit)) if (k !== '...') analyses[k] = true;
  }
  return { transform, aggregate, exports: exportedClasses(toks), analyses, complete };
}
