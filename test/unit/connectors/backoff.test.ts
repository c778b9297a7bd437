// Retry with backoff (docs/semantics.md#delivery) and the throttled warnings of the live connectors.
import { describe, expect, it } from 'vitest';
import { Throttle, backoffDelay, withRetries } from '../../../engine/connectors/backoff.js';

describe('backoff', () => {
  it('doubles from the minimum up to the cap, with ± jitter', () => {
    const d = (n: number, r = 0.5) => backoffDelay(n, { minMs: 100, maxMs: 1000, jitter: 0.2, random: () => r });
    expect([1, 2, 3, 4, 5, 40].map((n) => d(n))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(d(1, 0)).toBe(80);
    expect(d(1, 1)).toBe(120);
  });

  it('retries retriable failures until success, reporting each wait', async () => {
    const waits: number[] = [];
    const reports: string[] = [];
    let calls = 0;
    const r = await withRetries(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`down ${attempt}`);
        return 'ok';
      },
      {
        maxRetries: 5,
        minMs: 10,
        jitter: 0,
        sleep: async (ms) => void waits.push(ms),
        onRetry: (n, ms, e) => reports.push(`${n}:${ms}:${(e as Error).message}`),
      },
    );
    expect(r).toBe('ok');
    expect(calls).toBe(4);
    expect(waits).toEqual([10, 20, 40]);
    expect(reports).toEqual(['1:10:down 0', '2:20:down 1', '3:40:down 2']);
  });

  it('gives up after maxRetries, at once on a non-retriable error, and when aborted', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw new Error(`e${calls}`);
    };
    const sleep = async () => undefined;
    await expect(withRetries(fail, { maxRetries: 2, sleep })).rejects.toThrow('e3');
    calls = 0;
    await expect(withRetries(fail, { maxRetries: 9, sleep, retriable: () => false })).rejects.toThrow('e1');
    calls = 0;
    await expect(withRetries(fail, { maxRetries: 9, sleep, aborted: () => calls >= 2 })).rejects.toThrow('e2');
  });
});

describe('Throttle', () => {
  it('says a message once per interval per key, then how many it held back', () => {
    let t = 0;
    const said: string[] = [];
    const th = new Throttle(
      (m) => said.push(m),
      1000,
      () => t,
    );
    th.say('a', 'A1');
    th.say('a', 'A2');
    th.say('b', 'B1');
    t = 500;
    th.say('a', 'A3');
    t = 1200;
    th.say('a', 'A4');
    t = 2300;
    th.say('a', 'A5');
    expect(said).toEqual(['A1', 'B1', 'A4 (2 more like this since the last report)', 'A5']);
  });
});
