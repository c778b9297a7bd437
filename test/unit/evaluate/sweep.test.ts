// `--sweep <rule>.<option>=<from>..<to>:<step>` (docs/backtest.md#sweeps): parsing, the grid, each value checked as a config.
import { describe, expect, it } from 'vitest';
import { gridValues, parseSweep, sweepConfigs } from '../../../engine/evaluate/sweep.js';
import { makeConfig, memoryIO, planOf, SENSOR_SPEC, structure } from '../helpers.js';

describe('sweep', () => {
  it('parses against the rule names; the longest name that prefixes the target wins (names may hold dots)', () => {
    expect(parseSweep('Avg6.num_average=2..10:1', ['Simple1', 'Avg6'])).toEqual({ rule: 'Avg6', option: 'num_average', from: 2, to: 10, step: 1 });
    expect(parseSweep('a.b.deviation.x=0.5..1.5:0.25', ['a', 'a.b'])).toEqual({ rule: 'a.b', option: 'deviation.x', from: 0.5, to: 1.5, step: 0.25 });
    expect(parseSweep('Avg6.num_average=2..10', ['Avg6'])).toMatch(/^--sweep must be <rule>\.<option>=<from>\.\.<to>:<step>/);
    expect(parseSweep('Avg7.num_average=2..10:1', ['Avg6'])).toMatch(/names no rule of the config \(rules: Avg6\)/);
    expect(parseSweep('Avg6=2..10:1', ['Avg6'])).toMatch(/names no rule/);
    expect(parseSweep('Avg6.n=2..10:0', ['Avg6'])).toBe('--sweep step must be greater than 0, got 0');
    expect(parseSweep('Avg6.n=10..2:1', ['Avg6'])).toMatch(/is empty/);
    expect(parseSweep('Avg6.n=0..100000:1', ['Avg6'])).toMatch(/has 100001 values; at most 1000/);
  });

  it('the grid includes `to` within rounding and has no floating-point noise', () => {
    expect(gridValues({ from: 0.1, to: 0.5, step: 0.1 })).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(gridValues({ from: 2, to: 10, step: 4 })).toEqual([2, 6, 10]);
    expect(gridValues({ from: 2, to: 11, step: 4 })).toEqual([2, 6, 10]);
    expect(gridValues({ from: -1, to: 1, step: 0.5 })).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('each value is written into the config and checked: refused values carry the check message', async () => {
    const config = makeConfig({
      options: { path: 'data.csv', batchDuration: 10, time_field: 'timestamp' },
      outputs: [{ method: 'sqlite', main: true, options: { path: 'x.db', table: 'points' } }],
      transformation: ['sensor_id', 'r: rotation_speed'],
      rule: ['key: sensor_id', 'max(r)'],
      analysis: {
        alert: { method: 'stdout' },
        accuracy: 2,
        rule: [
          { module: 'SimpleAnalysis', name: 'S', options: { deviation: { r: 50 }, batch_number: 1 } },
          { module: 'AverageAnalysis', name: 'A', options: { deviation: { r: 40 }, num_average: 6 } },
        ],
      },
    });
    const { plan } = await planOf(config, SENSOR_SPEC, { 'data.csv': '' });
    // the sweep checks the config again, with the same files
    const io = memoryIO({ 'ds.json': JSON.stringify(structure(SENSOR_SPEC)), 'data.csv': '' });
    const r = await sweepConfigs(plan!, { rule: 'A', option: 'num_average', from: 0, to: 2, step: 1 }, io);
    expect(r.points.map((p) => [p.value, p.analysis?.rules.map((x) => [x.name, (x.options as { num_average: number }).num_average]), p.error])).toEqual([
      [0, undefined, 'analysis.rule[1].options.num_average: AverageAnalysis needs options.num_average: an integer ≥ 1, got 0'],
      [1, [['A', 1]], undefined],
      [2, [['A', 2]], undefined],
    ]);
    const dev = await sweepConfigs(plan!, { rule: 'S', option: 'deviation.r', from: 10, to: 20, step: 10 }, io);
    expect(dev.points.map((p) => (p.analysis!.rules[0]!.options as { deviation: Record<string, number> }).deviation)).toEqual([{ r: 10 }, { r: 20 }]);
  });
});
