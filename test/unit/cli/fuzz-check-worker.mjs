// Worker thread of the config fuzzer (config-fuzz.test.ts): runs `check` on configs in this process, one after the
// other, with the built engine (dist/, built by the test setup). A worker, so a case that hangs can be cut off.
import { parentPort } from 'node:worker_threads';
import { checkConfig, formatDiagnostic } from '../../../dist/engine.mjs';

parentPort.on('message', async ({ id, configPath }) => {
  try {
    const outcome = await checkConfig(configPath);
    parentPort.postMessage({
      id,
      ok: !outcome.diagnostics.some((d) => d.severity === 'error'),
      diagnostics: outcome.diagnostics.map((d) => ({ ...d, text: formatDiagnostic(d) })),
    });
  } catch (e) {
    parentPort.postMessage({ id, threw: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
