// Archive formats the set-up meets where no tool for them can be assumed: Go module zips
// (a fresh Debian has no `unzip`) with the module checksum `go` itself checks ("h1:"), and
// the JKS trust store a Java runtime unpacked from a .deb lacks. Background: docs/testing.md.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';

/** Entries of a zip file (no zip64: Go module zips stay below its limits). */
export function zipEntries(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`zip: bad central directory entry ${n}`);
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const mode = buf.readUInt32LE(p + 38) >>> 16;
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({ name, method, compressedSize, size, mode, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The uncompressed bytes of one zip entry. */
export function zipRead(buf, e) {
  if (buf.readUInt32LE(e.local) !== 0x04034b50) throw new Error(`zip: bad local header for ${e.name}`);
  const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
  const raw = buf.subarray(start, start + e.compressedSize);
  const data = e.method === 0 ? raw : e.method === 8 ? inflateRawSync(raw) : undefined;
  if (!data) throw new Error(`zip: ${e.name} uses compression method ${e.method}`);
  if (data.length !== e.size) throw new Error(`zip: ${e.name} has ${data.length} bytes, expected ${e.size}`);
  return data;
}

/**
 * Go's module hash (golang.org/x/mod/sumdb/dirhash Hash1) of a module zip: SHA-256 over the
 * sorted lines "<sha256 hex>  <file name>\n", base64, prefixed "h1:". `go.sum` holds the same.
 */
export function goModuleHash(buf) {
  const lines = zipEntries(buf)
    .filter((e) => !e.name.endsWith('/'))
    .map((e) => ({ name: e.name, hash: createHash('sha256').update(zipRead(buf, e)).digest('hex') }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.hash}  ${f.name}\n`)
    .join('');
  return `h1:${createHash('sha256').update(lines).digest('base64')}`;
}

/**
 * Extracts a zip into `dest`, dropping `stripPrefix` from the names. Zip modes are kept when
 * present; `executable(name)` marks files executable where the zip carries no mode (Go module
 * zips carry none; `go` sets bin/ and pkg/tool/ executable itself when it unpacks a toolchain).
 */
export function unzip(buf, dest, { stripPrefix = '', executable = () => false } = {}) {
  for (const e of zipEntries(buf)) {
    if (!e.name.startsWith(stripPrefix)) throw new Error(`zip: ${e.name} is outside ${stripPrefix}`);
    const rel = e.name.slice(stripPrefix.length);
    if (!rel || rel.split('/').includes('..')) continue;
    const out = path.join(dest, rel);
    if (e.name.endsWith('/')) {
      fs.mkdirSync(out, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const mode = e.mode & 0o777 ? e.mode & 0o777 : executable(rel) ? 0o755 : 0o644;
    fs.writeFileSync(out, zipRead(buf, e), { mode });
  }
}

/**
 * A JKS key store holding `pems` as trusted certificates, password "changeit" (what every JRE's
 * cacerts uses). Java reads JKS for cacerts whatever keystore.type says. Format: magic, version 2,
 * entries (tag 2 = trusted certificate: alias, date, "X.509", DER), then SHA-1 over the password
 * as UTF-16BE, the words "Mighty Aphrodite" and everything before.
 */
export function jksTrustStore(pems, password = 'changeit') {
  const parts = [];
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const utf = (s) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const certs = [];
  const seen = new Set();
  for (const pem of pems) {
    const der = new X509Certificate(pem).raw;
    const fp = createHash('sha256').update(der).digest('hex');
    if (seen.has(fp)) continue;
    seen.add(fp);
    certs.push({ alias: `ts-engine:${fp.slice(0, 16)}`, der });
  }
  parts.push(u32(0xfeedfeed), u32(2), u32(certs.length));
  const date = Buffer.alloc(8);
  date.writeBigUInt64BE(0n);
  for (const c of certs) parts.push(u32(2), utf(c.alias), date, utf('X.509'), u32(c.der.length), c.der);
  const body = Buffer.concat(parts);
  const pw = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) pw.writeUInt16BE(password.charCodeAt(i), i * 2);
  const digest = createHash('sha1').update(pw).update('Mighty Aphrodite', 'utf8').update(body).digest();
  return Buffer.concat([body, digest]);
}

/** Splits a PEM bundle (ca-certificates.crt) into single certificates. */
export function splitPems(text) {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
