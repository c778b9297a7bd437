import { checkConfig } from '../pipeline/plan.js';
import { parseArgs, UsageError } from './args.js';
import { printDiagnostics } from './report.js';

export async function checkCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, [], ['no-user-code']);
  if (positionals.length !== 1) throw new UsageError('check takes exactly one argument: the config file');
  // --no-user-code: never load user modules (only parse them), as for a folder that is not trusted
  const outcome = await checkConfig(positionals[0]!, undefined, undefined, { loadUserModules: !options.has('no-user-code') });
  printDiagnostics(outcome.diagnostics);
  if (outcome.diagnostics.some((d) => d.severity === 'error')) return 2;
  process.stdout.write('OK\n');
  return 0;
}
