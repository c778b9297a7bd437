/**
 * `ts-engine export <config.json> <out-dir>`: the config in the reference format
 * (secrets as ${ENV} placeholders, ts-engine-only keys dropped with a warning
 * each) plus the data-structure file and user modules, written into out-dir.
 * Exit 0 written, 2 invalid config (nothing written), 1 usage or I/O error.
 */
import { checkConfig } from '../pipeline/plan.js';
import { exportProject } from '../export/reference.js';
import { parseArgs, UsageError } from './args.js';
import { displayPath, printDiagnostics } from './report.js';

export async function exportCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs(argv, []);
  if (positionals.length !== 2) throw new UsageError('export takes exactly two arguments: the config file and the output folder');
  const [configPath, outDir] = positionals as [string, string];
  const outcome = await checkConfig(configPath);
  if (outcome.diagnostics.some((d) => d.severity === 'error')) {
    printDiagnostics(outcome.diagnostics);
    process.stderr.write('export: the config is invalid; nothing written\n');
    return 2;
  }
  const r = exportProject(configPath, outDir);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  for (const f of r.files) process.stdout.write(`${displayPath(`${r.outDir}/${f}`)}\n`);
  return 0;
}
