/**
 * What a run needs to host a plan's user code in a sandbox (docs/sandbox.md): types only, so the
 * analysis layer can take it without knowing the pipeline's plan.
 */
import type { AnalysisLocator } from '../extensions/load.js';
import type { SandboxProcess } from './client.js';
import type { ModuleBundle, SandboxLimits, SandboxProcessorSpec } from './protocol.js';

/** Everything a run needs to host the plan's user code in a sandbox. */
export interface SandboxPlan {
  limits: SandboxLimits;
  /** analysis.timeout_ms, else sandbox.timeout_ms */
  analysisTimeoutMs: number;
  /** every user module the run loads, extension modules first (in config order) */
  bundles: ModuleBundle[];
  /** project files granted to user code (sandbox.files): name → text */
  files: Record<string, string>;
  /** set when transformations or aggregations call user functions: the Processor then runs in the sandbox */
  rows?: Omit<SandboxProcessorSpec, 'options'>;
  /** user analysis rules by rule index */
  analyses: Map<number, AnalysisLocator>;
  /**
   * A sandbox process that has loaded `bundles` already (the check's, kept with
   * `keepSandbox`): the first component of the run that needs one takes it.
   */
  sandbox?: SandboxProcess;
}
