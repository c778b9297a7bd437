// Aggregation rules (docs/semantics.md#aggregate-functions, docs/semantics.md#aggregation-rules): rule syntax, the reference's messages/phrases, semantic validation and the plan.
import { describe, expect, it } from 'vitest';
import type { Column, FieldType } from '../../../engine/core/types.js';
import { planAggregation, type AggregationPlan } from '../../../engine/aggregate/rules.js';
import { BUILTIN_AGGREGATE_MAP } from '../../../engine/aggregate/functions.js';

const cols = (spec: Record<string, FieldType>): Column[] => Object.entries(spec).map(([name, type]) => ({ name, type }));

const FLOW_COLS = cols({ src_ip: 'StringType', packet_size: 'LongType', traffic: 'LongType' });

function plan(operation: string, rules: string[], columns: Column[] = FLOW_COLS): AggregationPlan {
  const r = planAggregation(operation, rules, columns, BUILTIN_AGGREGATE_MAP);
  expect(r.errors.map((e) => e.error.message)).toEqual([]);
  return r.plan!;
}

function errors(operation: string, rules: string[], columns: Column[] = FLOW_COLS): { ruleIndex: number; cls: string; message: string }[] {
  const r = planAggregation(operation, rules, columns, BUILTIN_AGGREGATE_MAP);
  expect(r.plan).toBeUndefined();
  return r.errors.map((e) => ({ ruleIndex: e.ruleIndex, cls: e.error.errorClass, message: e.error.message }));
}

function firstError(operation: string, rules: string[], columns: Column[] = FLOW_COLS): string {
  const e = errors(operation, rules, columns);
  expect(e.length).toBeGreaterThan(0);
  expect(e[0]!.cls).toBe('NotValidAggregationExpression');
  return e[0]!.message;
}

describe('operation_type (2.3)', () => {
  it("other values: The operation '<value>' don't support ", () => {
    expect(firstError('reducebykey', ['sum(traffic)'])).toBe("The operation 'reducebykey' don't support ");
    expect(firstError('Reduce', [])).toBe("The operation 'Reduce' don't support ");
  });
  it('empty transformation and rule with reduce is accepted (an empty tuple per window)', () => {
    const p = plan('reduce', [], []);
    expect(p.keys).toEqual([]);
    expect(p.values).toEqual([]);
  });
});

describe('syntax errors of 6.1 and their phrases', () => {
  it('Invalid characters detected (6.1.1)', () => {
    expect(firstError('reduce', ['sum(field_name1)#'], cols({ field_name1: 'LongType' }))).toBe(
      "Error: Error in the field 'sum(field_name1)#'. Invalid characters detected.",
    );
    expect(firstError('reduce', ['sum(counter);'], cols({ counter: 'LongType' }))).toContain('Invalid characters detected');
  });
  it('left-over text: Perhaps a semicolon is missing (6.1.3)', () => {
    const c = cols({ field_name1: 'LongType', key: 'LongType', field_nameN: 'LongType' });
    const msg = firstError('reduce', ['sum(field_name1) sdfsdf', 'min(key)', 'sum(field_nameN)'], c);
    expect(msg).toContain('Perhaps a semicolon is missing');
    expect(msg).toContain("['sum(field_name1) sdfsdf', 'min(key)', 'sum(field_nameN)']");
  });
  it('two aggregates in one string (6.1.4): unquoted list; with a comma: quoted list', () => {
    const c = cols({ a: 'LongType', b: 'LongType' });
    expect(firstError('reduce', ['sum(a) max(b)'], c)).toBe("Error: Error in the rule ['sum(a) max(b)']. Perhaps a semicolon is missing.");
    const quoted = firstError('reduce', ['sum(a), max(b)'], c);
    expect(quoted).toContain('Perhaps a semicolon is missing');
    expect(quoted).toContain(`"['sum(a), max(b)']"`);
  });
  it('a key in reduce mode: Perhaps a parenthesis is missing (6.1.5)', () => {
    expect(firstError('reduce', ['key: src_ip', 'sum(traffic)'])).toContain(
      'Error: Error in the field key: src_ip. Perhaps a parenthesis is missing or semicolon',
    );
  });
  it('a second key declaration: Key field is not unique in rule (6.1.6)', () => {
    const msg = firstError('reduceByKey', ['key: src_ip', 'key: packet_size', 'sum(traffic)']);
    expect(msg).toContain('Key field is not unique in rule');
    expect(msg).toContain("['key: src_ip', 'key: packet_size', 'sum(traffic)']");
  });
  it('unbalanced key parentheses: The number of opening and closing parentheses (6.1.6)', () => {
    const msg = firstError('reduceByKey', ['key: (key_field1, key_field2', 'sum(x)']);
    expect(msg).toBe("Error: The number of opening and closing parentheses does not match '(key_field1, key_field2'.");
  });
  it("no key declaration: don't contain key field (6.1.6)", () => {
    const msg = firstError('reduceByKey', ['sum(traffic)', 'sum(packet_size)']);
    expect(msg).toContain("don't contain key field");
    expect(msg).toBe(`Error: The rule "['sum(traffic)', 'sum(packet_size)']" don't contain key field.`);
  });
  it('an empty key name is an error', () => {
    expect(firstError('reduceByKey', ['key: (src_ip,)', 'sum(traffic)', 'sum(packet_size)'])).toContain('Perhaps a parenthesis is missing');
    expect(firstError('reduceByKey', ['key: src_ip, src_ip', 'sum(traffic)', 'sum(packet_size)'])).toContain("Key field 'src_ip' is listed twice");
  });
  it('errors carry the index of the offending rule string', () => {
    expect(errors('reduce', ['sum(packet_size)', 'sum(traffic)#'])[0]!.ruleIndex).toBe(1);
  });
});

