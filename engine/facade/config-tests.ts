/**
 * Tests in the config as plain data (facade-types.ts#ConfigTestsResult), for `ts-engine test` and
 * the workbench, which runs them on every save and lists the differences in the Problems panel
 * (docs/config-tests.md).
 */
import type { ConfigIO } from '../config/model.js';
import { checkConfig, nodeIO } from '../pipeline/plan.js';
import { lineCol, lineStartsOf, parseJsonWithLocations } from '../options/json.js';
import { parseTestsFile, runCase, testsFileOf } from '../evaluate/config-tests.js';
import type { ConfigTestsResult } from '../facade-types.js';

/** Checks the config and its tests file, runs every case; never throws for a problem of the user's files. */
export async function runConfigTests(
  configPath: string,
  opts: { configText?: string; testsText?: string; testsFile?: string; io?: ConfigIO; signal?: AbortSignal; display?(f: string): string } = {},
): Promise<ConfigTestsResult> {
  const started = performance.now();
  const io = opts.io ?? nodeIO;
  const display = opts.display ?? ((f: string) => f);
  const testsFile = opts.testsFile ?? testsFileOf(configPath);
  const base = { testsFile: display(testsFile), cases: [], passed: 0, failed: 0 };
  const checked = await checkConfig(configPath, opts.configText, io);
  const text = opts.testsText ?? io.readFile(testsFile);
  if (text instanceof Error) {
    return {
      ok: false,
      ...base,
      diagnostics: checked.diagnostics,
      error: `no tests file: cannot read ${display(testsFile)} (${text.message})`,
      elapsedMs: performance.now() - started,
    };
  }
  const parsed = parseTestsFile(display(testsFile), text);
  const diagnostics = [...checked.diagnostics, ...parsed.diagnostics];
  if (!checked.plan || !parsed.cases) return { ok: false, ...base, diagnostics, elapsedMs: performance.now() - started };
  // differences are placed at the expectation they break (or its nearest written ancestor)
  const doc = parseJsonWithLocations(text);
  const lineStarts = lineStartsOf(text);
  const placeOf = (p: string) => {
    let key = p;
    while (key !== '' && !doc.locs.has(key)) {
      const up = key.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
      if (up === key) break;
      key = up;
    }
    return lineCol(lineStarts, doc.locs.get(key)?.start ?? 0);
  };
  const result: ConfigTestsResult = { ok: true, ...base, diagnostics, elapsedMs: 0 };
  for (const c of parsed.cases) {
    // a newer save makes these results stale: the cases not run yet are skipped
    if (opts.signal?.aborted) {
      result.cancelled = true;
      break;
    }
    let outcome: Awaited<ReturnType<typeof runCase>>;
    try {
      outcome = await runCase(checked.plan, c, io, testsFile);
    } catch (e) {
      outcome = { case: c, differences: [], error: (e as Error).message, windows: 0, alerts: 0, rowErrors: 0 };
    }
    const passed = outcome.differences.length === 0 && outcome.error === undefined;
    if (passed) result.passed++;
    else result.failed++;
    result.cases.push({
      name: c.name,
      passed,
      line: c.line,
      column: c.column,
      differences: outcome.differences.map((d) => ({ ...d, ...placeOf(d.path) })),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      windows: outcome.windows,
      alerts: outcome.alerts,
      rowErrors: outcome.rowErrors,
    });
  }
  result.elapsedMs = performance.now() - started;
  return result;
}
