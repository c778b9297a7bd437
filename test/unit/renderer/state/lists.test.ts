// The paged lists (renderer/src/state/paged-list.svelte.ts, lists.svelte.ts): pages fetched as a table scrolls and
// kept, filters that start over, replies for other filters dropped, a run's rows refetched at most every 400 ms while
// a table shows the list;
// and, through the real handlers in-process, every alert, episode, window row and bad row a replay stored, or what
// the renderer holds when the config has no store.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../../../engine/core/clock.js';
import type { ListPage, ListPageRequest } from '../../../../main/api/contract.js';
import { PagedList } from '../../../../renderer/src/state/paged-list.svelte.js';
import { type TestApp, testApp } from '../helpers.js';

/** a list of `size` numbers, its pages answered when the test says */
function numbers(size: number) {
  const asked: { req: ListPageRequest<{ even?: boolean }>; answer: () => void }[] = [];
  const clock = new VirtualClock(0);
  const list = new PagedList<number, { even?: boolean }>(
    clock,
    (req) =>
      new Promise<ListPage<number>>((resolve) => {
        const all = Array.from({ length: size }, (_, i) => size - 1 - i).filter((n) => !req.filters?.even || n % 2 === 0);
        asked.push({ req, answer: () => resolve({ total: all.length, rows: all.slice(req.offset, req.offset + req.limit), source: 'x.db' }) });
      }),
  );
  const answerAll = async () => {
    for (const a of asked.splice(0)) a.answer();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { list, asked, clock, answerAll };
}

describe('PagedList', () => {
  it('fetches the pages a view needs, once, and keeps them; scrolling further fetches the next ones', async () => {
    const { list, asked, answerAll } = numbers(1000);
    list.show(0, 30);
    list.show(0, 30);
    expect(asked.map((a) => a.req.offset)).toEqual([0]);
    await answerAll();
    expect(list.total).toBe(1000);
    expect(list.rowAt(0)).toBe(999);
    expect(list.rowAt(150)).toBeUndefined();
    list.show(180, 220);
    expect(asked.map((a) => a.req.offset)).toEqual([100, 200]);
    await answerAll();
    expect(list.rowAt(220)).toBe(779);
    list.show(0, 30);
    expect(asked).toHaveLength(0);
    // the last row
    list.show(990, 999);
    await answerAll();
    expect(list.rowAt(999)).toBe(0);
  });

  it('other filters start over; a reply for the filters before is dropped; typing waits for a pause', async () => {
    const { list, asked, clock, answerAll } = numbers(1000);
    list.show(0, 30);
    const before = asked.splice(0);
    list.show(500, 530);
    await answerAll();
    list.setFilters({ even: true });
    // the table goes back to its first row: no page is fetched where it was
    expect(asked.map((a) => a.req.offset)).toEqual([0]);
    before[0]!.answer();
    await answerAll();
    expect(list.total).toBe(500);
    expect(list.rowAt(1)).toBe(996);
    list.setFiltersSoon({});
    list.setFiltersSoon({ even: false });
    await clock.advance(249);
    expect(asked).toHaveLength(0);
    await clock.advance(1);
    expect(asked.map((a) => a.req.filters)).toEqual([{ even: false }]);
  });

  it('a run adding rows: the pages in view are fetched again at most every 400 ms, the old rows shown until then', async () => {
    const { list, asked, clock, answerAll } = numbers(300);
    list.watch();
    list.show(0, 150);
    await answerAll();
    for (let i = 0; i < 10; i++) list.changed();
    await clock.advance(399);
    expect(asked).toHaveLength(0);
    expect(list.rowAt(0)).toBe(299);
    await clock.advance(1);
    expect(asked.map((a) => a.req.offset)).toEqual([0, 100]);
    await answerAll();
    list.changed();
    await clock.advance(400);
    expect(asked).toHaveLength(2);
  });

  it('a list no table shows is not fetched while a run adds rows, only once a table shows it again or the run ends', async () => {
    const { list, asked, clock, answerAll } = numbers(300);
    const unwatch = list.watch();
    list.show(0, 30);
    await answerAll();
    unwatch();
    for (let i = 0; i < 5; i++) {
      list.changed();
      await clock.advance(400);
    }
    expect(asked).toHaveLength(0);
    // shown again: the stale page at once
    const unwatchAgain = list.watch();
    expect(asked.map((a) => a.req.offset)).toEqual([0]);
    await answerAll();
    unwatchAgain();
    // the run's last rows: fetched soon, shown or not
    list.changed(true);
    await clock.advance(400);
    expect(asked.map((a) => a.req.offset)).toEqual([0]);
  });

  it('a hidden list with a badge is fetched every hiddenRefreshMs; the run ending or a table showing it brings that forward', async () => {
    const clock = new VirtualClock(0);
    const fetch = vi.fn(async (req: ListPageRequest<object>) => ({ total: 10, rows: [req.offset], source: 'x.db' }));
    const list = new PagedList<number, object>(clock, fetch, 100, 400, 2000);
    list.show(0, 10);
    await clock.advance(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    list.changed();
    await clock.advance(1999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await clock.advance(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    list.changed();
    await clock.advance(100);
    list.changed(true);
    await clock.advance(400);
    expect(fetch).toHaveBeenCalledTimes(3);
    list.changed();
    list.watch();
    expect(fetch).toHaveBeenCalledTimes(4);
    await clock.advance(2000);
    expect(fetch).toHaveBeenCalledTimes(4);
  });

  it('a failed page says why and is not retried in a loop', async () => {
    const clock = new VirtualClock(0);
    const fetch = vi.fn(async () => {
      throw new Error('the alerts list is off in restricted mode');
    });
    const list = new PagedList<number, object>(clock, fetch);
    list.show(0, 10);
    await new Promise((r) => setTimeout(r, 0));
    expect(list.error).toBe('the alerts list is off in restricted mode');
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe('ListsState through the handlers', () => {
  let t: TestApp;
  afterEach(() => t.dispose());

  const open = async (edit?: (dir: string) => void) => {
    t = testApp();
    const dir = t.sample('sensors');
    edit?.(dir);
    await t.app.wb.init();
    await t.app.wb.openProject(dir);
    await t.app.wb.trust('folder');
    await t.transport.idle();
    return { app: t.app, dir };
  };
  const replay = async () => {
    const finished = t.next('run.finished');
    await t.app.run.start();
    await finished;
    // the lists refresh a while after the run's last events
    await t.clock.advance(400);
    await t.transport.idle();
  };
  /** a few rows the sensors data structure cannot read, planted in its CSV */
  const plantBadRows = (dir: string) => {
    const csv = path.join(dir, 'data/sensors.csv');
    const lines = fs.readFileSync(csv, 'utf8').split('\n');
    for (const at of [10, 5000]) lines.splice(at, 0, `${lines[at]!.split(',')[0]},x,seal.t1,1,2,3,4`);
    fs.writeFileSync(csv, lines.join('\n'));
  };

  it('every alert the replay stored, paged; the rule filter narrows the total; the badge count is the store', async () => {
    const { app } = await open();
    await replay();
    const { alerts, episodes } = app.lists;
    expect(app.lists.fromStore(alerts)).toBe(true);
    expect(alerts.total).toBe(73);
    expect(alerts.latest?.all).toBe(73);
    alerts.show(60, 72);
    await t.transport.idle();
    expect(alerts.rowAt(72)!.time).toBeLessThanOrEqual(alerts.rowAt(0)!.time);
    alerts.setFilters({ rule: 'Avg6' });
    await t.transport.idle();
    expect(alerts.total).toBeGreaterThan(0);
    expect(alerts.total).toBeLessThan(73);
    expect(alerts.rowAt(0)!.rule).toBe('Avg6');
    expect(alerts.latest?.all).toBe(73);
    episodes.show(0, 10);
    await t.transport.idle();
    expect(episodes.total).toBe(73);
  });

  it('windows and bad rows: every stored row; bad rows of the latest run unless every run is asked for', async () => {
    const { app } = await open(plantBadRows);
    await replay();
    await replay();
    const { windows, rowErrors } = app.lists;
    windows.show(0, 40);
    await t.transport.idle();
    expect(windows.total).toBe(1800);
    expect(windows.rowAt(0)!.windowEnd).toBeGreaterThan(windows.rowAt(39)!.windowEnd);
    windows.setFilters({ key: 'seal.t1' });
    await t.transport.idle();
    expect(windows.total).toBeLessThan(1800);
    expect(String(windows.rowAt(0)!.key!.sensor_type)).toBe('seal.t1');
    rowErrors.show(0, 10);
    await t.transport.idle();
    expect(rowErrors.total).toBe(2);
    expect(rowErrors.latest?.reasons).toEqual([{ reason: 'bad LongType', count: 2 }]);
    rowErrors.setFilters({ allRuns: true });
    await t.transport.idle();
    expect(rowErrors.total).toBe(4);
  });

  it('a config without a sqlite store: the lists show what the renderer holds, filtered the same way, and say they do', async () => {
    const { app } = await open((dir) => {
      plantBadRows(dir);
      const file = path.join(dir, 'config.json');
      // no store, so no analysis either (it reads its history from the store)
      const config = JSON.parse(fs.readFileSync(file, 'utf8'));
      config.outputs = [{ method: 'stdout' }];
      delete config.analysis;
      fs.writeFileSync(file, JSON.stringify(config));
    });
    await replay();
    const { alerts, windows, rowErrors } = app.lists;
    expect(app.lists.fromStore(alerts)).toBe(false);
    expect(alerts.latest).toMatchObject({ total: 0, all: 0 });
    windows.show(0, 10);
    await t.transport.idle();
    expect(app.lists.fromStore(windows)).toBe(false);
    expect(windows.total).toBe(30 * 20);
    expect(windows.rowAt(0)!.windowEnd).toBe(app.run.latest[0]!.windowEnd);
    windows.setFilters({ key: 'seal.t1' });
    await t.transport.idle();
    expect(windows.total).toBe(app.run.latest.flatMap((w) => w.rows).filter((r) => String(r.key!.sensor_type).includes('seal.t1')).length);
    rowErrors.show(0, 10);
    await t.transport.idle();
    expect(rowErrors.total).toBe(2);
    expect(rowErrors.rowAt(0)!.line).toBeLessThan(rowErrors.rowAt(1)!.line!);
  });
});