describe('accepted syntax variants', () => {
  it('key forms: parentheses optional or doubled, whitespace removed (6.1)', () => {
    const c = cols({ sid: 'LongType', stype: 'StringType', v: 'DoubleType' });
    for (const key of ['key: (sid, stype)', 'key: sid, stype', 'key: ((sid, stype))', 'key:(sid,stype)', '  key :  ( sid ,stype ) ']) {
      expect(plan('reduceByKey', [key, 'sum(v)'], c).keys.map((k) => k.name)).toEqual(['sid', 'stype']);
    }
  });
  it('whitespace inside/before aggregate parentheses is trimmed (D-16)', () => {
    const p = plan('reduceByKey', ['key: src_ip', ' sum (traffic)', 'sum( packet_size )']);
    expect(p.values.map((v) => [v.name, v.fn.name])).toEqual([
      ['packet_size', 'sum'],
      ['traffic', 'sum'],
    ]);
  });
  it('aggregate names are case-insensitive, canonical lower-case (D-15)', () => {
    const p = plan('reduceByKey', ['key: src_ip', 'Max(traffic)', 'SUM(packet_size)']);
    expect(p.values.map((v) => v.fn.name)).toEqual(['sum', 'max']);
    expect(firstError('reduceByKey', ['key: src_ip', 'Max(src_ip)', 'Sum(packet_size)', 'sum(traffic)'])).toContain(
      'Key field src_ip cannot also be aggregated (max(src_ip))',
    );
  });
  it('the key declaration may appear anywhere; key fields are listed in declaration order (6.1.6, 6.4)', () => {
    const c = cols({ a: 'LongType', b: 'StringType', v: 'LongType' });
    const p = plan('reduceByKey', ['sum(v)', 'key: (b, a)'], c);
    expect(p.keys).toEqual([
      { name: 'b', position: 1, type: 'StringType' },
      { name: 'a', position: 0, type: 'LongType' },
    ]);
  });
  it('aggregated columns are emitted in transformation order, not rule order (6.4)', () => {
    const p = plan('reduceByKey', ['key: src_ip', 'sum(traffic)', 'sum(packet_size)']);
    expect(p.values.map((v) => [v.name, v.position])).toEqual([
      ['packet_size', 1],
      ['traffic', 2],
    ]);
  });
});

