/**
 * Where the workbench API may reach on disk (docs: main/README.md, "What the API may reach").
 *
 * Every path a handler takes is compared by its real path: the deepest part of it that exists is
 * resolved with realpath (symbolic links followed), so a link inside the project that points
 * elsewhere leads elsewhere and is refused. Allowed are:
 * - files inside a project opened in this session (never its hidden files: .git, .env, …);
 * - for choosing a folder (open a project, the folder of a new project, an export folder, the web
 *   folder picker): the pick roots (the home folder, the projects folder), the projects opened
 *   before (recent) and folders the user picked in the native dialog (Electron).
 */
import fs from 'node:fs';
import path from 'node:path';

export class AccessError extends Error {
  override name = 'AccessError';
}

/**
 * The real path of `p`: its deepest existing ancestor resolved by realpath, plus the rest. A
 * dangling link on the way is refused (it would lead wherever its target is created later).
 */
export function realPathOf(p: string): string {
  let cur = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    let exists = true;
    try {
      fs.lstatSync(cur);
    } catch {
      exists = false;
    }
    if (exists) {
      let real: string;
      try {
        real = fs.realpathSync(cur);
      } catch {
        throw new AccessError(`${cur} is a link to nothing; refused`);
      }
      return rest.length > 0 ? path.join(real, ...rest.reverse()) : real;
    }
    const parent = path.dirname(cur);
    if (parent === cur) return path.resolve(p);
    rest.push(path.basename(cur));
    cur = parent;
  }
}

/** `p` is `root` or below it (both real paths). */
export function isWithin(root: string, p: string): boolean {
  const r = path.relative(root, p);
  return r === '' || (!r.startsWith(`..${path.sep}`) && r !== '..' && !path.isAbsolute(r));
}

export class Access {
  /** real paths of the projects opened in this session */
  private readonly projects = new Set<string>();
  /** real paths of folders picked in a native dialog, and the project given on the command line */
  private readonly granted = new Set<string>();

  constructor(
    /** folders the web folder picker browses and typed paths may name (real paths are taken here) */
    private readonly pickRoots: string[],
    /** projects opened before (recent projects): reopening them needs no new pick */
    private readonly known: () => string[] = () => [],
  ) {}

  roots(): string[] {
    return this.pickRoots.map((r) => realPathOf(r));
  }

  /** A folder the user picked in a native dialog (or named on the command line). */
  grant(dir: string): void {
    this.granted.add(realPathOf(dir));
  }

  /** Records an opened project: its files become reachable. */
  opened(dir: string): void {
    this.projects.add(realPathOf(dir));
  }

  /** The real path of `dir` when it is a project opened in this session; otherwise an error. */
  project(dir: unknown): string {
    if (typeof dir !== 'string' || dir === '') throw new AccessError('no project folder given');
    const real = realPathOf(dir);
    if (!this.projects.has(real)) throw new AccessError(`${dir} is not an open project; open it first`);
    return real;
  }

  /** A file of an open project, by project-relative path: its real path, refused when it leads outside or is hidden. */
  file(dir: unknown, rel: unknown): string {
    const root = this.project(dir);
    if (typeof rel !== 'string' || rel === '') throw new AccessError('no file path given');
    const real = realPathOf(path.resolve(root, rel));
    if (real === root || !isWithin(root, real)) throw new AccessError(`path ${JSON.stringify(rel)} is outside the project folder`);
    if (
      path
        .relative(root, real)
        .split(path.sep)
        .some((seg) => seg.startsWith('.'))
    )
      throw new AccessError(`path ${JSON.stringify(rel)} is hidden (a name starting with "."); the workbench does not read or write hidden files`);
    return real;
  }

  /** Folders that choosing a folder may name. */
  private choosable(): string[] {
    return [...this.roots(), ...this.granted, ...this.projects, ...this.known().map((k) => realPathOf(k))];
  }

  /** A folder the user may choose (open, create a project in, export to, browse): its real path, or an error. */
  folder(p: unknown, what: string): string {
    if (typeof p !== 'string' || p.trim() === '') throw new AccessError(`no folder given for ${what}`);
    const real = realPathOf(p);
    if (this.choosable().some((r) => isWithin(r, real))) return real;
    throw new AccessError(
      `${p} is outside the folders the workbench may use for ${what}: your home folder, the projects folder, open and recent projects, and folders picked in a dialog`,
    );
  }

  /** The folder above `real` when the folder picker may go there, else null. */
  parentFor(real: string): string | null {
    const parent = path.dirname(real);
    if (parent === real) return null;
    return this.choosable().some((r) => isWithin(r, parent)) ? parent : null;
  }
}
