/** Where the workbench finds its own files and keeps its state, in both Electron and web mode. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The package root: the nearest folder above this file (or its bundle in out/main) whose
 * package.json is ts-engine's. Found here, not through the engine, because the Electron main
 * process never loads the engine (it runs in the API host process).
 */
export function appRoot(): string {
  if (root) return root;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && /"name"\s*:\s*"ts-engine"/.test(fs.readFileSync(pkg, 'utf8'))) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error('cannot locate the ts-engine package root');
  }
}
export const rendererDir = (): string => path.join(appRoot(), 'out', 'renderer');
export const samplesDir = (): string => path.join(appRoot(), 'samples');

/** Recent projects etc.: $TS_ENGINE_STATE_DIR, else $XDG_CONFIG_HOME/ts-engine, else ~/.config/ts-engine. */
export function stateDir(): string {
  if (process.env.TS_ENGINE_STATE_DIR) return path.resolve(process.env.TS_ENGINE_STATE_DIR);
  const base = process.env.XDG_CONFIG_HOME || (process.platform === 'win32' ? process.env.APPDATA : undefined) || path.join(os.homedir(), '.config');
  return path.join(base!, 'ts-engine');
}

/** Default parent folder of projects made from samples: $TS_ENGINE_PROJECTS or ~/ts-engine-projects. */
export function projectsHome(): string {
  return path.resolve(process.env.TS_ENGINE_PROJECTS || path.join(os.homedir(), 'ts-engine-projects'));
}