describe('semantic validation of 6.3', () => {
  it("unknown functions: Unsupported function(s): {'count'}", () => {
    expect(firstError('reduceByKey', ['key: src_ip', 'count(packet_size)', 'sum(traffic)'])).toBe("Unsupported function(s): {'count'}");
    expect(firstError('reduce', ['sin(packet_size)', 'sum(traffic)', 'max(src_ip)'])).toBe("Unsupported function(s): {'sin'}");
  });
  it("unknown field: Unsupported or unused field(s): {'in_vlan_bad'} (D-17)", () => {
    const c = cols({ src_ip: 'StringType', in_vlan: 'LongType' });
    const msg = firstError('reduceByKey', ['key: src_ip', 'sum(in_vlan)', 'sum(in_vlan_bad)'], c);
    expect(msg.startsWith('Unsupported or unused field(s)')).toBe(true);
    expect(msg).toContain("{'in_vlan_bad'}");
  });
  it('every transformed column must be used; the unused set is named, not set() (D-17)', () => {
    const msg = firstError('reduceByKey', ['key: src_ip', 'sum(traffic)']);
    expect(msg).toBe("Unsupported or unused field(s): transformed field(s) not used in aggregation: {'packet_size'}");
    const both = firstError('reduceByKey', ['key: src_ip', 'sum(traffic)', 'sum(nope)']);
    expect(both).toBe(
      "Unsupported or unused field(s): unknown field(s) in aggregation: {'nope'}; transformed field(s) not used in aggregation: {'packet_size'}",
    );
    expect(both).not.toContain('set()');
  });
  it('a field aggregated twice: Aggregate already aggregated field', () => {
    const c = cols({ src_ip: 'StringType', packet_size: 'LongType' });
    expect(firstError('reduceByKey', ['key: src_ip', 'max(packet_size)', 'min(packet_size)'], c)).toBe('Aggregate already aggregated field packet_size');
  });
  it('wrong type: Incorrect type of field <field> for function <func>', () => {
    const c = cols({ src_ip: 'StringType', dst_mac: 'StringType', n: 'LongType' });
    expect(firstError('reduceByKey', ['key: src_ip', 'min(dst_mac)', 'sum(n)'], c)).toContain('Incorrect type of field dst_mac for function min');
    expect(firstError('reduce', ['max(src_ip)', 'sum(dst_mac)', 'sum(n)'], c)).toContain('Incorrect type of field src_ip for function max');
  });
  it('key fields are not type-checked', () => {
    const c = cols({ s: 'StringType', d: 'DoubleType', b: 'BooleanType', n: 'LongType' });
    expect(plan('reduceByKey', ['key: (s, d, b)', 'sum(n)'], c).keys.map((k) => k.type)).toEqual(['StringType', 'DoubleType', 'BooleanType']);
  });
  it('a key field may not also be aggregated (D-18)', () => {
    const c = cols({ sid: 'LongType', v: 'LongType' });
    const e = errors('reduceByKey', ['key: sid', 'max(sid)', 'sum(v)'], c);
    expect(e[0]!.cls).toBe('NotValidAggregationExpression');
    expect(e[0]!.message).toContain('Key field sid cannot also be aggregated');
    expect(e[0]!.ruleIndex).toBe(1);
  });
});

describe('result types (6.2, D-20)', () => {
  it('sum/mul of booleans are IntegerType; max/min keep BooleanType; others keep the input type', () => {
    const c = cols({ k: 'LongType', b1: 'BooleanType', b2: 'BooleanType', b3: 'BooleanType', d: 'DoubleType', f: 'FloatType', i: 'IntegerType' });
    const p = plan('reduceByKey', ['key: k', 'sum(b1)', 'mul(b2)', 'max(b3)', 'min(d)', 'sum(f)', 'mul(i)'], c);
    expect(p.values.map((v) => [v.name, v.fn.name, v.input, v.type])).toEqual([
      ['b1', 'sum', 'BooleanType', 'IntegerType'],
      ['b2', 'mul', 'BooleanType', 'IntegerType'],
      ['b3', 'max', 'BooleanType', 'BooleanType'],
      ['d', 'min', 'DoubleType', 'DoubleType'],
      ['f', 'sum', 'FloatType', 'FloatType'],
      ['i', 'mul', 'IntegerType', 'IntegerType'],
    ]);
  });
});
