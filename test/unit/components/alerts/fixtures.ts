// What the alert lifecycle adds to an alert of a rule without lifecycle options (docs/alerts.md#without-lifecycle), for tests that build alerts by hand.
import { alertId, keyText } from '../../../../engine/components/alerts/alert-id.js';
import type { Alert } from '../../../../engine/components/types.js';

type Reference = Omit<Alert, 'rule' | 'state' | 'alertId' | 'episodeStartMs' | 'episodeKind' | 'lifecycle' | 'peakValue' | 'peakTimeMs'>;

/** The alert a rule named like its module raises without a lifecycle: its own episode of one window. */
export function referenceAlert(a: Reference): Alert {
  return {
    ...a,
    rule: a.module,
    state: 'firing',
    alertId: alertId(a.module, keyText(a.key, a.keyTypes), a.field, a.timeMs),
    episodeStartMs: a.timeMs,
    episodeKind: 'deviation',
    lifecycle: false,
    peakValue: a.value,
    peakTimeMs: a.timeMs,
  };
}

/** A keyed alert of the reference sensor example (module Simple1, key (1, 't1'), rsum 1300 outside [900, 1100]). */
export function keyedAlert(over: Partial<Reference> = {}): Alert {
  return referenceAlert({
    module: 'Simple1',
    timeMs: Date.UTC(2018, 3, 15, 12, 0, 0, 999),
    key: [1, 't1'],
    keyFields: ['sid', 'stype'],
    keyTypes: ['LongType', 'StringType'],
    field: 'rsum',
    value: 1300,
    valueType: 'DoubleType',
    lowerBound: 900,
    upperBound: 1100,
    ...over,
  });
}
