/**
 * `npm run web` (and `npm start` without an Electron binary): the workbench in
 * a browser. Options:
 *   --port <n>         listen port (default: a free one)
 *   --project <dir>    open this project folder at start
 *   --sample <name>    open a copy of samples/<name> (made under the projects folder once)
 * Prints `http://127.0.0.1:<port>/?token=<token>`; Ctrl-C stops it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHandlers } from './api/handlers.js';
import { copySample } from './api/project.js';
import { EventHub, startWebServer } from './web-server.js';
import { projectsHome, rendererDir, samplesDir, stateDir } from './paths.js';

function arg(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}

async function main(): Promise<void> {
  let project = arg('project');
  const sample = arg('sample');
  if (!project && sample) {
    const dest = path.join(projectsHome(), sample);
    if (!fs.existsSync(path.join(dest, 'config.json'))) copySample(path.join(samplesDir(), sample), dest);
    project = dest;
  }
  if (!fs.existsSync(path.join(rendererDir(), 'index.html'))) {
    console.error(`the renderer is not built (${rendererDir()} is missing): run "npm run build"`);
    process.exit(1);
  }
  const hub = new EventHub();
  const handlers = createHandlers({
    mode: 'web',
    samplesDir: samplesDir(),
    stateDir: stateDir(),
    projectsHome: projectsHome(),
    initialProject: project ? path.resolve(project) : undefined,
    emit: hub.emit,
  });
  const port = arg('port');
  const server = await startWebServer({ handlers, hub, rendererDir: rendererDir(), port: port ? Number(port) : 0 });
  // the one line tests and people look for
  console.log(`ts-engine workbench (web mode): ${server.url}`);
  if (project) console.log(`project: ${path.resolve(project)}`);
  const shutdown = async () => {
    await handlers.dispose();
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
