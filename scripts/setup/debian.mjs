// Debian packages without root: `apt-get download` (any user may) and `dpkg-deb -x` into a
// prefix under the cache, with absolute symlinks re-pointed into the prefix. apt's own resolver
// (`apt-get -s install`) names the dependencies this machine lacks. Used where a Debian package
// is the natural source (InfluxDB 1.6, a Java 17 runtime, Chromium). See docs/testing.md.
import fs from 'node:fs';
import path from 'node:path';
import { DOWNLOADS_DIR, SetupError, Unavailable, publishDir, readStamp, run, scratchDir, which, writeStamp } from './lib.mjs';
import { spawnSync } from 'node:child_process';

/** apt and dpkg are here (Debian, Ubuntu and derivatives), and the test may use them. */
export function haveApt() {
  return process.platform === 'linux' && !process.env.TS_ENGINE_NO_APT && !!which('apt-get') && !!which('dpkg-deb');
}

/** The candidate version apt would install, or undefined when the package is unknown here. */
export function aptCandidate(pkg) {
  const r = spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout ?? '');
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/**
 * Packages apt would install for `pkgs` on this machine (name=version), the packages themselves
 * included, dependencies already installed excluded. With `withDeps: false` only `pkgs`.
 */
function closure(pkgs, withDeps) {
  if (!withDeps) {
    return pkgs.map((p) => {
      const v = aptCandidate(p);
      if (!v) throw new Unavailable(`Debian package ${p} is not in this machine's apt lists`, 'run `sudo apt-get update` and try again');
      return `${p}=${v}`;
    });
  }
  const r = spawnSync('apt-get', ['-s', '-q', 'install', '--no-install-recommends', ...pkgs], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.status !== 0) {
    const err = (r.stderr || r.stdout || '').trim().split('\n').pop();
    throw new Unavailable(`apt cannot resolve ${pkgs.join(' ')}: ${err}`, 'run `sudo apt-get update` and try again');
  }
  // "Inst libfoo1 (1.2-3 Debian:12.5/stable [amd64])"
  const out = [];
  for (const m of r.stdout.matchAll(/^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/gm)) out.push(`${m[1]}=${m[2]}`);
  return out;
}

/** Re-points absolute symlinks (`/etc/java-17-openjdk/...`) at the same path inside the prefix. */
function relinkAbsolute(prefix, dir = prefix) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) {
      const target = fs.readlinkSync(p);
      if (!path.isAbsolute(target)) continue;
      const inside = path.join(prefix, target);
      if (!fs.existsSync(inside) && !fs.existsSync(path.dirname(inside))) continue;
      fs.unlinkSync(p);
      fs.symlinkSync(path.relative(path.dirname(p), inside), p);
    } else if (e.isDirectory()) {
      relinkAbsolute(prefix, p);
    }
  }
}

/**
 * Unpacks `pkgs` (with the dependencies this machine lacks, unless `withDeps` is false) into
 * `prefix`, reusing it when it already holds the same package list. Returns the package list.
 * `finish(tmpPrefix)` completes the unpacked tree before it is published (wrappers, configs).
 */
export async function unpackDebs({ pkgs, prefix, withDeps = true, log, finish }) {
  const stamp = readStamp(prefix);
  const want = pkgs.join(' ');
  if (stamp?.requested === want && stamp.withDeps === withDeps) return stamp.packages;
  if (!haveApt()) throw new Unavailable(`${pkgs.join(', ')}: not a Debian-based system (no apt-get/dpkg-deb)`, 'install it with the system package manager');

  const packages = closure(pkgs, withDeps);
  const debs = path.join(DOWNLOADS_DIR, 'debs');
  fs.mkdirSync(debs, { recursive: true });
  const have = new Set(fs.readdirSync(debs));
  // apt-get download names files <name>_<version with ':' as %3a>_<arch>.deb
  const fileOf = (nv) => {
    const [name, version] = nv.split('=');
    const prefixName = `${name}_${version.replace(/:/g, '%3a')}_`;
    return [...have].find((f) => f.startsWith(prefixName) && f.endsWith('.deb'));
  };
  const missing = packages.filter((nv) => !fileOf(nv));
  if (missing.length > 0) {
    try {
      await run('apt-get', ['download', '-q', ...missing], { cwd: debs, log, what: `apt-get download (${missing.length} packages)` });
    } catch (e) {
      throw new SetupError(`${e.message} (stale apt lists? run \`sudo apt-get update\`)`, log);
    }
    for (const f of fs.readdirSync(debs)) have.add(f);
  }

  const tmp = scratchDir(prefix);
  try {
    for (const nv of packages) {
      const deb = fileOf(nv);
      if (!deb) throw new SetupError(`apt-get download left no .deb for ${nv}`, log);
      await run('dpkg-deb', ['-x', path.join(debs, deb), tmp], { log, what: `dpkg-deb -x ${deb}` });
    }
    relinkAbsolute(tmp);
    await finish?.(tmp);
    writeStamp(tmp, { requested: want, withDeps, packages });
    publishDir(tmp, prefix);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return packages;
}

/** Directories of shared libraries inside an unpacked prefix (for LD_LIBRARY_PATH). */
export function libraryDirs(prefix) {
  const out = [];
  const walk = (dir, depth) => {
    if (depth > 4 || !fs.existsSync(dir)) return;
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => (e.isFile() || e.isSymbolicLink()) && /\.so(\.|$)/.test(e.name))) out.push(dir);
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name), depth + 1);
  };
  walk(path.join(prefix, 'lib'), 0);
  walk(path.join(prefix, 'usr', 'lib'), 0);
  return out;
}
