/**
 * Helpers of the Flink parity tests: the Python environment with apache-flink, the
 * Kafka connector jars, exporting a config, running `ts-engine run` and several
 * exported pipelines in one Flink job, and comparing JSON lines (integers and
 * strings exact, doubles within 1e-9 relative).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLineDifferences } from '../../../../engine/export/verify.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CLI = path.join(REPO, 'bin/ts-engine.mjs');
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The virtual environment with apache-flink: TS_ENGINE_FLINK_VENV, else <project>/.cache/flink-venv. */
export function flinkVenv(): string {
  const venv = process.env.TS_ENGINE_FLINK_VENV ?? path.join(REPO, '.cache/flink-venv');
  const py = path.join(venv, 'bin/python');
  const ok = fs.existsSync(py) && spawnSync(py, ['-c', 'import pyflink'], { encoding: 'utf8' }).status === 0;
  if (!ok) {
    throw new Error(
      `no Python environment with apache-flink at ${venv}: create it with\n  python3 -m venv ${venv} && ${venv}/bin/pip install apache-flink==2.3.0\n(or point TS_ENGINE_FLINK_VENV at one)`,
    );
  }
  return venv;
}

/** The Kafka connector jars of an export's pom.xml, resolved once with Maven into <project>/.cache/flink-jars. */
export function connectorJars(exportDir: string): string {
  const dir = path.join(REPO, '.cache/flink-jars');
  const has = fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.startsWith('flink-connector-kafka'));
  if (!has) {
    const r = spawnSync('mvn', ['-q', '-B', '-f', path.join(exportDir, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`mvn could not fetch the Kafka connector jars: ${r.stdout}${r.stderr}`);
  }
  return dir;
}

export function cli(args: string[], opts: { timeout?: number } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: opts.timeout ?? 120_000, maxBuffer: 1 << 28 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function exportFlink(config: string, outDir: string): void {
  const r = cli(['export', config, outDir, '--target', 'flink', '--allow-lossy']);
  if (r.status !== 0) throw new Error(`export failed (${r.status}): ${r.stderr}`);
}

export interface TsRun {
  windows: string[];
  alerts: string[];
  stderr: string;
}

/** `ts-engine run` of a config whose stdout output and alert sink print JSON lines. */
export function tsRun(config: string, deadLetters: string): TsRun {
  const r = cli(['run', config, '--dead-letter', deadLetters, '--no-progress']);
  if (r.status !== 0) throw new Error(`ts-engine run failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return { windows: lines.filter((l) => l.startsWith('{"window_start"')), alerts: lines.filter((l) => l.startsWith('{"module"')), stderr: r.stderr };
}

/** One job folder holding the generated module of every export (they share the static package). */
export function combineExports(exportDirs: string[], jobDir: string): string[] {
  fs.cpSync(exportDirs[0]!, jobDir, { recursive: true });
  return exportDirs.map((d, i) => {
    fs.copyFileSync(path.join(d, 'tsengine_job/generated.py'), path.join(jobDir, `tsengine_job/generated_${i}.py`));
    if (fs.existsSync(path.join(d, 'twins'))) fs.cpSync(path.join(d, 'twins'), path.join(jobDir, 'twins'), { recursive: true });
    return `tsengine_job.generated_${i}`;
  });
}

/** Runs the pipelines in one Flink job (local mode); returns the job's stderr. */
export function runFlink(jobDir: string, pipelines: { module: string; args: string[] }[], jars?: string, extraEnv: Record<string, string> = {}): string {
  const venv = flinkVenv();
  const spec = path.join(jobDir, 'spec.json');
  fs.writeFileSync(spec, JSON.stringify({ jobDir, pipelines, jars: jars ?? null }));
  const r = spawnSync(path.join(venv, 'bin/python'), [path.join(HERE, 'multi_job.py'), spec], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 1 << 28,
    env: { ...process.env, ...extraEnv, PATH: `${path.join(venv, 'bin')}:${process.env.PATH}` },
  });
  if (r.status !== 0) throw new Error(`the Flink job failed (${r.status}):\n${r.stderr.slice(-6000)}`);
  return r.stderr;
}

export function readLines(file: string): string[] {
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/**
 * The first difference between two lists of JSON lines, or undefined when they are the same lines
 * in the same order: equal text outside numbers, integers exact, doubles within 1e-9 relative.
 */
export function firstDifference(expected: string[], actual: string[]): string | undefined {
  return jsonLineDifferences(expected, actual, 1)[0];
}
