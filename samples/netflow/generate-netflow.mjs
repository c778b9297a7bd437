#!/usr/bin/env node
// Deterministic generator of a sampled network-flow CSV (one line per sampled packet/flow record).
//
// Columns (no header line, see samples/netflow/data_structure.json):
//   timestamp (epoch s, integer), src_ip, dst_ip (strings), src_port, dst_port, protocol (IANA
//   number: 6 TCP, 17 UDP, 1 ICMP), packet_size (bytes), sampling_rate (1 in N), ttl (integers)
//
// Usage:
//   node samples/netflow/generate-netflow.mjs [--rows N] [--start EPOCH_S] [--rate RECORDS_PER_S]
//        [--seed N] [--out FILE]
//
// The committed sample is produced with the defaults:
//   node samples/netflow/generate-netflow.mjs --out samples/netflow/data/flows.csv
// (10 000 records, about 5 per second -> ~33 minutes = ~34 windows of 60 s, seed 7).
//
// Traffic model: a few internal hosts talk to a set of external services (HTTPS/HTTP/DNS/NTP/SSH);
// packet sizes are bimodal (small ACK/DNS packets, full 1500-byte MTU packets, some in between);
// two exporters sample 1:100 and 1:1000. Arrivals are Poisson with a slow sine in the rate, and there
// are two short anomalies: a UDP flood of small packets towards one host, and a bulk transfer of
// large packets; both make `packets`, `traffic` and `big` move far from their usual level.
// Timestamps are non-decreasing.

import { createWriteStream, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULTS = Object.freeze({ rows: 10000, start: 1700000000, rate: 5, seed: 7 });

function mulberry32(seed) {
  let a = seed >>> 0;
  return function rand() {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERNAL = Array.from({ length: 12 }, (_, i) => `192.168.${10 + (i % 3)}.${20 + i * 7}`);
const SERVICES = [
  // [dst_ip, dst_port, protocol, weight]
  ['142.250.74.110', 443, 6, 30],
  ['151.101.1.69', 443, 6, 14],
  ['104.16.132.229', 443, 6, 12],
  ['93.184.216.34', 80, 6, 6],
  ['8.8.8.8', 53, 17, 12],
  ['1.1.1.1', 53, 17, 8],
  ['162.159.200.1', 123, 17, 3],
  ['185.199.108.153', 22, 6, 4],
  ['10.0.0.5', 0, 1, 2], // ICMP monitoring
];
const SERVICE_WEIGHT = SERVICES.reduce((s, x) => s + x[3], 0);

export function* netflowChunks(opts = {}, chunkChars = 1 << 20) {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  const rows = Number(o.rows);
  const start = Number(o.start);
  const rate = Number(o.rate);
  const seed = Number(o.seed);
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`generate-netflow: invalid --rows ${o.rows}`);
  if (!Number.isInteger(start)) throw new RangeError(`generate-netflow: invalid --start ${o.start}`);
  if (!(rate > 0)) throw new RangeError(`generate-netflow: invalid --rate ${o.rate}`);
  if (!Number.isInteger(seed)) throw new RangeError(`generate-netflow: invalid --seed ${o.seed}`);
  const rand = mulberry32(seed ^ 0x0f10f10f);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];

  // Anomaly schedule, in seconds after start (scaled to the expected duration of the file).
  const duration = rows / rate;
  const flood = [duration * 0.45, duration * 0.45 + 90];
  const bulk = [duration * 0.75, duration * 0.75 + 120];
  const victim = INTERNAL[3];

  let chunk = '';
  let t = 0; // seconds since start, fractional
  for (let i = 0; i < rows; i++) {
    let r = rate * (1 + 0.35 * Math.sin((2 * Math.PI * t) / 1200));
    const inFlood = t >= flood[0] && t < flood[1];
    const inBulk = t >= bulk[0] && t < bulk[1];
    if (inFlood) r *= 4;
    t += -Math.log(1 - rand()) / r;

    let src, dst, sport, dport, proto, size, ttl;
    const sampling = rand() < 0.6 ? 100 : 1000;
    if (inFlood && rand() < 0.75) {
      src = `${45 + Math.floor(rand() * 150)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
      dst = victim;
      sport = 1024 + Math.floor(rand() * 64000);
      dport = pick([53, 123, 1900, 11211]);
      proto = 17;
      size = 60 + Math.floor(rand() * 40);
      ttl = 40 + Math.floor(rand() * 20);
    } else {
      let w = rand() * SERVICE_WEIGHT;
      let svc = SERVICES[0];
      for (const x of SERVICES) {
        if ((w -= x[3]) < 0) {
          svc = x;
          break;
        }
      }
      const outbound = rand() < 0.45;
      const host = pick(INTERNAL);
      const eph = 32768 + Math.floor(rand() * 28000);
      proto = svc[2];
      if (outbound) {
        src = host;
        dst = svc[0];
        sport = proto === 1 ? 0 : eph;
        dport = svc[1];
      } else {
        src = svc[0];
        dst = host;
        sport = svc[1];
        dport = proto === 1 ? 0 : eph;
      }
      const u = rand();
      if (proto === 17) size = 70 + Math.floor(rand() * (svc[1] === 53 ? 400 : 60));
      else if (proto === 1) size = 84;
      else if (inBulk && !outbound && rand() < 0.8) size = 1500;
      else if (u < 0.45)
        size = 52 + Math.floor(rand() * 40); // ACKs
      else if (u < 0.8)
        size = 1400 + Math.floor(rand() * 101); // full segments
      else size = 200 + Math.floor(rand() * 1000);
      ttl = outbound ? 64 : 48 + Math.floor(rand() * 12);
    }
    chunk += start + Math.floor(t) + ',' + src + ',' + dst + ',' + sport + ',' + dport + ',' + proto + ',' + size + ',' + sampling + ',' + ttl + '\n';
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Writes the CSV to `opts.out` (path; undefined or "-" = stdout). Resolves to {rows, bytes}. */
export async function generateNetflow(opts = {}) {
  let stream = process.stdout;
  const toFile = typeof opts.out === 'string' && opts.out !== '-';
  if (toFile) {
    await mkdir(dirname(resolve(opts.out)), { recursive: true });
    stream = createWriteStream(opts.out);
  }
  let bytes = 0;
  let rows = 0;
  for (const chunk of netflowChunks(opts)) {
    bytes += chunk.length;
    for (let p = chunk.indexOf('\n'); p !== -1; p = chunk.indexOf('\n', p + 1)) rows++;
    if (!stream.write(chunk)) await new Promise((res) => stream.once('drain', res));
  }
  if (toFile) await new Promise((res, rej) => stream.end((e) => (e ? rej(e) : res())));
  return { rows, bytes };
}

function isMain() {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const opts = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(rows|start|rate|seed|out)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      process.stderr.write(
        `generate-netflow: unknown argument ${argv[i]}\nusage: node samples/netflow/generate-netflow.mjs [--rows N] [--start EPOCH_S] [--rate RECORDS_PER_S] [--seed N] [--out FILE]\n`,
      );
      process.exit(2);
    }
    opts[m[1]] = m[2] ?? argv[++i];
  }
  generateNetflow(opts).then(
    (r) => {
      if (opts.out && opts.out !== '-') process.stderr.write(`generate-netflow: ${r.rows} rows, ${r.bytes} bytes -> ${opts.out}\n`);
    },
    (e) => {
      process.stderr.write(`generate-netflow: ${e.message}\n`);
      process.exit(e instanceof RangeError ? 2 : 1);
    },
  );
}
