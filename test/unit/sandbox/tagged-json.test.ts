// Values cross the user realm's boundary as JSON that keeps bigints, NaN, ±Infinity and -0 (docs/sandbox.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taggedJson } from '../../../engine/sandbox/tagged-json.js';

const { encode, encodeData, decode } = taggedJson();
const value = fc.oneof(fc.double(), fc.bigInt(), fc.string(), fc.boolean(), fc.constant(null), fc.integer());

describe('tagged JSON', () => {
  it('gives back every value it encodes, in records and arrays', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), fc.array(value), (values, key) => {
        const back = decode(encode({ values, key })) as { values: Record<string, unknown>; key: unknown[] };
        expect(back.key).toEqual(key);
        for (const [k, v] of Object.entries(values)) expect(Object.is(back.values[k], v) || back.values[k] === v).toBe(true);
      }),
    );
  });
  it('reads a text without tags as plain JSON, and one whose strings only spell a tag as strings', () => {
    const plain = { values: { a: 1.5, b: 'x', c: [true, null] }, key: [1, 'k'] };
    expect(encode(plain)).not.toMatch(/"\$(big|num)"/);
    expect(decode(encode(plain))).toEqual(plain);
    const spelled = { s: '"$big"', t: '$num', u: ['{"$big":"1"}'], n: 2n };
    expect(decode(encode(spelled))).toEqual(spelled);
  });
  it('encodes engine data as encode does, skipping the replacer only when nothing needs a tag', () => {
    // windows and points nest records in arrays in records; undefined, holes and nested arrays as JSON has them
    const data = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        value,
        fc.constant(undefined),
        fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY),
        tie('list'),
        tie('record'),
      ),
      list: fc.array(tie('node'), { maxLength: 5 }),
      record: fc.dictionary(fc.string(), tie('node'), { maxKeys: 5 }),
    })).node;
    fc.assert(
      fc.property(data, (v) => {
        expect(encodeData(v)).toBe(encode(v));
      }),
    );
    // and what is tagged at any depth comes back (JSON has no undefined: those are left out)
    const tagged = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, value, fc.constantFrom(-0, Number.NaN, Number.NEGATIVE_INFINITY), tie('list'), tie('record')),
      list: fc.array(tie('node'), { maxLength: 5 }),
      record: fc.dictionary(fc.string(), tie('node'), { maxKeys: 5 }),
    })).node;
    fc.assert(
      fc.property(tagged, (v) => {
        expect(decode(encodeData(v))).toEqual(v);
      }),
    );
    // a tag deep down is still found
    expect(
      encodeData({
        rows: [
          [
            [1, 2],
            [3, [4, -0]],
          ],
        ],
      }),
    ).toBe(
      encode({
        rows: [
          [
            [1, 2],
            [3, [4, -0]],
          ],
        ],
      }),
    );
    expect(encodeData({ rows: [[1, 2n]] })).toContain('"$big"');
  });
  it('is self-contained, so its source can be evaluated in the realm', () => {
    const again = new Function(`return (${taggedJson.toString()})();`)() as ReturnType<typeof taggedJson>;
    expect(again.decode(encode([1n, -0, Number.NaN]))).toEqual([1n, -0, Number.NaN]);
  });
});
