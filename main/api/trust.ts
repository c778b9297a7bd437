/**
 * Workspace trust (docs: main/README.md, "Workspace trust"): the folders whose code the user
 * allowed to run, remembered in the state folder by real path. A trusted folder covers its
 * subfolders ("trust the parent folder" trusts every project in it). Until a project's folder is
 * covered, the workbench loads and runs nothing from it (restricted mode).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TrustedFolder } from './contract.js';
import { isWithin, realPathOf } from './access.js';

interface TrustFile {
  version: 1;
  folders: TrustedFolder[];
}

export class TrustStore {
  constructor(
    private readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The trusted folders; a missing or unreadable file trusts nothing. */
  list(): TrustedFolder[] {
    let v: unknown;
    try {
      v = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return [];
    }
    const folders = (v as Partial<TrustFile> | null)?.folders;
    if (!Array.isArray(folders)) return [];
    return folders.filter((f): f is TrustedFolder => typeof f?.path === 'string' && path.isAbsolute(f.path) && typeof f.since === 'string');
  }

  /** The trusted folder that covers `dir` (itself or a folder above it), by real path. */
  covering(dir: string): TrustedFolder | undefined {
    const real = realPathOf(dir);
    return this.list()
      .filter((f) => isWithin(f.path, real))
      .sort((a, b) => b.path.length - a.path.length)[0];
  }

  /** Trusts `dir` (by its real path) and so everything below it. */
  trust(dir: string): TrustedFolder {
    const real = realPathOf(dir);
    if (path.dirname(real) === real) throw new Error(`refusing to trust ${real}: it would trust every folder on the disk`);
    const existing = this.list().find((f) => f.path === real);
    if (existing) return existing;
    const entry = { path: real, since: this.now().toISOString() };
    this.save([...this.list(), entry]);
    return entry;
  }

  /** Ends the trust of `dir`: every trusted folder that covers it is removed. Returns the removed folders. */
  revoke(dir: string): TrustedFolder[] {
    const real = realPathOf(dir);
    const all = this.list();
    const removed = all.filter((f) => isWithin(f.path, real));
    if (removed.length > 0) this.save(all.filter((f) => !removed.includes(f)));
    return removed;
  }

  /** Removes one entry of the list (by its path as listed). */
  forget(folder: string): void {
    const all = this.list();
    const rest = all.filter((f) => f.path !== folder);
    if (rest.length !== all.length) this.save(rest);
  }

  private save(folders: TrustedFolder[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ version: 1, folders } satisfies TrustFile, null, 2)}\n`);
    fs.renameSync(tmp, this.file);
  }
}
