// Shared helpers for the Node benchmark peers: argument parsing, the one-line JSON result,
// the optional full result file, and a /proc sampler for the peak RSS of a process tree.
//
// Result line (one line of JSON on stdout, nothing else on stdout):
//   {"peer", "rows", "seconds", "rowsPerSec", "peakRssMB", "windows", "groups", "checksum": {...summary}}
// `--out <file>` additionally writes the same object with the full checksum (perWindow) as JSON.

import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { summary } from '../checksum.mjs';

/** Parses `--name value` / `--name=value` / `--flag` arguments; `spec` maps names to "string" | "int" | "bool". */
export function parseArgs(argv, spec, usage) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(argv[i]);
    const type = m && spec[m[1]];
    if (!type) fail(`unknown argument ${argv[i]}\n${usage}`, 2);
    if (type === 'bool') {
      out[m[1]] = m[2] === undefined ? true : m[2] !== 'false';
      continue;
    }
    let v = m[2];
    if (v === undefined) {
      if (i + 1 >= argv.length) fail(`--${m[1]} needs a value\n${usage}`, 2);
      v = argv[++i];
    }
    if (type === 'int') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) fail(`--${m[1]} must be a positive integer, got ${v}`, 2);
      out[m[1]] = n;
    } else out[m[1]] = v;
  }
  return out;
}

export function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export function selfPeakRssMB() {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

/**
 * Prints the one-line result and writes the full result to `outFile` if given.
 * `result` = {peer, rows, seconds, peakRssMB, checksum (full), ...extra}
 */
export function report(result, outFile) {
  const { checksum, ...rest } = result;
  const line = {
    peer: rest.peer,
    rows: rest.rows,
    seconds: round(rest.seconds, 4),
    rowsPerSec: Math.round(rest.rows / rest.seconds),
    peakRssMB: round(rest.peakRssMB, 1),
    windows: checksum ? checksum.windows : null,
    groups: checksum ? checksum.groups : null,
    ...Object.fromEntries(Object.entries(rest).filter(([k]) => !['peer', 'rows', 'seconds', 'peakRssMB'].includes(k))),
    checksum: summary(checksum),
  };
  if (outFile) {
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify({ ...line, checksum }) + '\n');
  }
  process.stdout.write(JSON.stringify(line) + '\n');
  return line;
}

export function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------------
// Peak RSS of a process tree, sampled from /proc (Linux). The sum of the RSS of the root and all
// its descendants (shared pages are counted once per process, so this slightly over-counts).

const PAGE = 4096;

function childrenOf(pid) {
  const kids = [];
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return kids;
  }
  for (const t of tasks) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').trim();
      if (s) for (const c of s.split(' ')) kids.push(Number(c));
    } catch {
      /* task gone */
    }
  }
  return kids;
}

export function treeRssBytes(rootPid) {
  let total = 0;
  const stack = [rootPid];
  const seen = new Set();
  while (stack.length) {
    const pid = stack.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      const statm = readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
      total += Number(statm[1]) * PAGE;
    } catch {
      continue; // exited
    }
    for (const c of childrenOf(pid)) stack.push(c);
  }
  return total;
}

/** Starts sampling the tree of `pid` every `intervalMs`; stop() returns the peak in MB. */
export function sampleTreeRss(pid, intervalMs = 100) {
  let peak = 0;
  const tick = () => {
    const b = treeRssBytes(pid);
    if (b > peak) peak = b;
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    sample: tick,
    stop() {
      clearInterval(timer);
      return peak / (1024 * 1024);
    },
    get peakMB() {
      return peak / (1024 * 1024);
    },
  };
}
