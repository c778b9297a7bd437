/**
 * The alert lifecycle options every analysis rule takes beside `module`, `name` and `options`
 * (docs/alerts.md): `for`, `keep_firing_for`, `recovery_band`, `no_data`, `notify`. A rule with
 * none of them keeps the reference behaviour, one alert per deviating record
 * (docs/alerts.md#without-lifecycle).
 */
import { type Obj, type ParseEnv, int, num, obj, oneOf } from '../../options/spec.js';

export type NotifyMode = 'transitions' | 'every';

/** A rule's lifecycle, as the analysis runs it (defaults filled in). */
export interface LifecycleOptions {
  /** windows a deviation stays pending before it fires (0: fires at once) */
  for: number;
  /** windows a firing alert stays firing after the value is back */
  keepFiringFor: number;
  /**
   * a pending or firing alert counts as recovered only when the value is within this fraction of
   * the bounds' half-width around their centre (1: as soon as it is within the bounds)
   */
  recoveryBand: number;
  /** windows a key that was seen may be missing before a no-data alert (undefined: never) */
  noData: number | undefined;
  notify: NotifyMode;
}

/** The rule-level keys, in the order the docs list them. */
export const LIFECYCLE_KEYS = ['for', 'keep_firing_for', 'recovery_band', 'no_data', 'notify'] as const;

export const lifecycleSpec = obj({
  for: int({ min: 0 }).describe('Alert lifecycle: windows a deviation stays pending before the alert fires (default 0: fires at once).'),
  keep_firing_for: int({ min: 0 }).describe('Alert lifecycle: windows a firing alert stays firing after the value is back within its bounds (default 0).'),
  recovery_band: num({ min: 0, exclusiveMin: true, max: 1 }).describe(
    'Alert lifecycle (hysteresis): a pending or firing alert recovers only when the value is within this fraction of the bounds’ half-width around their centre (default 1: within the bounds).',
  ),
  no_data: int({ min: 1 }).describe('Alert lifecycle: a no-data alert when a key that was seen is missing for this many windows; resolved when it comes back.'),
  notify: oneOf('transitions', 'every').describe(
    'Alert lifecycle: "transitions" (default) sends firing, resolved and no-data once per change of state; "every" repeats firing and no-data on every window.',
  ),
});

/** The lifecycle of a rule object (`analysis.rule[i]`), or undefined when it sets none of the keys (the reference behaviour). */
export function parseLifecycle(rule: Obj, path: string, env: ParseEnv): LifecycleOptions | undefined {
  if (!LIFECYCLE_KEYS.some((k) => rule[k] !== undefined)) return undefined;
  const picked = Object.fromEntries(LIFECYCLE_KEYS.map((k) => [k, rule[k]]));
  const o = lifecycleSpec.readFields(picked, { path, parent: path, key: '' }, env);
  if (!o) return undefined;
  return {
    for: o.for ?? 0,
    keepFiringFor: o.keep_firing_for ?? 0,
    recoveryBand: o.recovery_band ?? 1,
    noData: o.no_data,
    notify: o.notify ?? 'transitions',
  };
}
