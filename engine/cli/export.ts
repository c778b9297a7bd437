/**
 * `ts-engine export <config.json> <out-dir> [--target ts-engine|flink|reference] [--allow-lossy]`.
 * Every target first lists each change of meaning it makes (one line each, with its JSON path, on
 * stderr); a target that would change results refuses (exit 2, nothing written) unless --allow-lossy,
 * and a part with no form in the target refuses whatever the flags (engine/export/change.ts).
 * ts-engine (default): a production bundle for `ts-engine run` as a service. flink: a PyFlink job.
 * reference: the 2017 PySpark format. Exit 0 written, 2 invalid config or refused, 1 usage or I/O error.
 */
import path from 'node:path';
import { formatChange, refusalOf } from '../export/change.js';
import { checkForExport, EXPORT_TARGETS, isExportTarget, planExport } from '../export/targets.js';
import { parseArgs, UsageError } from './args.js';
import { displayPath, printDiagnostics } from './report.js';

export async function exportCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['target'], ['allow-lossy']);
  if (positionals.length !== 2) throw new UsageError('export takes exactly two arguments: the config file and the output folder');
  const target = (options.get('target') as string | undefined) ?? 'ts-engine';
  if (!isExportTarget(target)) throw new UsageError(`unknown export target '${target}' (${EXPORT_TARGETS.map((t) => t.name).join(', ')})`);
  const [configPath, outDir] = positionals as [string, string];
  const outcome = await checkForExport(configPath);
  if (outcome.diagnostics.some((d) => d.severity === 'error')) {
    printDiagnostics(outcome.diagnostics);
    process.stderr.write('export: the config is invalid; nothing written\n');
    return 2;
  }
  const planned = await planExport(target, configPath, outcome);
  if (planned.changes.length > 0) {
    process.stderr.write(`export (${target}): changes of meaning:\n`);
    for (const c of planned.changes) process.stderr.write(`  ${formatChange(c)}\n`);
  }
  const refusal = refusalOf(planned.changes, options.has('allow-lossy'), target);
  if (refusal) {
    process.stderr.write(`export: ${refusal.message}\n`);
    return 2;
  }
  const abs = path.resolve(outDir);
  for (const f of planned.write(abs)) process.stdout.write(`${displayPath(path.join(abs, f))}\n`);
  return 0;
}
