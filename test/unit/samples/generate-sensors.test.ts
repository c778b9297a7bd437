// samples/generate-sensors.mjs --labels: the labels of the anomalies it injects, without changing the CSV; the sample ships both.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM script without type declarations
import { generateSensors } from '../../../samples/generate-sensors.mjs';
import { ROOT, useTmpDir } from '../helpers.js';

const tmp = useTmpDir();
const SAMPLE = path.join(ROOT, 'samples/sensors/data');

describe('generate-sensors --labels', () => {
  it('regenerates the committed sample CSV byte for byte and writes the committed labels beside it', async () => {
    const dir = tmp();
    const r = await generateSensors({ rows: 18000, out: path.join(dir, 'sensors.csv'), labels: path.join(dir, 'labels.csv') });
    expect(r.labels).toBe(13);
    expect(fs.readFileSync(path.join(dir, 'sensors.csv'), 'utf8')).toBe(fs.readFileSync(path.join(SAMPLE, 'sensors.csv'), 'utf8'));
    expect(fs.readFileSync(path.join(dir, 'labels.csv'), 'utf8')).toBe(fs.readFileSync(path.join(SAMPLE, 'labels.csv'), 'utf8'));
  });

  it('--label-spikes adds the single-row spikes as instants; the CSV does not change', async () => {
    const dir = tmp();
    await generateSensors({ rows: 18000, out: path.join(dir, 'sensors.csv'), labels: path.join(dir, 'labels.csv'), labelSpikes: true });
    expect(fs.readFileSync(path.join(dir, 'sensors.csv'), 'utf8')).toBe(fs.readFileSync(path.join(SAMPLE, 'sensors.csv'), 'utf8'));
    const lines = fs.readFileSync(path.join(dir, 'labels.csv'), 'utf8').trim().split('\n').slice(1);
    const spikes = lines.filter((l) => /,(pressure|temperature)_spike$/.test(l));
    expect(spikes.length).toBeGreaterThan(0);
    for (const l of spikes) {
      const [, , start, end] = l.split(',');
      expect(end).toBe(start);
    }
    expect(lines.length - spikes.length).toBe(13);
  });
});
