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
  /** a number JSON writes as it is: finite, and not −0 */
  const plainNumber = (x: number): boolean => finite(x) && (x !== 0 || 1 / x > 0);
  const encode = (v: unknown): string =>
    stringify(v, (_k, x) => {
      if (typeof x === 'bigint') return { $big: `${x}` };
      if (typeof x === 'number' && !plainNumber(x)) return { $num: x === 0 ? '-0' : `${x}` };
      return x;
    });
  /** true when nothing in `x` needs a tag: no bigint, no non-finite number, no −0 */
  const untagged = (x: unknown): boolean => {
    if (typeof x === 'number') return plainNumber(x);
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
  const big = BigInt;
  const toNumber = Number;
  const keysOf = Object.keys;
  /** a tagged value as what it stands for, or `x` itself with its tagged values replaced, depth first */
  const untag = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (isArray(x)) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        if (v !== null && typeof v === 'object') x[i] = untag(v);
      }
      return x;
    }
    const o = x as Record<string, unknown>;
    if (own(o, '$big') && typeof o.$big === 'string') return big(o.$big);
    if (own(o, '$num') && typeof o.$num === 'string') return o.$num === '-0' ? -0 : toNumber(o.$num);
    const names = keysOf(o);
    for (let i = 0; i < names.length; i++) {
      const v = o[names[i]!];
      if (v !== null && typeof v === 'object') o[names[i]!] = untag(v);
    }
    return o;
  };
  // A text without either tag (most windows and reports) is plain JSON. One with tags (points carry their time as a
  // bigint) is parsed as plain JSON too, then walked: JSON.parse calling a reviver for every value was several times
  // slower. The parsed objects are JSON.parse's own, so the walk meets no getter.
  const decode = (text: string): unknown => (!apply(includes, text, ['"$big"']) && !apply(includes, text, ['"$num"']) ? parse(text) : untag(parse(text)));
  return { encode, encodeData, decode };
}
