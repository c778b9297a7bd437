/**
 * JSON that also carries bigints and non-finite numbers, used on both sides of
 * the user realm's boundary (docs/sandbox.md): the sandbox evaluates this very
 * function's source inside the realm, so it must stay self-contained (no
 * imports, no outer references) and plain JavaScript.
 */
export function taggedJson(): { encode(v: unknown): string; encodeData(v: unknown): string; decode(text: string): unknown } {
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const finite = Number.isFinite;
  const hasOwn = Object.prototype.hasOwnProperty;
  const call = Function.prototype.call;
  const own = (o: object, k: string) => call.call(hasOwn, o, k) as boolean;
  const apply = Reflect.apply;
  const includes = String.prototype.includes;
  const isArray = Array.isArray;
  const encode = (v: unknown): string =>
    stringify(v, (_k, x) => {
      if (typeof x === 'bigint') return { $big: `${x}` };
      if (typeof x === 'number' && (!finite(x) || (x === 0 && 1 / x < 0))) return { $num: x === 0 ? '-0' : `${x}` };
      return x;
    });
  /** true when nothing in `x` needs a tag: no bigint, no non-finite number, no −0 */
  const untagged = (x: unknown): boolean => {
    if (typeof x === 'number') return finite(x) && (x !== 0 || 1 / x > 0);
    if (typeof x === 'bigint') return false;
    if (x === null || typeof x !== 'object') return true;
    if (isArray(x)) {
      for (let i = 0; i < x.length; i++) if (!untagged(x[i])) return false;
      return true;
    }
    for (const k in x) if (own(x, k) && !untagged((x as Record<string, unknown>)[k])) return false;
    return true;
  };
  // Data the engine made (windows, points): most of it needs no tag, and is then stringified without calling a replacer
  // per value (5 million calls for a window of 100 000 rows of 8 values and a key of 2). Not for values user code made:
  // looking through them first would run their getters twice.
  const encodeData = (v: unknown): string => (untagged(v) ? stringify(v) : encode(v));
  // a text without either tag (most windows and reports) is plain JSON: parsed without calling a reviver per value
  const decode = (text: string): unknown =>
    !apply(includes, text, ['"$big"']) && !apply(includes, text, ['"$num"'])
      ? parse(text)
      : parse(text, (_k, x) => {
          if (x === null || typeof x !== 'object') return x;
          if (own(x, '$big') && typeof x.$big === 'string') return BigInt(x.$big);
          if (own(x, '$num') && typeof x.$num === 'string') return x.$num === '-0' ? -0 : Number(x.$num);
          return x;
        });
  return { encode, encodeData, decode };
}
