// User modules become one script for the sandbox's realm (docs/sandbox.md): TypeScript and the packages a module
// imports are bundled; Node's built-in modules are refused with a clear message naming the place.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleModule } from '../../../engine/sandbox/bundle.js';
import { useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();

describe('bundling a user module', () => {
  it('refuses every way of importing a Node built-in, naming the file, line and module', async () => {
    const dir = tmp();
    writeFiles(dir, {
      'a.mjs': "import fs from 'node:fs';\nexport const x = fs;",
      'b.ts': "import { connect } from 'net';\nexport const y = connect;",
      'c.cjs': "const cp = require('child_process');\nmodule.exports = { cp };",
      'd.mjs': "export { x } from './lib/uses-os.mjs';",
      'lib/uses-os.mjs': "import os from 'os';\nexport const x = os.homedir;",
      'e.mjs': "export const later = () => import('node:http');",
    });
    const errors = await Promise.all(['a.mjs', 'b.ts', 'c.cjs', 'd.mjs', 'e.mjs'].map((f) => bundleModule(path.join(dir, f))));
    expect(errors.map((e) => ('error' in e ? e.error.replace(dir + path.sep, '') : 'bundled'))).toEqual([
      'a.mjs:1:16: extension modules cannot import node:fs (sandboxed: user code has no file system, network or process access)',
      'b.ts:1:25: extension modules cannot import node:net (sandboxed: user code has no file system, network or process access)',
      'c.cjs:1:20: extension modules cannot import node:child_process (sandboxed: user code has no file system, network or process access)',
      'lib/uses-os.mjs:1:16: extension modules cannot import node:os (sandboxed: user code has no file system, network or process access)',
      'e.mjs:1:35: extension modules cannot import node:http (sandboxed: user code has no file system, network or process access)',
    ]);
  });

  it('bundles TypeScript and the packages of the project folder into one script that assigns its exports', async () => {
    const dir = tmp();
    writeFiles(dir, {
      'node_modules/tiny-clamp/package.json': JSON.stringify({ name: 'tiny-clamp', version: '1.0.0', main: 'index.js' }),
      'node_modules/tiny-clamp/index.js': 'module.exports = (x, lo, hi) => Math.min(hi, Math.max(lo, x));',
      'ops.ts':
        "import clamp from 'tiny-clamp';\nconst f = (x: number): number => clamp(x, 0, 10);\nexport const transformFunctions = [{ name: 'c', arity: 1, returns: 'arg0' as const, apply: f }];",
    });
    const b = await bundleModule(path.join(dir, 'ops.ts'));
    expect('code' in b).toBe(true);
    const code = (b as { code: string }).code;
    expect(code).toContain('Math.min(hi, Math.max(lo, x))');
    expect(code).not.toMatch(/\brequire\(["']tiny-clamp["']\)|\bimport\s.*from\s+["']tiny-clamp["']/);
    expect(code).toMatch(/^var __tsEngineModuleExports = /);
  });

  it('names the place of a syntax error', async () => {
    const dir = tmp();
    writeFiles(dir, { 'bad.mjs': 'export const a = ;\n' });
    const b = await bundleModule(path.join(dir, 'bad.mjs'));
    expect('error' in b && b.error.replace(dir + path.sep, '')).toBe('bad.mjs:1:18: Unexpected ";"');
  });
});
