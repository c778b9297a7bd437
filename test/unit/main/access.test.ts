// What the workbench API may reach (main/api/access.ts), through the real handler map and through
// web mode's HTTP transport: paths outside the open project — by "..", absolute, or through a
// symbolic link inside the project — are refused, and `dir` must be a project opened in this session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Access, isWithin, realPathOf } from '../../../main/api/access.js';
import { createHandlers } from '../../../main/api/handlers.js';
import { EventHub, startWebServer, type WebServer } from '../../../main/web-server.js';

const root = path.resolve(import.meta.dirname, '../../..');
// realpath: the temp folder may itself be reached through a link (macOS /var → /private/var)
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ts-access-')));
/** what the folder picker may browse (stands for the home folder) */
const home = path.join(tmp, 'home');
/** outside every root: a secret the API must never reach */
const outside = path.join(tmp, 'outside');
const project = path.join(home, 'sensors');

beforeAll(() => {
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'the secret');
  fs.mkdirSync(path.join(outside, 'elsewhere-project'));
  fs.cpSync(path.join(root, 'samples/sensors'), path.join(outside, 'elsewhere-project'), { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  fs.cpSync(path.join(root, 'samples/sensors'), project, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  // links inside the project that lead out of it
  fs.symlinkSync(outside, path.join(project, 'linked-dir'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(project, 'linked-file.txt'));
  fs.symlinkSync(path.join(outside, 'not-yet.txt'), path.join(project, 'dangling.txt'));
  // a link inside the project that stays inside it is fine
  fs.symlinkSync(path.join(project, 'data'), path.join(project, 'data-link'));
  fs.writeFileSync(path.join(project, '.env'), 'TOKEN=x');
  // a link in the home folder to a folder outside it
  fs.symlinkSync(outside, path.join(home, 'shortcut'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('realPathOf and isWithin', () => {
  it('resolves links of the deepest existing ancestor and keeps the rest', () => {
    expect(realPathOf(path.join(project, 'linked-dir', 'new', 'file.txt'))).toBe(path.join(outside, 'new', 'file.txt'));
    expect(realPathOf(path.join(project, 'data-link', 'sensors.csv'))).toBe(path.join(project, 'data', 'sensors.csv'));
    expect(realPathOf(path.join(project, 'a', '..', 'config.json'))).toBe(path.join(project, 'config.json'));
    expect(() => realPathOf(path.join(project, 'dangling.txt'))).toThrow(/link to nothing/);
  });

  it('compares whole path segments', () => {
    expect(isWithin('/a/b', '/a/b')).toBe(true);
    expect(isWithin('/a/b', '/a/b/c')).toBe(true);
    expect(isWithin('/a/b', '/a/bc')).toBe(false);
    expect(isWithin('/a/b', '/a')).toBe(false);
    expect(isWithin('/a/b', '/a/b/..x')).toBe(true);
  });

  it('Access: files only inside opened projects, folders only under the roots and grants', () => {
    const a = new Access([home]);
    expect(() => a.file(project, 'config.json')).toThrow(/not an open project/);
    a.opened(project);
    expect(a.file(project, 'config.json')).toBe(path.join(project, 'config.json'));
    expect(() => a.folder(outside, 'opening a project')).toThrow(/outside the folders the workbench may use for opening a project/);
    a.grant(path.join(outside, 'elsewhere-project'));
    expect(a.folder(path.join(outside, 'elsewhere-project'), 'opening a project')).toBe(path.join(outside, 'elsewhere-project'));
    expect(() => a.folder(outside, 'opening a project')).toThrow(/outside/);
    expect(a.parentFor(home)).toBeNull();
    expect(a.parentFor(project)).toBe(home);
  });
});

describe('the handlers refuse paths outside the open project', () => {
  const h = createHandlers({
    mode: 'web',
    samplesDir: path.join(root, 'samples'),
    stateDir: path.join(tmp, 'state'),
    projectsHome: path.join(home, 'projects'),
    pickRoots: [home],
    emit: () => {},
  });
  beforeAll(async () => {
    await h['project.open']({ dir: project });
  });
  afterAll(() => h.dispose());

  it('file.read: "..", absolute paths, and links inside the project that lead out', async () => {
    expect((await h['file.read']({ dir: project, path: 'config.json' })).text).toContain('"input"');
    expect((await h['file.read']({ dir: project, path: 'data-link/sensors.csv' })).text.length).toBeGreaterThan(0);
    for (const rel of [
      '../../outside/secret.txt',
      path.join(outside, 'secret.txt'),
      'linked-file.txt',
      'linked-dir/secret.txt',
      'data/../../../outside/secret.txt',
    ]) {
      await expect(h['file.read']({ dir: project, path: rel }), rel).rejects.toThrow(/outside the project folder/);
    }
    await expect(h['file.read']({ dir: project, path: 'dangling.txt' })).rejects.toThrow(/link to nothing/);
    await expect(h['file.read']({ dir: project, path: '.env' })).rejects.toThrow(/hidden/);
  });

  it('file.write: nothing is written outside, neither through ".." nor through a link', async () => {
    for (const rel of ['../evil.txt', path.join(outside, 'evil.txt'), 'linked-dir/evil.txt', 'linked-file.txt', 'dangling.txt', '.git/hooks/pre-commit']) {
      await expect(h['file.write']({ dir: project, path: rel, text: 'x' }), rel).rejects.toThrow(/outside the project folder|link to nothing|hidden/);
    }
    expect(fs.readdirSync(outside).sort()).toEqual(['elsewhere-project', 'secret.txt']);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('the secret');
    expect(fs.existsSync(path.join(home, 'evil.txt'))).toBe(false);
  });

  it('`dir` must be a project opened in this session, not a root the caller chooses', async () => {
    await expect(h['file.read']({ dir: '/etc', path: 'passwd' })).rejects.toThrow(/\/etc is not an open project/);
    await expect(h['file.read']({ dir: outside, path: 'secret.txt' })).rejects.toThrow(/not an open project/);
    await expect(h['file.write']({ dir: outside, path: 'evil.txt', text: 'x' })).rejects.toThrow(/not an open project/);
    for (const name of [
      'config.check',
      'config.preview',
      'history.load',
      'store.alerts',
      'store.rowErrors',
      'connection.defaults',
      'functions.list',
      'run.start',
    ] as const) {
      await expect((h[name] as (a: unknown) => Promise<unknown>)({ dir: path.join(outside, 'elsewhere-project') }), name).rejects.toThrow(
        /not an open project/,
      );
    }
    await expect(h['export.write']({ dir: path.join(outside, 'elsewhere-project'), outDir: path.join(home, 'exp') })).rejects.toThrow(/not an open project/);
  });

  it('folders chosen by the caller must be under the home folder (or open, recent, picked): project.open, fromSample, export, listDir', async () => {
    await expect(h['project.open']({ dir: path.join(outside, 'elsewhere-project') })).rejects.toThrow(
      /outside the folders the workbench may use for opening a project/,
    );
    // a link in the home folder does not lead out of it either
    await expect(h['project.open']({ dir: path.join(home, 'shortcut', 'elsewhere-project') })).rejects.toThrow(/outside the folders/);
    await expect(h['project.fromSample']({ sample: 'sensors', dir: path.join(outside, 'new') })).rejects.toThrow(
      /outside the folders the workbench may use for a new project/,
    );
    await expect(h['project.fromSample']({ sample: 'sensors', dir: path.join(project, 'linked-dir', 'new') })).rejects.toThrow(/outside/);
    expect(fs.existsSync(path.join(outside, 'new'))).toBe(false);
    await expect(h['export.write']({ dir: project, outDir: path.join(outside, 'exp') })).rejects.toThrow(
      /outside the folders the workbench may use for the export/,
    );
    await expect(h['export.write']({ dir: project, outDir: path.join(project, 'linked-dir', 'exp') })).rejects.toThrow(/outside/);
    expect(fs.existsSync(path.join(outside, 'exp'))).toBe(false);
    await expect(h['fs.listDir']({ path: '/etc' })).rejects.toThrow(/outside the folders the workbench may use for browsing/);
    await expect(h['fs.listDir']({ path: path.join(home, 'shortcut') })).rejects.toThrow(/outside/);
    // inside the roots all of it works
    const r = await h['export.write']({ dir: project, outDir: path.join(home, 'exported') });
    expect(r.files).toContain('config.json');
    const l = await h['fs.listDir']({ path: home });
    expect(l.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['exported', 'sensors']));
    expect(l.parent).toBeNull();
  });

  it('a folder picked in the native dialog (granted by the app) may be opened; others stay refused', async () => {
    const elsewhere = path.join(outside, 'elsewhere-project');
    await h.grantFolder(elsewhere);
    const p = await h['project.open']({ dir: elsewhere });
    expect(p.dir).toBe(elsewhere);
    expect((await h['file.read']({ dir: elsewhere, path: 'config.json' })).text).toContain('"input"');
    await expect(h['file.read']({ dir: elsewhere, path: '../secret.txt' })).rejects.toThrow(/outside the project folder/);
  });
});

describe("web mode: the issue's requests over HTTP, against the real handlers", () => {
  let server: WebServer;
  const h = createHandlers({
    mode: 'web',
    samplesDir: path.join(root, 'samples'),
    stateDir: path.join(tmp, 'state-web'),
    projectsHome: path.join(home, 'projects'),
    pickRoots: [home],
    emit: () => {},
  });
  const renderer = path.join(tmp, 'renderer');
  beforeAll(async () => {
    fs.mkdirSync(renderer, { recursive: true });
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
    server = await startWebServer({ handlers: h, hub: new EventHub(), rendererDir: renderer, token: 'tok' });
    await h['project.open']({ dir: project });
  });
  afterAll(async () => {
    await server.close();
    await h.dispose();
  });
  const post = (name: string, args: unknown) =>
    new Promise<{ status: number; body: { result?: unknown; error?: string } }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: `/api/${name}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-ts-engine-token': 'tok' },
        },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(body) }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(args));
    });

  it('file.read {"dir":"/etc","path":"passwd"}, file.write, fs.listDir and export.write outside the project are refused', async () => {
    const read = await post('file.read', { dir: '/etc', path: 'passwd' });
    expect(read.status).toBe(400);
    expect(read.body.error).toBe('/etc is not an open project; open it first');
    expect((await post('file.read', { dir: project, path: '../../outside/secret.txt' })).body.error).toMatch(/outside the project folder/);
    expect((await post('file.read', { dir: project, path: 'linked-file.txt' })).body.error).toMatch(/outside the project folder/);
    expect((await post('file.write', { dir: project, path: 'linked-dir/evil.txt', text: 'x' })).body.error).toMatch(/outside the project folder/);
    expect((await post('fs.listDir', { path: '/' })).body.error).toMatch(/outside the folders/);
    expect((await post('export.write', { dir: project, outDir: '/tmp/ts-engine-evil-export' })).body.error).toMatch(/outside the folders/);
    expect(fs.existsSync('/tmp/ts-engine-evil-export')).toBe(false);
    expect((await post('file.read', { dir: project, path: 'config.json' })).status).toBe(200);
  });
});
