// Types of ./index.mjs for the TypeScript test harnesses (test/integration/servers/*.ts).

export type StepName =
  | 'java'
  | 'maven'
  | 'kafka-jars'
  | 'go'
  | 'rust'
  | 'influxd-2.7'
  | 'influxd-1.8'
  | 'influxd-1.x'
  | 'chromium'
  | 'python'
  | 'flink-venv'
  | 'flink-jars'
  | 'cassandra-jars';

export interface StepResult {
  /** The binary, folder or wrapper the step provides. */
  path: string;
  version?: string;
  /** One line saying what it is and where it came from. */
  summary: string;
  /** Variables a child process using it needs (JAVA_HOME, CHROMIUM_PATH, TS_ENGINE_FLINK_VENV). */
  env?: Record<string, string>;
  /** Directories to put first on PATH for a child process using it. */
  pathDirs?: string[];
}

export interface StepInfo {
  name: StepName;
  why: string;
  needs: StepName[];
  optional: boolean;
  background: boolean;
  /** The vitest projects that need it and run after the others (empty: unit and integration). */
  tests: string[];
  usedBy?: string[];
}

export class Unavailable extends Error {
  readonly reason: string;
  readonly remedy: string;
}
export class SetupError extends Error {
  readonly log: string | undefined;
}

export const CACHE_DIR: string;
export function ensureStep(name: StepName, opts?: { say?: (line: string) => void; verbose?: boolean }): Promise<StepResult>;
export function listSteps(): StepInfo[];
export function neededNow(name: StepName): boolean;
export function line(name: string, status: string, text: string): string;
export function childEnv(results: Array<StepResult | undefined>, base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export function handDown(results: Record<string, StepResult | undefined>): string;
