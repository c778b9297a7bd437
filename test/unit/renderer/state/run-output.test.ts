// Errors in sight (renderer/src/state/run-output.svelte.ts) through the real handlers served in-process: a run's
// stdout text in the Output tab's state, runtime failures of user code counted with one toast, reset by the next run.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../helpers.js';

describe('RunOutputState', () => {
  let t: TestApp;
  afterEach(() => t.dispose());

  it('collects stdout text, counts user-code failures, toasts once, and starts afresh with the next run', async () => {
    t = testApp();
    const dir = t.sample('sensors');
    fs.writeFileSync(path.join(dir, 'fails.mjs'), 'export default class Fails { analysis() { throw new Error("analysis broke"); } }\n');
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.analysis.rule.push({ module: './fails.mjs', name: 'F', options: {} });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    const { wb, run, output } = t.app;
    await wb.init();
    await wb.openProject(dir);
    await wb.trust('folder');
    await t.transport.idle();
    expect(wb.check?.ok).toBe(true);

    let finished = t.next('run.finished');
    await run.start();
    await finished;
    expect(output.text.slice(0, 300)).toMatch(/^-{10,}\n\(\(1, 'compressor\.t2'\)/);
    expect(output.text.split('\n').filter((l) => l.startsWith('((')).length).toBe(90 * 20);
    expect(output.userCodeFailures).toBe(90 * 20);
    expect(output.outputFailures).toBe(0);
    expect(output.failureCount).toBe(1800);
    expect(wb.toast?.kind).toBe('error');
    expect(wb.toast?.text).toMatch(/^user code failed: analysis F \(.*fails\.mjs\) failed .*analysis broke/);
    expect(output.failures.length).toBeGreaterThan(0);

    // the next run starts with an empty output and no failures
    const firstRun = output.runId;
    finished = t.next('run.finished');
    await run.start();
    await finished;
    expect(output.runId).not.toBe(firstRun);
    expect(output.userCodeFailures).toBe(1800);
    output.clear();
    expect(output.text).toBe('');
  });
});
