/**
 * The engine side of the Electron app: a plain Node process (forked by
 * main/index.ts) serving the handler map over the IPC channel of
 * child_process.fork. Arguments: --project / --sample as for web mode.
 */
import { createHandlers } from './api/handlers.js';
import { serveHandlers, type HostMessage } from './api/host.js';
import { projectsHome, samplesDir, stateDir } from './paths.js';
import { initialProject, yieldToThePage } from './startup.js';

if (!process.send) {
  console.error('api-host runs as a child process of the Electron main process');
  process.exit(1);
}
yieldToThePage();
const send = (m: HostMessage) => process.send!(m);
const project = initialProject(process.argv.slice(2));
const handlers = createHandlers({
  mode: 'electron',
  samplesDir: samplesDir(),
  stateDir: stateDir(),
  projectsHome: projectsHome(),
  initialProject: project?.dir,
  trustInitialProject: project?.trust,
  emit: (event, payload) => send({ type: 'event', event, payload }),
});
serveHandlers(handlers, { send, onMessage: (cb) => process.on('message', (m) => cb(m as HostMessage)) });
// the main process went away: stop the run cleanly (open windows flushed) and exit
process.on('disconnect', () => void handlers.dispose().finally(() => process.exit(0)));
