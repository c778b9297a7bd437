/** Where the workbench finds its own files and keeps its state, in both Electron and web mode. */
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../engine/paths.js';

export const appRoot = (): string => packageRoot();
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
