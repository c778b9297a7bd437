// The `csv` source's reads: the first batch of a file comes from a small first read, so a replay's first windows close
// before the file is read in full; later reads grow to the whole buffer; a byte range is read whole; lines split across
// reads (and a long line that does not fit the buffer) come out whole, with their line numbers, and a header is skipped
// once; the next read is started when a batch is handed on, into a second buffer.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LineBatch } from '../../../../engine/components/types.js';
import { CsvSource } from '../../../../engine/components/sources/csv.js';
import { useTmpDir } from '../../helpers.js';

const tmp = useTmpDir();

/** `count` lines of varying length (so read boundaries fall mid-line), `i,<i repeated>` */
function lines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i},${String(i).repeat(1 + (i % 7))}`);
}

async function drain(source: CsvSource): Promise<{ texts: string[]; lineNos: number[]; batchSizes: number[] }> {
  const texts: string[] = [];
  const lineNos: number[] = [];
  const batchSizes: number[] = [];
  for (let batch: LineBatch | null; (batch = await source.next()); ) {
    batchSizes.push(batch.ends![batch.count - 1]! - batch.starts![0]!);
    for (let i = 0; i < batch.count; i++) {
      texts.push(batch.text(i));
      lineNos.push(batch.position(i).line as number);
    }
  }
  return { texts, lineNos, batchSizes };
}

describe('csv source reads', () => {
  it('hands on a small first batch, then batches that grow to the buffer, every line whole', async () => {
    const file = path.join(tmp(), 'rows.csv');
    const all = lines(200_000); // ≈ 2.4 MB: several full 1 MiB reads after the small ones
    fs.writeFileSync(file, `${all.join('\n')}\n`);
    const source = new CsvSource({ path: file });
    await source.open();
    const first = await source.next();
    expect(first!.ends![first!.count - 1]! - first!.starts![0]!).toBeLessThanOrEqual(64 << 10);
    expect(source.progress()).toBeLessThan(0.05);
    const firstTexts = Array.from({ length: first!.count }, (_, i) => first!.text(i)); // a batch is valid until next()
    const rest = await drain(source);
    await source.close();
    const texts = [...firstTexts, ...rest.texts];
    expect(texts).toEqual(all);
    expect(rest.lineNos.at(-1)).toBe(all.length);
    expect(Math.max(...rest.batchSizes)).toBeGreaterThan(512 << 10);
    expect(rest.batchSizes.length).toBeLessThan(12);
  });

  it("reads a byte range whole in one batch, as the sandbox and the parallel replay's workers size it", async () => {
    const file = path.join(tmp(), 'range.csv');
    const all = lines(20_000);
    fs.writeFileSync(file, `${all.join('\n')}\n`);
    const start = Buffer.byteLength(`${all.slice(0, 1000).join('\n')}\n`);
    const end = Buffer.byteLength(`${all.slice(0, 19_000).join('\n')}\n`);
    const source = new CsvSource({ path: file, range: { start, end, firstLine: 1001 }, chunkSize: end - start + 1 });
    await source.open();
    const batch = await source.next();
    expect(batch!.count).toBe(18_000);
    expect([batch!.text(0), batch!.text(17_999)]).toEqual([all[1000], all[18_999]]);
    expect(batch!.position(0).line).toBe(1001);
    expect(await source.next()).toBeNull();
    await source.close();
  });

  it('keeps a line longer than the buffer whole and skips the header once', async () => {
    const file = path.join(tmp(), 'long.csv');
    const long = `1,${'x'.repeat(300_000)}`;
    fs.writeFileSync(file, `header\r\n0,a\r\n${long}\r\n2,b`);
    const source = new CsvSource({ path: file, header: true, chunkSize: 1 << 16 });
    await source.open();
    const { texts, lineNos } = await drain(source);
    await source.close();
    expect(texts).toEqual(['0,a', long, '2,b']);
    expect(lineNos).toEqual([2, 3, 4]);
  });

  it('reads ahead while a batch is processed: the batch stays intact, lines of every length come out whole and in place', async () => {
    const file = path.join(tmp(), 'ahead.csv');
    // lines from 1 to 700 bytes against a 512-byte buffer, some longer than it (it grows), with a fixed seed
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 1000) / 1000;
    const all = Array.from({ length: 3000 }, (_, i) => `${i},${'y'.repeat(Math.floor(random() ** 3 * 700))}`);
    const bytes = Buffer.from(`${all.join('\n')}\n`);
    fs.writeFileSync(file, bytes);
    const source = new CsvSource({ path: file, chunkSize: 512 });
    await source.open();
    const texts: string[] = [];
    let progress = 0;
    for (let batch: LineBatch | null; (batch = await source.next()); ) {
      const before = Array.from({ length: batch.count }, (_, i) => batch!.text(i));
      await new Promise((resolve) => setTimeout(resolve, 1)); // the read ahead lands meanwhile
      expect(Array.from({ length: batch.count }, (_, i) => batch!.text(i))).toEqual(before);
      const range = batch.fileRange!;
      expect(bytes.subarray(range.start, range.end).toString()).toBe(`${before.join('\n')}\n`);
      expect(range.firstLine).toBe(texts.length + 1);
      expect(source.progress()).toBeGreaterThanOrEqual(progress);
      progress = source.progress()!;
      texts.push(...before);
    }
    expect(texts).toEqual(all);
    expect(source.progress()).toBe(1);
    await source.close();
  });

  it('closes with a read ahead still in flight', async () => {
    const file = path.join(tmp(), 'close.csv');
    fs.writeFileSync(file, `${lines(50_000).join('\n')}\n`);
    const source = new CsvSource({ path: file });
    await source.open();
    expect((await source.next())!.count).toBeGreaterThan(0);
    await source.close();
    const again = new CsvSource({ path: file });
    await again.open();
    expect((await drain(again)).texts).toEqual(lines(50_000));
    await again.close();
  });
});
