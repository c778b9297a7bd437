/**
 * Runs generated Python code in one Python process per batch: the row parser and a
 * transformation body of each case, through the job's runtime module
 * (engine/targets/flink/python/tsengine_job/runtime.py). Standard library only, so
 * any python3 works; the Flink virtual environment's python is preferred.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers.js';

export const PY_SRC = path.join(ROOT, 'engine/targets/flink/python');

export function pythonExecutable(): string {
  const venv = process.env.TS_ENGINE_FLINK_VENV ?? path.join(ROOT, '.cache/flink-venv');
  const py = path.join(venv, 'bin/python');
  return fs.existsSync(py) ? py : 'python3';
}

const DRIVER = `
import json, sys
sys.path.insert(0, sys.argv[1])
from tsengine_job import runtime
from tsengine_job.runtime import *
out = []
for case in json.load(sys.stdin):
    ns = dict(vars(runtime))
    try:
        exec(case['source'], ns)
        r = ns['parse'](case['row']) if case['row'] is not None else [None] * case['nfields']
        v = ns['evaluate'](r)
        out.append({'value': runtime.py_repr(v, case['type']), 'pytype': type(v).__name__, 'text': v if type(v) is str else None})
    except RowError as e:
        out.append({'error': [e.reason, e.message]})
    except Exception as e:
        out.append({'crash': '%s: %s' % (type(e).__name__, e)})
json.dump(out, sys.stdout)
`;

export interface PyCase {
  /** Python defining parse(line) and evaluate(r) */
  source: string;
  row: string | null;
  nfields: number;
  type: string;
}

export type PyResult = { value: string; pytype: string; text: string | null } | { error: [string, string] } | { crash: string };

export function runPython(cases: PyCase[]): PyResult[] {
  const r = spawnSync(pythonExecutable(), ['-c', DRIVER, PY_SRC], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PyResult[];
}
