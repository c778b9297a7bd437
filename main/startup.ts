/** `--project <dir>` / `--sample <name>` on the command line of either mode → the project to open at start. */
import fs from 'node:fs';
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
