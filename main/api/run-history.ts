/**
 * The run history of each project: a summary of every run the workbench made of it (how it
 * ended, rows, windows, alerts, errors, time), newest first, kept in the state folder as one file
 * per project (named by a hash of its real path, the path written inside), at most
 * MAX_RUNS_KEPT each. The project folder itself is not written to: a run history is the
 * workbench's, not the project's (a project is often a git checkout).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RunRecord } from './contract.js';

const MAX_RUNS_KEPT = 100;

interface HistoryFile {
  version: 1;
  project: string;
  runs: RunRecord[];
}

export class RunHistory {
  constructor(private readonly dir: string) {}

  private fileOf(project: string): string {
    return path.join(this.dir, `${createHash('sha256').update(project).digest('hex').slice(0, 20)}.json`);
  }

  /** The runs of a project (a real path), newest first; a missing or unreadable file holds none. */
  list(project: string): RunRecord[] {
    let v: Partial<HistoryFile> | null;
    try {
      v = JSON.parse(fs.readFileSync(this.fileOf(project), 'utf8')) as Partial<HistoryFile> | null;
    } catch {
      return [];
    }
    if (v?.project !== project || !Array.isArray(v.runs)) return [];
    return v.runs.filter((r): r is RunRecord => typeof r?.runId === 'string' && typeof r.state === 'string' && typeof r.startedAt === 'string');
  }

  add(project: string, run: RunRecord): void {
    const file = this.fileOf(project);
    const content: HistoryFile = { version: 1, project, runs: [run, ...this.list(project).filter((r) => r.runId !== run.runId)].slice(0, MAX_RUNS_KEPT) };
    fs.mkdirSync(this.dir, { recursive: true });
    // write-then-rename: a crash never leaves a half-written history
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(content, null, 1)}\n`);
    fs.renameSync(tmp, file);
  }
}
