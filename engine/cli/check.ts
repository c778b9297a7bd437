import { checkConfig } from '../pipeline/plan.js';
import { parseArgs, UsageError } from './args.js';
import { printDiagnostics } from './report.js';

export async function checkCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs(argv, []);
  if (positionals.length !== 1) throw new UsageError('check takes exactly one argument: the config file');
  const outcome = await checkConfig(positionals[0]!);
  printDiagnostics(outcome.diagnostics);
  if (outcome.diagnostics.some((d) => d.severity === 'error')) return 2;
  process.stdout.write('OK\n');
  return 0;
}
