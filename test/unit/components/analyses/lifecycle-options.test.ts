// The lifecycle options of an analysis rule (docs/alerts.md#options): defaults, ranges, and names that identify alerts.
import { describe, expect, it } from 'vitest';
import { makeConfig, planOf, SECTION14_RULE, SECTION14_TRANSFORMATION, SENSOR_SPEC } from '../../helpers.js';

const withRules = (rule: Record<string, unknown>[]) =>
  makeConfig({
    transformation: SECTION14_TRANSFORMATION,
    rule: SECTION14_RULE,
    options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
    outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
    analysis: { alert: { method: 'stdout' }, accuracy: 1, rule },
  });

const simple = (over: Record<string, unknown> = {}) => ({
  module: 'SimpleAnalysis',
  name: 'S',
  options: { deviation: { rpm_max: 10 }, batch_number: 1 },
  ...over,
});

async function errorsOf(rule: Record<string, unknown>[]) {
  const r = await planOf(withRules(rule), SENSOR_SPEC, {});
  return { plan: r.plan, errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`) };
}

describe('lifecycle options', () => {
  it('absent: no lifecycle (the reference behaviour); any one of them: the defaults for the others', async () => {
    const { plan, errors } = await errorsOf([simple(), simple({ name: 'T', for: 2 })]);
    expect(errors).toEqual([]);
    expect(plan!.config.analysis!.rules.map((r) => r.lifecycle)).toEqual([
      undefined,
      { for: 2, keepFiringFor: 0, recoveryBand: 1, noData: undefined, notify: 'transitions' },
    ]);
    const all = await errorsOf([simple({ for: 1, keep_firing_for: 3, recovery_band: 0.5, no_data: 4, notify: 'every' })]);
    expect(all.plan!.config.analysis!.rules[0]!.lifecycle).toEqual({ for: 1, keepFiringFor: 3, recoveryBand: 0.5, noData: 4, notify: 'every' });
  });

  it('bad values are reported at their JSON path', async () => {
    const { errors } = await errorsOf([simple({ for: -1, recovery_band: 0, no_data: 1.5, notify: 'sometimes' })]);
    expect(errors).toHaveLength(4);
    for (const key of ['for', 'recovery_band', 'no_data', 'notify']) expect(errors.some((e) => e.startsWith(`analysis.rule[0].${key}: `))).toBe(true);
  });

  it('rules with a lifecycle need names of their own (the name is part of the alert ids)', async () => {
    expect((await errorsOf([simple(), simple()])).errors).toEqual([]);
    expect((await errorsOf([simple(), simple({ for: 1 })])).errors).toEqual([
      'analysis.rule[1].name: analysis.rule[1].name "S" is already used by analysis.rule[0]; rules with an alert lifecycle need names of their own (they identify the alerts)',
    ]);
  });
});
