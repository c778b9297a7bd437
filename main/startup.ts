/** `--project <dir>` / `--sample <name>` on the command line of either mode → the project to open at start. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copySample } from './api/project.js';
import { projectsHome, samplesDir } from './paths.js';

export function argValue(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}

/**
 * A sample is copied once under the projects folder, then reopened from there; the app wrote it,
 * so it is trusted. A `--project` folder is trusted only with `--trust` (the user vouches for it on
 * the command line); otherwise it opens in restricted mode until trusted in the workbench.
 */
export function initialProject(argv: string[]): { dir: string; trust: boolean } | undefined {
  const project = argValue(argv, 'project');
  if (project) return { dir: path.resolve(project), trust: argv.includes('--trust') };
  const sample = argValue(argv, 'sample');
  if (!sample) return undefined;
  const dest = path.join(projectsHome(), sample);
  if (!fs.existsSync(path.join(dest, 'config.json'))) copySample(path.join(samplesDir(), sample), dest);
  return { dir: dest, trust: true };
}

/** how much lower than the workbench's page the engine host runs (TS_ENGINE_HOST_NICE: 0 keeps it level) */
const HOST_NICE = 5;

/**
 * The engine host (web mode's server, Electron's api-host) runs a little below normal priority: a
 * max-speed replay takes every cycle the page leaves, and the page, which needs little, gets its
 * cycles at once, so a click is answered during a replay (docs/workbench.md#responsiveness). The
 * CLI stays at normal priority. Where the OS refuses, nothing changes.
 */
export function yieldToThePage(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const asked = env.TS_ENGINE_HOST_NICE === undefined ? HOST_NICE : Number(env.TS_ENGINE_HOST_NICE);
  if (!Number.isInteger(asked) || asked <= 0) return undefined;
  try {
    const nice = Math.min(19, os.getPriority() + asked);
    os.setPriority(nice);
    return nice;
  } catch {
    return undefined;
  }
}
