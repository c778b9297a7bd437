/** Placeholder until multi-core replay lands (issue 5). */
import type { PipelinePlan } from '../pipeline/plan.js';
import type { RunStats } from '../pipeline/runner.js';

export function parallelUnsupportedReason(_plan: PipelinePlan): string | undefined {
  return 'multi-core replay is not available in this build yet';
}

export async function runParallelReplay(_plan: PipelinePlan, _opts: { workers?: number; warn(m: string): void; deadLetterPath?: string }): Promise<RunStats> {
  throw new Error('multi-core replay is not available in this build yet');
}
