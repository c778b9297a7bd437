// What a workbench run sends (main/api/runs.ts) when it produces more than a page should hold: a replay of 200 000 rows
// with the sample's config (stdout output, two rules). The stdout text goes whole up to 256 KB, then each batch sends
// only the end of its text from a line's start, and nothing is lost from the count; alerts go whole up to 1 000, then
// the latest of each batch, with the run's total.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, Runner } from '../../../engine/index.js';
import type { Events } from '../../../main/api/contract.js';
import { ActiveRun } from '../../../main/api/runs.js';
// @ts-expect-error -- plain ESM script without type declarations
import { generateSensors } from '../../../samples/generate-sensors.mjs';

const root = path.resolve(import.meta.dirname, '../../..');

describe('ActiveRun batches', () => {
  let tmp: string;
  let config: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runs-'));
    const dir = path.join(tmp, 'sensors');
    fs.cpSync(path.join(root, 'samples/sensors'), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
    await generateSensors({ rows: 200_000, sensors: 20, seed: 7, anomalies: 0.05, out: path.join(dir, 'data/big.csv') });
    config = path.join(dir, 'config.json');
    const c = JSON.parse(fs.readFileSync(config, 'utf8'));
    c.input.options.path = 'data/big.csv';
    fs.writeFileSync(config, JSON.stringify(c));
  }, 60_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const plan = async () => {
    const r = await check(config);
    if (!r.plan) throw new Error('the config does not check');
    return r.plan;
  };

  it('stdout: whole up to 256 KB, then the end of each batch from a line start; sent + not shown = printed', async () => {
    // what the run prints, counted by a plain runner of the same plan
    let printed = '';
    const reference = new Runner(await plan(), {
      stdout: new Writable({
        write: (chunk, _e, cb) => {
          printed += chunk.toString();
          cb();
        },
      }),
    });
    await reference.run();
    expect(printed.length).toBeGreaterThan(1024 * 1024);

    const outputs: Events['run.output'][] = [];
    const alerts: Events['run.alerts'][] = [];
    const run = new ActiveRun(
      await plan(),
      (e, p) => {
        if (e === 'run.output') outputs.push(p as Events['run.output']);
        if (e === 'run.alerts') alerts.push(p as Events['run.alerts']);
      },
      { configFile: 'config.json', speed: 0, flushMs: 20 },
    );
    await run.done;
    const sent = outputs.reduce((n, o) => n + o.text.length, 0);
    const dropped = outputs.reduce((n, o) => n + o.dropped, 0);
    expect(sent + dropped).toBe(printed.length);
    expect(sent).toBeLessThanOrEqual(256 * 1024 + outputs.length * 16 * 1024);
    expect(printed.startsWith(outputs[0]!.text)).toBe(true);
    expect(printed.endsWith(outputs.at(-1)!.text)).toBe(true);
    // after the whole part, every batch starts at a line's start
    let at = 0;
    for (const o of outputs) {
      if (at >= 256 * 1024 && o.dropped > 0) expect(printed.includes(`\n${o.text.split('\n')[0]}\n`)).toBe(true);
      at += o.text.length;
    }

    // alerts: the total of the run, the first 1 000 whole, then at most 25 a batch (the config has a store), the last one last
    const total = alerts.at(-1)!.total;
    const raised = run.runner.stats().alerts;
    expect(total).toBe(raised);
    expect(raised).toBeGreaterThan(1000);
    const received = alerts.flatMap((a) => a.alerts);
    expect(received.length).toBeLessThan(raised);
    expect(received.length).toBeLessThanOrEqual(1000 + alerts.length * 25);
    expect(received.slice(0, 1000).every((a, i) => i === 0 || a.time >= received[i - 1]!.time)).toBe(true);
  }, 120_000);
});
