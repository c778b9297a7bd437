/**
 * `npm run web` (and `npm start` without an Electron binary): the workbench in
 * a browser. Options:
 *   --port <n>         listen port (default: a free one)
 *   --project <dir>    open this project folder at start (in restricted mode until it is trusted)
 *   --trust            trust the --project folder (remembered, as if "Trust folder" was clicked)
 *   --sample <name>    open a copy of samples/<name> (made under the projects folder once)
 * Prints `http://127.0.0.1:<port>/?token=<token>`; Ctrl-C stops it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHandlers } from './api/handlers.js';
import { argValue, initialProject, yieldToThePage } from './startup.js';
import { EventHub, startWebServer } from './web-server.js';
import { projectsHome, rendererDir, samplesDir, stateDir } from './paths.js';

const arg = (name: string) => argValue(process.argv.slice(2), name);

async function main(): Promise<void> {
  const project = initialProject(process.argv.slice(2));
  if (!fs.existsSync(path.join(rendererDir(), 'index.html'))) {
    console.error(`the renderer is not built (${rendererDir()} is missing): run "npm run build"`);
    process.exit(1);
  }
  yieldToThePage();
  const hub = new EventHub();
  const handlers = createHandlers({
    mode: 'web',
    samplesDir: samplesDir(),
    stateDir: stateDir(),
    projectsHome: projectsHome(),
    initialProject: project?.dir,
    trustInitialProject: project?.trust,
    emit: hub.emit,
  });
  const port = arg('port');
  const server = await startWebServer({ handlers, hub, rendererDir: rendererDir(), port: port ? Number(port) : 0 });
  // the one line tests and people look for
  console.log(`ts-engine workbench (web mode): ${server.url}`);
  if (project) console.log(`project: ${project.dir}`);
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
