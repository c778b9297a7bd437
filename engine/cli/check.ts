/**
 * `ts-engine check <config.json> [--connect [--timeout <s>]] [--no-user-code]`: exit 0 "OK", 2 with
 * one diagnostic per line on stderr (docs/semantics.md#cli). `--connect` also checks every connection
 * the config names (brokers, topic, InfluxDB, credentials), one line each on stderr; a failed one
 * exits 1. User modules are inspected in the sandbox, or only parsed with `--no-user-code` (docs/sandbox.md).
 */
import { checkConnections } from '../facade/connections.js';
import { checkConfig } from '../pipeline/plan.js';
import { parseArgs, UsageError } from './args.js';
import { printDiagnostics } from './report.js';

export async function checkCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['timeout'], ['connect', 'no-user-code']);
  if (positionals.length !== 1) throw new UsageError('check takes exactly one argument: the config file');
  const timeoutOpt = options.get('timeout');
  const timeoutSec = timeoutOpt === undefined ? 6 : Number(timeoutOpt);
  if (!(timeoutSec > 0) || !Number.isFinite(timeoutSec)) throw new UsageError('--timeout must be a number of seconds > 0');
  // --no-user-code: never load user modules (only parse them), as for a folder that is not trusted
  const outcome = await checkConfig(positionals[0]!, undefined, undefined, { userModules: options.has('no-user-code') ? 'skip' : 'load' });
  printDiagnostics(outcome.diagnostics);
  if (outcome.diagnostics.some((d) => d.severity === 'error')) return 2;
  if (options.has('connect') && outcome.plan) {
    const checks = await checkConnections(outcome.plan.config, { timeoutMs: timeoutSec * 1000 });
    let failed = 0;
    for (const { path, report } of checks) {
      if (!report.ok) failed++;
      process.stderr.write(`${report.ok ? 'connected' : 'error'}: ${path}: ${report.target}: ${report.detail}\n`);
      for (const w of report.warnings) process.stderr.write(`warning: ${path}: ${w}\n`);
    }
    if (checks.length === 0) process.stderr.write('no connections to check (no Kafka or InfluxDB in this config)\n');
    if (failed > 0) return 1;
  }
  process.stdout.write('OK\n');
  return 0;
}
