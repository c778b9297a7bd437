/**
 * A sweep of one option of one analysis rule over a grid (docs/backtest.md#sweeps):
 * `<rule>.<option>=<from>..<to>:<step>`, `option` a dotted path inside the rule's options
 * (`Simple1.deviation.rpm_max=20..80:10`). Each grid value is written into the config's own text
 * and the config is checked again, so a value the rule does not accept is reported exactly as in
 * a config; only the analysis of that rule is taken from it (windows do not depend on it).
 */
import { applyEdits, modify } from 'jsonc-parser';
import type { AnalysisConfig, AnalysisRuleConfig, ConfigIO } from '../config/model.js';
import { checkConfig, nodeIO, type PipelinePlan } from '../pipeline/plan.js';

export interface SweepSpec {
  /** the rule's name */
  rule: string;
  /** dotted path inside the rule's options */
  option: string;
  from: number;
  to: number;
  step: number;
}

export interface SweepPointConfig {
  value: number;
  /** the analysis section with only the swept rule, at this value */
  analysis?: AnalysisConfig;
  /** why this value cannot be used (the config check's message) */
  error?: string;
}

/** At most this many grid points: a typo in the step should not start a day-long run. */
export const MAX_SWEEP_POINTS = 1000;

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const SWEEP = new RegExp(String.raw`^(.+)=(${NUMBER})\.\.(${NUMBER}):(${NUMBER})$`);

/** Parses `<rule>.<option>=<from>..<to>:<step>` against the config's rule names; a string is the error. */
export function parseSweep(text: string, ruleNames: readonly string[]): SweepSpec | string {
  const m = SWEEP.exec(text.trim());
  if (!m) return `--sweep must be <rule>.<option>=<from>..<to>:<step> (e.g. Avg6.num_average=2..10:1), got ${JSON.stringify(text)}`;
  const target = m[1]!.trim();
  // rule names may hold dots: the longest name that prefixes the target wins
  const rule = [...ruleNames].sort((a, b) => b.length - a.length).find((n) => target.startsWith(`${n}.`) && target.length > n.length + 1);
  if (rule === undefined) {
    return `--sweep ${JSON.stringify(target)} names no rule of the config (rules: ${ruleNames.join(', ') || 'none'}); write <rule>.<option>`;
  }
  const spec = { rule, option: target.slice(rule.length + 1), from: Number(m[2]), to: Number(m[3]), step: Number(m[4]) };
  if (!(spec.step > 0)) return `--sweep step must be greater than 0, got ${m[4]}`;
  if (spec.to < spec.from) return `--sweep range ${m[2]}..${m[3]} is empty: <from> must not be greater than <to>`;
  const n = Math.floor((spec.to - spec.from) / spec.step + 1e-9) + 1;
  if (n > MAX_SWEEP_POINTS) return `--sweep ${m[2]}..${m[3]}:${m[4]} has ${n} values; at most ${MAX_SWEEP_POINTS} are allowed`;
  return spec;
}

function decimals(x: number): number {
  const s = String(x);
  if (s.includes('e-')) return Number(s.split('e-')[1]) + (s.split('e')[0]!.split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}

/** from, from + step, … up to and including `to` (within rounding), each rounded to the grid's decimals. */
export function gridValues(spec: Pick<SweepSpec, 'from' | 'to' | 'step'>): number[] {
  const places = Math.min(12, Math.max(decimals(spec.from), decimals(spec.step)));
  const n = Math.floor((spec.to - spec.from) / spec.step + 1e-9) + 1;
  return Array.from({ length: n }, (_, i) => Number((spec.from + i * spec.step).toFixed(places)));
}

/** Where a rule's option sits in the config text, as a jsonc-parser path. */
function optionPath(plan: PipelinePlan, rule: AnalysisRuleConfig, option: string): (string | number)[] {
  const segments = option.split('.');
  const analysis = plan.config.raw.analysis as Record<string, unknown>;
  if (!Array.isArray(analysis.rule)) {
    // the legacy form: time_delta beside the rule, the deviation percentages in the rule object
    if (segments[0] === 'time_delta' && segments.length === 1) return ['analysis', 'time_delta'];
    if (segments[0] === 'deviation' && segments.length === 2) return ['analysis', 'rule', segments[1]!];
    return ['analysis', segments.join('.')];
  }
  const written = analysis.rule[rule.index] as Record<string, unknown>;
  const key = written.option !== undefined && written.options === undefined ? 'option' : 'options';
  return ['analysis', 'rule', rule.index, key, ...segments];
}

/** The analysis of the swept rule at every grid value, each checked as a config. */
export async function sweepConfigs(plan: PipelinePlan, spec: SweepSpec, io: ConfigIO = nodeIO): Promise<{ points: SweepPointConfig[]; warnings: string[] }> {
  const analysis = plan.config.analysis!;
  const rule = analysis.rules.find((r) => r.name === spec.rule)!;
  const at = optionPath(plan, rule, spec.option);
  const warnings = new Set<string>();
  const points: SweepPointConfig[] = [];
  for (const value of gridValues(spec)) {
    const text = applyEdits(plan.config.text, modify(plan.config.text, at, value, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
    const outcome = await checkConfig(plan.config.configPath, text, io);
    const jsonPath = at.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
    for (const d of outcome.diagnostics) if (d.severity === 'warning' && d.path.startsWith(jsonPath)) warnings.add(`--sweep: ${d.message}`);
    const swept = outcome.plan?.config.analysis?.rules.find((r) => r.index === rule.index);
    if (!outcome.plan || !swept) {
      const first = outcome.diagnostics.find((d) => d.severity === 'error');
      points.push({ value, error: first ? first.message : 'the config does not accept this value' });
    } else points.push({ value, analysis: { ...outcome.plan.config.analysis!, rules: [swept] } });
  }
  return { points, warnings: [...warnings] };
}
