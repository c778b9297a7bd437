/**
 * JSON that also carries bigints and non-finite numbers, used on both sides of
 * the user realm's boundary (docs/sandbox.md): the sandbox evaluates this very
 * function's source inside the realm, so it must stay self-contained (no
 * imports, no outer references) and plain JavaScript.
 */
export function taggedJson(): { encode(v: unknown): string; decode(text: string): unknown } {
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const finite = Number.isFinite;
  const hasOwn = Object.prototype.hasOwnProperty;
  const call = Function.prototype.call;
  const own = (o: object, k: string) => call.call(hasOwn, o, k) as boolean;
  const apply = Reflect.apply;
  const includes = String.prototype.includes;
  const encode = (v: unknown): string =>
    stringify(v, (_k, x) => {
      if (typeof x === 'bigint') return { $big: `${x}` };
      if (typeof x === 'number' && (!finite(x) || (x === 0 && 1 / x < 0))) return { $num: x === 0 ? '-0' : `${x}` };
      return x;
    });
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
  return { encode, decode };
}
