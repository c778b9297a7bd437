/**
 * `ts-engine export <config.json> <out-dir> [--target reference|flink] [--allow-lossy]`.
 * reference: the config in the reference format (secrets as ${ENV} placeholders,
 * ts-engine-only keys dropped with a warning each) plus the data-structure file and
 * user modules. flink: a PyFlink job (engine/targets/flink), after listing every
 * change of meaning. Exit 0 written, 2 invalid config or refused (nothing written),
 * 1 usage or I/O error.
 */
import { checkConfig } from '../pipeline/plan.js';
import { exportProject } from '../export/reference.js';
import { parseArgs, UsageError } from './args.js';
import { displayPath, printDiagnostics } from './report.js';

export async function exportCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['target'], ['allow-lossy']);
  if (positionals.length !== 2) throw new UsageError('export takes exactly two arguments: the config file and the output folder');
  const target = (options.get('target') as string | undefined) ?? 'reference';
  if (target !== 'reference' && target !== 'flink') throw new UsageError(`unknown export target '${target}' (reference or flink)`);
  const [configPath, outDir] = positionals as [string, string];
  const outcome = await checkConfig(configPath);
  if (outcome.diagnostics.some((d) => d.severity === 'error')) {
    printDiagnostics(outcome.diagnostics);
    process.stderr.write('export: the config is invalid; nothing written\n');
    return 2;
  }
  if (target === 'flink') return (await import('./export-flink.js')).exportFlinkCommand(outcome, outDir, options.has('allow-lossy'));
  const r = exportProject(configPath, outDir);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  for (const f of r.files) process.stdout.write(`${displayPath(`${r.outDir}/${f}`)}\n`);
  return 0;
}
