/**
 * The `sandbox` section (docs/sandbox.md): the limits of the sandbox process user code runs in,
 * and the project files it may read. One spec gives the JSON Schema and the positioned parse.
 */
import path from 'node:path';
import { array, custom, int, obj, typeName, type ParseEnv } from '../options/spec.js';
import type { SandboxConfig } from './model.js';

/** A project file granted to user code: a path relative to the config file that stays inside the project folder. */
const grantedFile = (configDir: () => string) =>
  custom<{ name: string; path: string }>(
    () => ({ type: 'string', minLength: 1, description: 'A project file, relative to the config file.' }),
    (v, at, env, fail) => {
      if (typeof v !== 'string' || v.length === 0) return fail(`${at.path} must be a file path relative to the config file, got ${typeName(v)}`);
      const abs = env.resolve(v);
      const rel = path.relative(configDir(), abs);
      if (path.isAbsolute(v) || rel.startsWith('..') || path.isAbsolute(rel)) {
        return fail(`${at.path}: only files inside the project folder can be granted, not ${JSON.stringify(v)}`);
      }
      if (!env.exists(abs)) return fail(`${at.path}: granted file ${abs} does not exist`);
      return { name: rel.split(path.sep).join('/'), path: abs };
    },
  );

export function sandboxSpec(configDir: () => string = () => '.') {
  return obj(
    {
      timeout_ms: int({ min: 1, max: 600_000 })
        .default(1000)
        .describe('Time limit for the user functions of one row together, and for one user-analysis call (default 1000). A row over it is dead-lettered.'),
      startup_timeout_ms: int({ min: 1, max: 600_000 })
        .default(5000)
        .describe('Time limit for loading each user module and constructing each user analysis (default 5000).'),
      // below 64 MB Node itself does not fit
      memory_mb: int({ min: 64, max: 65_536 })
        .default(512)
        .describe('Memory of the sandbox process, heap and buffers together (default 512); over it the sandbox is stopped.'),
      files: array(grantedFile(configDir))
        .default([])
        .describe(
          'Project files (relative to the config file) user code may read with tsEngine.readFile(name). Nothing else of the disk or network is reachable.',
        ),
    },
    { unknownKey: (k) => `unknown key '${k}' in sandbox is ignored` },
  )
    .messages({ invalid: (v, at) => `${at.path} must be an object {"timeout_ms", "startup_timeout_ms", "memory_mb", "files"}, got ${typeName(v)}` })
    .describe(
      'Limits of the sandbox process that runs user code (extension functions, user analyses), and the project files it may read. See docs/sandbox.md.',
    );
}

const DEFAULTS: SandboxConfig = { timeoutMs: 1000, startupTimeoutMs: 5000, memoryMb: 512, files: [] };

/** The sandbox section of a config whose folder is `configDir`; the defaults where it is absent or wrong. */
export function parseSandbox(root: Record<string, unknown>, configDir: string, env: ParseEnv): SandboxConfig {
  const parsed = sandboxSpec(() => configDir).parseAt(root.sandbox, { path: 'sandbox', parent: '', key: 'sandbox' }, env);
  // a key that failed is reported and left out: its default stands in, so the rest of the check goes on
  const got: Partial<typeof parsed> = parsed ?? {};
  return {
    timeoutMs: got.timeout_ms ?? DEFAULTS.timeoutMs,
    startupTimeoutMs: got.startup_timeout_ms ?? DEFAULTS.startupTimeoutMs,
    memoryMb: got.memory_mb ?? DEFAULTS.memoryMb,
    files: got.files ?? [],
  };
}
