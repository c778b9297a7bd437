/**
 * Parsing and validation of `processing.aggregations` (docs/semantics.md#aggregation-rules). Messages keep the reference's distinguishing phrases.
 */
import { EngineError } from '../core/errors.js';
import type { Column, FieldType } from '../core/types.js';
import { pyStrRepr } from '../values/python.js';
import type { AggregateDef } from './functions.js';

export type OperationType = 'reduce' | 'reduceByKey';

export interface AggregateSpec {
  fn: AggregateDef;
  /** as written (for messages) */
  fnName: string;
  field: string;
  /** index of the rule string */
  ruleIndex: number;
}

export interface AggregationPlan {
  operation: OperationType;
  /** key fields in key-declaration order, with positions in the transformed row */
  keys: { name: string; position: number; type: FieldType }[];
  /** aggregated columns in transformation order */
  values: { name: string; position: number; input: FieldType; type: FieldType; fn: AggregateDef }[];
}

export interface RuleError {
  /** index into the rule array, or -1 for the rule list / operation as a whole */
  ruleIndex: number;
  error: EngineError;
}

const ALLOWED = /^[A-Za-z0-9()_\s:,]*$/;
const KEY_RE = /^\s*key\s*:(.*)$/s;
const AGG_RE = /^\s*([A-Za-z0-9_]+)\s*\(\s*([A-Za-z0-9_]+)\s*\)\s*$/;
// \b: a match starts only at a word's start, so a long word is tried once, not from each of its letters (quadratic)
const AGG_ANY = /\b([A-Za-z0-9_]+)\s*\(\s*([A-Za-z0-9_]*)\s*\)/g;

const pyList = (xs: readonly string[]) => '[' + xs.map(pyStrRepr).join(', ') + ']';
const pySet = (xs: Iterable<string>) => {
  const a = [...xs];
  return a.length === 0 ? 'set()' : '{' + a.map(pyStrRepr).join(', ') + '}';
};

const err = (msg: string) => new EngineError('NotValidAggregationExpression', msg);

