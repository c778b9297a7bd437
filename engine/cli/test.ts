/**
 * `ts-engine test <config.json> [--tests <file>] [--format text|json]` (docs/config-tests.md): runs
 * the cases of `<config>.tests.json` with outputs off and prints a diff per failing case (JSON
 * path, expected, actual). Exit 0 all passed, 1 one failed (or a usage error), 2 an invalid config
 * or tests file (positioned diagnostics on stderr) or no tests file.
 */
import path from 'node:path';
import { runConfigTests } from '../facade/config-tests.js';
import type { ConfigTestsResult } from '../facade-types.js';
import { parseArgs, UsageError } from './args.js';
import { displayPath, printDiagnostics } from './report.js';

export async function testCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['tests', 'format']);
  if (positionals.length !== 1) throw new UsageError('test takes exactly one argument: the config file');
  const format = (options.get('format') as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got '${format}'`);
  const tests = options.get('tests');
  const r = await runConfigTests(positionals[0]!, { testsFile: typeof tests === 'string' ? path.resolve(tests) : undefined, display: displayPath });
  printDiagnostics(r.diagnostics);
  if (!r.ok) {
    if (r.error) process.stderr.write(`test: ${r.error}\n`);
    return 2;
  }
  process.stdout.write(format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : testsText(r));
  return r.failed > 0 ? 1 : 0;
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

/** The report `--format text` prints: PASS/FAIL per case, the differences of each failing one. */
export function testsText(r: ConfigTestsResult): string {
  const out: string[] = [];
  for (const c of r.cases) {
    out.push(`${c.passed ? 'PASS' : 'FAIL'} ${c.name}${c.passed ? '' : ` (${r.testsFile}:${c.line}:${c.column})`}`);
    if (c.error) out.push(`  error: ${c.error}`);
    for (const d of c.differences) {
      out.push(`  ${d.path}: ${d.message}`);
      if (d.expected !== undefined) out.push(`    expected: ${show(d.expected)}`);
      if (d.actual !== undefined) out.push(`    actual:   ${show(d.actual)}`);
    }
  }
  out.push(`${r.cases.length} cases: ${r.passed} passed, ${r.failed} failed`);
  return `${out.join('\n')}\n`;
}
