// The Kafka alert message (docs/semantics.md#kafka-alerts): the reference json.dumps of the alert, byte for byte.
import { describe, expect, it } from 'vitest';
import { kafkaAlertJson, pyJsonString, alertKeyJson } from '../../../../engine/components/alerts/kafka-message.js';
import type { Alert } from '../../../../engine/components/types.js';
import { keyedAlert } from './fixtures.js';

describe('Kafka alert messages (10.6)', () => {
  const alert = (over: Partial<Alert> = {}): Alert => keyedAlert({ timeMs: 1523800000123, ...over });

  it('is the reference json.dumps of the keyword arguments, with the window end as timestamp', () => {
    expect(kafkaAlertJson(alert())).toBe(
      '{"AnalysisModule": "Simple1", "timestamp": 1523800000.123, "param": {"key": [1, "t1"], "field": "rsum", "lower_bound": 900.0, "upper_bound": 1100.0, "value": 1300.0}}',
    );
    expect(alertKeyJson(alert())).toBe('[1, "t1"]');
  });

  it('unkeyed (reduce), integer values, non-ASCII escaped like ensure_ascii, non-finite bounds as null', () => {
    expect(
      kafkaAlertJson(
        alert({
          key: null,
          keyFields: [],
          keyTypes: [],
          value: 3,
          valueType: 'LongType',
          timeMs: 0,
          lowerBound: -1.5,
          upperBound: Infinity,
          module: 'Ünï "q"',
        }),
      ),
    ).toBe(
      '{"AnalysisModule": "\\u00dcn\\u00ef \\"q\\"", "timestamp": 0.0, "param": {"key": null, "field": "rsum", "lower_bound": -1.5, "upper_bound": null, "value": 3}}',
    );
    expect(pyJsonString('a\n\t\u0001😀')).toBe('"a\\n\\t\\u0001\\ud83d\\ude00"');
    expect(alertKeyJson(alert({ key: [2n ** 64n, true, null, 2.5], keyTypes: ['LongType', 'BooleanType', 'StringType', 'DoubleType'] }))).toBe(
      '[18446744073709551616, true, null, 2.5]',
    );
  });
});
