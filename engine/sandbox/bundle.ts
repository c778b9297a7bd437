/**
 * User modules (JS or TS, with the packages they import) become one script each
 * for the sandbox's realm (docs/sandbox.md). esbuild only parses them: nothing
 * of a module runs here. Node's built-in modules are refused at bundle time,
 * since nothing in the realm could serve them.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import type { UnsavedSources } from '../core/files.js';
import { BUNDLE_GLOBAL, type ModuleBundle } from './protocol.js';

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const refuseBuiltins: Plugin = {
  name: 'ts-engine-sandbox',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const name = args.path.startsWith('node:') ? args.path : args.path.split('/')[0]!;
      if (!BUILTINS.has(name) && !BUILTINS.has(args.path)) return undefined;
      const shown = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      return { errors: [{ text: `extension modules cannot import ${shown} (sandboxed: user code has no file system, network or process access)` }] };
    });
  },
};

interface Cached {
  inputs: { file: string; mtimeMs: number; size: number }[];
  result: ModuleBundle | { file: string; error: string };
}

const cache = new Map<string, Cached>();

function unchanged(c: Cached): boolean {
  return c.inputs.every((i) => {
    try {
      const st = fs.statSync(i.file);
      return st.mtimeMs === i.mtimeMs && st.size === i.size;
    } catch {
      return false;
    }
  });
}

function inputsOf(files: string[]): Cached['inputs'] {
  return files.flatMap((file) => {
    try {
      const st = fs.statSync(file);
      return [{ file, mtimeMs: st.mtimeMs, size: st.size }];
    } catch {
      return [];
    }
  });
}

/** Serves the files that have unsaved text from that text (TS or JS by their name). */
function unsavedPlugin(sources: UnsavedSources, used: Set<string>): Plugin {
  return {
    name: 'ts-engine-unsaved',
    setup(build) {
      build.onLoad({ filter: /.*/ }, (args) => {
        const text = sources(args.path);
        if (text === undefined) return undefined;
        used.add(args.path);
        const loader = /\.(m|c)?tsx?$/.test(args.path) ? (args.path.endsWith('x') ? 'tsx' : 'ts') : /\.jsx$/.test(args.path) ? 'jsx' : 'js';
        return { contents: text, loader };
      });
    },
  };
}

/**
 * One module as a script for the realm, or why it cannot be one (a one-line message). With
 * `sources`, files that have unsaved text are bundled from it (such a bundle is not remembered).
 */
export async function bundleModule(file: string, sources?: UnsavedSources): Promise<ModuleBundle | { file: string; error: string }> {
  const hit = cache.get(file);
  if (hit && unchanged(hit) && !hit.inputs.some((i) => sources?.(i.file) !== undefined) && sources?.(file) === undefined) return hit.result;
  cache.delete(file);
  const used = new Set<string>();
  const esbuild = await import('esbuild');
  const dir = path.dirname(file);
  let entry: Cached;
  try {
    const out = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: BUNDLE_GLOBAL,
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: dir,
      plugins: sources ? [refuseBuiltins, unsavedPlugin(sources, used)] : [refuseBuiltins],
    });
    const inputs = Object.keys(out.metafile!.inputs).map((f) => path.resolve(dir, f));
    entry = { inputs: inputsOf(inputs), result: { file, code: out.outputFiles[0]!.text } };
  } catch (e) {
    const failure = e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] };
    const first = failure.errors?.[0];
    const where = first?.location ? `${path.resolve(dir, first.location.file)}:${first.location.line}:${first.location.column + 1}: ` : '';
    const message = first ? `${where}${first.text}` : (e as Error).message;
    // not remembered: the file that broke the build may be any of the module's imports
    return { file, error: message };
  }
  if (used.size === 0) cache.set(file, entry);
  return entry.result;
}
