// Workspace trust (main/api/trust.ts) and restricted mode in the handlers: a project whose modules
// write a marker when loaded is opened, checked, previewed, listed, exported — no marker; running
// is refused; after "trust" the modules load; revoking restricts it again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrustStore } from '../../../main/api/trust.js';
import { createHandlers } from '../../../main/api/handlers.js';
import { writeHostileProject, type HostileProject } from './hostile-project.js';

const root = path.resolve(import.meta.dirname, '../../..');
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ts-trust-')));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('TrustStore', () => {
  const file = path.join(tmp, 'store', 'trusted-folders.json');
  const store = new TrustStore(file, () => new Date('2024-05-01T10:00:00Z'));
  const work = path.join(tmp, 'work');
  const a = path.join(work, 'a');
  const b = path.join(work, 'b');
  beforeAll(() => {
    fs.mkdirSync(a, { recursive: true });
    fs.mkdirSync(b, { recursive: true });
    fs.symlinkSync(a, path.join(tmp, 'link-to-a'));
  });

  it('trusts nothing at first; a trusted folder is remembered by real path and covers its subfolders only', () => {
    expect(store.list()).toEqual([]);
    expect(store.covering(a)).toBeUndefined();
    store.trust(path.join(tmp, 'link-to-a'));
    expect(store.list()).toEqual([{ path: a, since: '2024-05-01T10:00:00.000Z' }]);
    expect(store.covering(a)?.path).toBe(a);
    expect(store.covering(path.join(a, 'sub', 'deeper'))?.path).toBe(a);
    expect(store.covering(b)).toBeUndefined();
    expect(store.covering(`${a}x`)).toBeUndefined();
    // remembered: another store over the same file sees it
    expect(new TrustStore(file).covering(path.join(tmp, 'link-to-a'))?.path).toBe(a);
  });

  it('trusting the parent folder trusts every project in it; revoking removes every trust that covers the folder', () => {
    store.trust(work);
    expect(store.covering(b)?.path).toBe(work);
    expect(store.covering(a)?.path).toBe(a);
    expect(
      store
        .revoke(a)
        .map((f) => f.path)
        .sort(),
    ).toEqual([a, work].sort());
    expect(store.covering(a)).toBeUndefined();
    expect(store.covering(b)).toBeUndefined();
  });

  it('forget removes one entry; the file system root is never trusted', () => {
    store.trust(a);
    store.trust(b);
    store.forget(a);
    expect(store.list().map((f) => f.path)).toEqual([b]);
    expect(() => store.trust('/')).toThrow(/every folder/);
  });

  it('an unreadable or malformed file trusts nothing', () => {
    fs.writeFileSync(file, '{ not json');
    expect(store.list()).toEqual([]);
    fs.writeFileSync(file, JSON.stringify({ version: 1, folders: [{ path: 'relative', since: 'x' }, { path: 42 }] }));
    expect(store.list()).toEqual([]);
    expect(store.covering(b)).toBeUndefined();
  });
});