export function planAggregation(
  operation: unknown,
  rules: readonly string[],
  columns: readonly Column[],
  aggregates: ReadonlyMap<string, AggregateDef>,
): { plan?: AggregationPlan; errors: RuleError[] } {
  const errors: RuleError[] = [];
  if (operation !== 'reduce' && operation !== 'reduceByKey') {
    return { errors: [{ ruleIndex: -1, error: new EngineError('NotValidAggregationExpression', `The operation '${String(operation)}' don't support `) }] };
  }
  const list = pyList(rules);
  let keyFields: string[] | undefined;
  let keyRuleIndex = -1;
  const aggs: { fnName: string; field: string; ruleIndex: number }[] = [];

  rules.forEach((rule, ruleIndex) => {
    const fail = (msg: string) => errors.push({ ruleIndex, error: err(msg) });
    if (!ALLOWED.test(rule)) return fail(`Error: Error in the field ${pyStrRepr(rule)}. Invalid characters detected.`);
    const key = KEY_RE.exec(rule);
    if (key) {
      const text = key[1]!;
      if (operation === 'reduce')
        return fail(`Error: Error in the field ${rule.trim()}. Perhaps a parenthesis is missing or semicolon (reduce takes no key; use reduceByKey)`);
      if (keyFields) return fail(`Key field is not unique in rule ${pyStrRepr(list)}.`);
      const open = text.split('(').length - 1;
      const close = text.split(')').length - 1;
      if (open !== close) return fail(`Error: The number of opening and closing parentheses does not match ${pyStrRepr(text.trim())}.`);
      const names = text.replace(/[()\s]/g, '').split(',');
      if (names.some((n) => n.length === 0))
        return fail(`Error: Error in the field ${rule.trim()}. Perhaps a parenthesis is missing or semicolon (empty key field name)`);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) return fail(`Key field '${dup}' is listed twice in ${rule.trim()}`);
      keyFields = names;
      keyRuleIndex = ruleIndex;
      return;
    }
    const m = AGG_RE.exec(rule);
    if (m) {
      aggs.push({ fnName: m[1]!, field: m[2]!, ruleIndex });
      return;
    }
    const found = rule.match(AGG_ANY) ?? [];
    if (found.length > 1) {
      const leftover = rule.replace(AGG_ANY, '').trim();
      return fail(
        leftover.length === 0
          ? `Error: Error in the rule ${list}. Perhaps a semicolon is missing.`
          : `Error: Error in the rule ${pyStrRepr(list)}. Perhaps a semicolon is missing.`,
      );
    }
    return fail(`Error: Error in the rule ${pyStrRepr(list)}. Perhaps a semicolon is missing.`);
  });
  if (errors.length > 0) return { errors };

  if (operation === 'reduceByKey' && !keyFields) {
    return { errors: [{ ruleIndex: -1, error: err(`Error: The rule ${pyStrRepr(list)} don't contain key field.`) }] };
  }
  const keys = keyFields ?? [];

  // unknown functions (names are case-insensitive: docs/semantics.md#aggregate-functions)
  const unknown = new Set<string>();
  for (const a of aggs) if (!aggregates.has(a.fnName.toLowerCase())) unknown.add(a.fnName);
  if (unknown.size > 0) {
    const first = aggs.find((a) => unknown.has(a.fnName))!;
    return { errors: [{ ruleIndex: first.ruleIndex, error: err(`Unsupported function(s): ${pySet(unknown)}`) }] };
  }

  // used fields must equal transformed fields, both directions reported (docs/semantics.md#aggregation-rules)
  const transformed = new Set(columns.map((c) => c.name));
  const used = new Set([...keys, ...aggs.map((a) => a.field)]);
  const unknownFields = [...used].filter((f) => !transformed.has(f));
  const unusedFields = [...transformed].filter((f) => !used.has(f));
  if (unknownFields.length > 0 || unusedFields.length > 0) {
    const parts: string[] = [];
    if (unknownFields.length > 0) parts.push(`unknown field(s) in aggregation: ${pySet(unknownFields)}`);
    if (unusedFields.length > 0) parts.push(`transformed field(s) not used in aggregation: ${pySet(unusedFields)}`);
    const at = unknownFields.length > 0 ? (aggs.find((a) => unknownFields.includes(a.field))?.ruleIndex ?? keyRuleIndex) : -1;
    errors.push({ ruleIndex: at, error: err(`Unsupported or unused field(s): ${parts.join('; ')}`) });
    return { errors };
  }

  // duplicates and types; key fields must not be aggregated (docs/semantics.md#aggregation-rules)
  const typeOf = new Map(columns.map((c) => [c.name, c.type]));
  const aggregated = new Map<string, AggregateSpec>();
  for (const a of aggs) {
    const fn = aggregates.get(a.fnName.toLowerCase())!;
    const fail = (msg: string) => errors.push({ ruleIndex: a.ruleIndex, error: err(msg) });
    if (keys.includes(a.field)) {
      fail(`Key field ${a.field} cannot also be aggregated (${fn.name}(${a.field})): a key column is emitted as part of the key`);
      continue;
    }
    if (aggregated.has(a.field)) {
      fail(`Aggregate already aggregated field ${a.field}`);
      continue;
    }
    const t = typeOf.get(a.field)!;
    if (!fn.accepts.includes(t)) {
      fail(`Incorrect type of field ${a.field} for function ${fn.name} (${t}; ${fn.name} accepts ${fn.accepts.join(', ')})`);
      continue;
    }
    aggregated.set(a.field, { fn, fnName: a.fnName, field: a.field, ruleIndex: a.ruleIndex });
  }
  if (errors.length > 0) return { errors };

  const position = new Map(columns.map((c, i) => [c.name, i]));
  const values: AggregationPlan['values'] = [];
  columns.forEach((c, i) => {
    const spec = aggregated.get(c.name);
    if (!spec) return;
    try {
      values.push({ name: c.name, position: i, input: c.type, type: spec.fn.resultType(c.type), fn: spec.fn });
    } catch (e) {
      // a user aggregate's resultType rule refused this type
      if (!(e instanceof EngineError)) throw e;
      errors.push({ ruleIndex: spec.ruleIndex, error: e });
    }
  });
  if (errors.length > 0) return { errors };
  const plan: AggregationPlan = { operation, keys: keys.map((name) => ({ name, position: position.get(name)!, type: typeOf.get(name)! })), values };
  return { plan, errors };
}
