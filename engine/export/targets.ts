/**
 * The export targets (docs/production.md): each plans an export — every change of meaning it makes,
 * then the files — and writes only when the plan is not refused (export/change.ts). The CLI and the
 * workbench both go through `planExport`, so they list the same changes and refuse alike.
 */
import path from 'node:path';
import { type CheckOptions, type CheckOutcome, checkConfig, nodeIO } from '../pipeline/plan.js';
import type { ExportChange } from './change.js';
import { planBundle, writeBundle } from './bundle.js';
import { grafanaDashboard } from './grafana.js';
import { exportProject, toReferenceConfig } from './reference.js';

export interface ExportTargetInfo {
  name: ExportTargetName;
  /** one line for `--help` and the Export dialog */
  description: string;
}

export const EXPORT_TARGETS = [
  {
    name: 'ts-engine',
    description:
      'A production bundle for `ts-engine run` as a service: the same config with secrets as ${ENV} placeholders, its modules, .env.example, a README and a systemd unit.',
  },
  {
    name: 'flink',
    description:
      'An Apache Flink job (PyFlink 2.3): job.py and modules, keyed by the aggregation key, for a cluster; needs Python twins of JavaScript extensions.',
  },
  {
    name: 'reference',
    description: 'The 2017 PySpark reference format: ts-engine-only keys are dropped, which can change results (event time, extensions, sqlite).',
  },
] as const satisfies readonly { name: string; description: string }[];

export type ExportTargetName = (typeof EXPORT_TARGETS)[number]['name'];

export const isExportTarget = (name: string): name is ExportTargetName => EXPORT_TARGETS.some((t) => t.name === name);

export interface PlannedExport {
  target: ExportTargetName;
  changes: ExportChange[];
  /** JSON path of each secret → the `${ENV}` placeholder the export writes instead */
  secrets: Record<string, string>;
  /** writes the files into outDir (created if needed); their paths relative to it */
  write(outDir: string): string[];
}

/**
 * Plans an export of a valid config (`outcome` from checkConfig on `configPath`; `configText` is the
 * text as saved, whose `${ENV}` placeholders the bundle keeps).
 */
export async function planExport(target: ExportTargetName, configPath: string, outcome: CheckOutcome, configText?: string): Promise<PlannedExport> {
  const configDir = path.dirname(path.resolve(configPath));
  /** the export folder, once checked not to be the project's (the bundle's config.json would overwrite the project's) */
  const folder = (outDir: string): string => {
    const abs = path.resolve(outDir);
    if (abs === configDir) throw new Error('the export folder must differ from the project folder');
    return abs;
  };
  switch (target) {
    case 'ts-engine': {
      const plan = planBundle(configPath, configText, outcome.plan && grafanaDashboard(outcome.plan.config, outcome.plan.aggregation));
      return { target, changes: plan.changes, secrets: plan.secrets, write: (outDir) => writeBundle(plan, folder(outDir)) };
    }
    case 'reference': {
      const text = configText ?? outcome.plan?.config.text;
      const { changes, secrets } = toReferenceConfig(JSON.parse(text ?? '{}'));
      return { target, changes, secrets, write: (outDir) => exportProject(configPath, outDir, text).files };
    }
    case 'flink': {
      const { planFlinkExport, writeFlinkExport } = await import('../targets/flink/export-flink.js');
      const exp = planFlinkExport(outcome);
      return { target, changes: exp.changes, secrets: exp.secrets, write: (outDir) => writeFlinkExport(exp, folder(outDir)) };
    }
  }
}

/** Exporting needs no secret: a placeholder whose variable is not set stays as written (and the bundle keeps it). */
const keepUnsetPlaceholders = { ...nodeIO, env: (name: string) => process.env[name] ?? `\${${name}}` };

/** checkConfig for an export: the config as saved, its placeholders kept when their variables are not set. */
export function checkForExport(configPath: string, opts: CheckOptions = {}): Promise<CheckOutcome> {
  return checkConfig(configPath, undefined, keepUnsetPlaceholders, opts);
}