describe('restricted mode in the handlers', () => {
  let p: HostileProject;
  const stateDir = path.join(tmp, 'state');
  const h = createHandlers({ mode: 'web', samplesDir: path.join(root, 'samples'), stateDir, pickRoots: [tmp], emit: () => {} });
  beforeAll(() => {
    p = writeHostileProject(path.join(tmp, 'hostile'));
  });
  afterAll(() => h.dispose());

  it('opening, checking, previewing, listing functions, history, connection defaults and export load nothing', async () => {
    const info = await h['project.open']({ dir: p.dir });
    expect(info.trust).toEqual({ trusted: false, userCode: ['./ext.mjs', './Notes.js'] });

    const check = await h['config.check']({ dir: p.dir });
    expect(check.ok).toBe(true);
    expect(check.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.path)).toEqual(
      expect.arrayContaining(['extensions[0]', 'processing.transformation[8]']),
    );

    const preview = await h['config.preview']({ dir: p.dir });
    expect(preview.preview).toBeUndefined();
    expect(preview.restricted).toMatch(
      /^the preview is off in restricted mode: .* is not a trusted folder, and it needs the config's user modules \(\.\/ext\.mjs, \.\/Notes\.js\)/,
    );
    expect(preview.trust.trusted).toBe(false);

    const fns = await h['functions.list']({ dir: p.dir });
    // names and signatures for completion come from parsing the module, not running it
    expect(fns.transform.find((f) => f.name === 'twice')?.signature).toBe('twice(DoubleType) → DoubleType');
    await expect(h['history.load']({ dir: p.dir })).rejects.toThrow(/history is off in restricted mode/);
    await expect(h['store.alerts']({ dir: p.dir, offset: 0, limit: 10 })).rejects.toThrow(/the alerts list is off in restricted mode/);
    await expect(h['store.windows']({ dir: p.dir, offset: 0, limit: 10 })).rejects.toThrow(/the windows list is off in restricted mode/);
    expect((await h['connection.defaults']({ dir: p.dir })).note).toBeUndefined();
    const exported = await h['export.write']({ dir: p.dir, outDir: path.join(tmp, 'hostile-export') });
    expect(exported.files).toContain('Notes.js');

    expect(p.ran()).toBe(false);
  });

  it('run.start is refused in restricted mode, with the reason', async () => {
    await expect(h['run.start']({ dir: p.dir, speed: 0 })).rejects.toThrow(
      /^running is off in restricted mode: .* is not a trusted folder, and a run loads the config's user modules and writes to its outputs\. Trust the folder to allow it$/,
    );
    expect(p.ran()).toBe(false);
  });

  it('a preview whose plan needs no user module still runs in restricted mode (an unsaved edit without the extension call)', async () => {
    const text = fs.readFileSync(path.join(p.dir, 'config.json'), 'utf8');
    const cfg = JSON.parse(text);
    cfg.processing.transformation.pop();
    cfg.processing.aggregations.rule.pop();
    const r = await h['config.preview']({ dir: p.dir, overlay: { 'config.json': JSON.stringify(cfg, null, 2) } });
    expect(r.preview?.rowsRead).toBe(1000);
    expect(r.restricted).toBeUndefined();
    expect(p.ran()).toBe(false);
  });

  it('after "trust folder" the modules load (only then, in the sandbox), and the choice is remembered', async () => {
    const t = await h['trust.set']({ dir: p.dir, trusted: true });
    expect(t).toEqual({ trusted: true, via: p.dir, userCode: ['./ext.mjs', './Notes.js'] });
    expect(p.ran()).toBe(false);
    const preview = await h['config.preview']({ dir: p.dir });
    expect(preview.preview?.columns.map((c) => c.name)).toContain('rpm_twice');
    const row = preview.preview!.rows[0]!;
    expect(row.at(-1)).toBe(2 * Number(row[3])); // rpm_twice = twice(rotation_speed), rpm_min = rotation_speed
    // loaded, but in the sandbox: neither module could write its marker
    expect(p.ran()).toBe(false);
    expect((await h['functions.list']({ dir: p.dir })).transform.map((f) => f.name)).toContain('twice');
    expect(await h['trust.list']({})).toEqual([expect.objectContaining({ path: p.dir })]);
    // a new session (new handler map) over the same state folder
    const again = createHandlers({ mode: 'web', samplesDir: path.join(root, 'samples'), stateDir, pickRoots: [tmp], emit: () => {} });
    expect((await again['project.open']({ dir: p.dir })).trust.trusted).toBe(true);
    await again.dispose();
  });

  it('revoking trust restricts the folder again; "trust parent folder" trusts its siblings too', async () => {
    const t = await h['trust.set']({ dir: p.dir, trusted: false });
    expect(t.trusted).toBe(false);
    await expect(h['run.start']({ dir: p.dir })).rejects.toThrow(/restricted mode/);

    const sibling = writeHostileProject(path.join(tmp, 'sibling'));
    await h['project.open']({ dir: sibling.dir });
    const viaParent = await h['trust.set']({ dir: p.dir, trusted: true, scope: 'parent' });
    expect(viaParent).toMatchObject({ trusted: true, via: tmp });
    expect((await h['project.open']({ dir: sibling.dir })).trust).toMatchObject({ trusted: true, via: tmp });
    expect(await h['trust.forget']({ path: tmp })).toEqual([]);
    expect((await h['project.open']({ dir: sibling.dir })).trust.trusted).toBe(false);
    expect(sibling.ran()).toBe(false);
  });

  it('trust.set only for an open project', async () => {
    await expect(h['trust.set']({ dir: path.join(tmp, 'work'), trusted: true })).rejects.toThrow(/not an open project/);
  });
});
