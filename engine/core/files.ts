/**
 * File access with bounds, for paths a config names: nothing a config points at may hang the
 * process or exhaust its memory (`/dev/zero`, a FIFO, a directory, a 10 GB file, a folder under
 * /proc). Errors say which file and why, in one line.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Texts not saved yet (the workbench's editor buffers), by absolute path: user modules are
 * checked as they are in the editor, not as they are on disk (docs/workbench.md#writing-modules).
 */
export type UnsavedSources = (absPath: string) => string | undefined;

/** Largest config or data-structure file read (they are a few KB; a bound keeps a wrong path from eating memory). */
export const MAX_CONFIG_FILE_BYTES = 16 << 20;

export class FileAccessError extends Error {
  override name = 'FileAccessError';
}

function describeKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The text of a regular file of at most `maxBytes` bytes. Devices, pipes and directories are
 * refused before reading (they may never end), and the read itself stops at the bound, so a file
 * that grows meanwhile cannot get past it either.
 */
export function readBoundedText(file: string, maxBytes = MAX_CONFIG_FILE_BYTES): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would block forever
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new FileAccessError(`it is ${describeKind(st)}, not a file`);
    if (st.size > maxBytes) throw new FileAccessError(`it is ${st.size.toLocaleString('en-US')} bytes; the limit is ${maxBytes.toLocaleString('en-US')}`);
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > maxBytes) throw new FileAccessError(`it is larger than the limit of ${maxBytes.toLocaleString('en-US')} bytes`);
      if (n === buf.length) break;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `mkdir -p` that cannot loop: Node's recursive mkdir spins forever on some paths (a folder
 * under /proc), so the missing folders are created one by one from the nearest existing ancestor.
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    const st = fs.statSync(cur, { throwIfNoEntry: false });
    if (st) {
      if (!st.isDirectory()) throw new FileAccessError(`${cur} is not a folder`);
      break;
    }
    missing.push(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw new FileAccessError(`cannot create folder ${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}
