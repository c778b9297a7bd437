/** `ts-engine export … --target flink`: list the changes of meaning, refuse or write the job. */
import path from 'node:path';
import type { CheckOutcome } from '../pipeline/plan.js';
import { displayPath } from './report.js';
import { planFlinkExport, writeFlinkExport } from '../targets/flink/export-flink.js';

export function exportFlinkCommand(outcome: CheckOutcome, outDir: string, allowLossy: boolean): number {
  const exp = planFlinkExport(outcome);
  if (exp.changes.length > 0) {
    process.stderr.write('export (flink): changes of meaning:\n');
    for (const c of exp.changes) process.stderr.write(`  ${c.path}: ${c.kind === 'note' ? '' : `[${c.kind}] `}${c.message}\n`);
  }
  const blockers = exp.changes.filter((c) => c.kind === 'blocker');
  if (blockers.length > 0) {
    process.stderr.write(`export: ${blockers.length} part(s) of the config have no Python form (listed above); nothing written\n`);
    return 2;
  }
  if (!allowLossy && exp.changes.some((c) => c.kind === 'lossy')) {
    process.stderr.write('export: the Flink job would change what the pipeline stores or reports (lossy, listed above); pass --allow-lossy to export anyway\n');
    return 2;
  }
  const abs = path.resolve(outDir);
  for (const f of writeFlinkExport(exp, abs)) process.stdout.write(`${displayPath(path.join(abs, f))}\n`);
  return 0;
}
