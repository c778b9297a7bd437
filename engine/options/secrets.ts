/**
 * What counts as a secret in a config (docs/secrets.md), by rule rather than by a list of spellings:
 *  - a key whose words (split at `_`, `-`, `.`, spaces and camelCase, compared case-insensitively)
 *    name a secret: password, passwd, pwd, pass, passphrase, secret, token, credential,
 *    authorization, apikey, … or a qualified key (api key, access key, private key, client key, …);
 *    a bare `key` counts inside TLS options (ssl/tls objects) where it is a private key;
 *  - a value that looks like one whatever its key: a PEM private-key block, a password inside a
 *    URL's userinfo (`http://user:pw@host`), `password=…`/`token=…` assignments inside a string
 *    (query strings, JAAS lines), a JSON Web Token.
 * This rule is the one source of truth: `redactSecrets` replaces each by a `${ENV}` placeholder
 * (export), option specs mark the secrets a component reads (spec.ts, checked against this rule),
 * and `unknownSecretKeys` lists secret-looking keys ts-engine does not read (`check` warns).
 */

import { pathKey } from './json.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Words that make a key a secret on their own (singular: `max_tokens` or `secrets_count` are
 * counts, not secrets).
 */
const SECRET_WORD =
  /^(pass|passwd|password|pwd|passphrase|secret|token|credential|credentials|creds|authorization|privatekey|apikey|accesskey|bearer|cookie|jaas)$/;
/** Words that make a following `key` a secret (`api_key`, `privateKey`, `client-key`, …). */
const KEY_QUALIFIER = /^(api|access|private|secret|signing|sign|encryption|master|client|ssl|tls|shared|auth|session|service|account)$/;

/** `sasl_password` → [sasl, password]; `apiKey` → [api, key]; `SSL.Key` → [ssl, key]. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Whether a key names a secret. `inTls` is true inside TLS options (an `ssl`/`tls` object), where
 * `key` is the client's private key and `pfx` a key store.
 */
export function isSecretKey(key: string, inTls = false): boolean {
  const words = keyWords(key);
  if (words.length === 0) return false;
  if (words.some((w) => SECRET_WORD.test(w))) return true;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if ((w === 'key' || w === 'keys') && i > 0 && KEY_QUALIFIER.test(words[i - 1]!)) return true;
  }
  return inTls && words.length === 1 && (words[0] === 'key' || words[0] === 'pfx');
}

const TLS_CONTAINER = /^(ssl|tls)$/i;
const PLACEHOLDER = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const JWT = /^eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}$/;
/** scheme://user:password@ — the password is group 2 */
const URL_USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:\s]*:)([^/?#@\s]*)@/;
/** `password=…`, `token: …`, `password="…"` inside a longer string (query strings, JAAS lines) */
const ASSIGNMENT =
  /(^|[?&;,\s])([A-Za-z0-9_.-]*?(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|passphrase))(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"']+)/gi;

export function isPlaceholder(v: unknown): boolean {
  return typeof v === 'string' && PLACEHOLDER.test(v);
}

/** A value that is a secret whatever its key: a PEM private key or a JSON Web Token. */
export function looksLikeSecretValue(v: string): boolean {
  return PEM_PRIVATE_KEY.test(v) || JWT.test(v.trim());
}

export interface Redaction {
  /** JSON path of the value (with `#password` for a URL password, `#name` for an embedded assignment) */
  path: string;
  /** the placeholder written */
  placeholder: string;
}

/**
 * Replaces, in place, every secret inside the object or array `root` (at JSON path `basePath`) by
 * `${ENV}`; `envName(path)` names the variable of the value at a JSON path. Placeholders already
 * present are left alone, and so is every path for which `skip` says so.
 */
export function redactSecrets(
  root: object,
  basePath: string,
  envName: (jsonPath: string) => string,
  skip: (jsonPath: string) => boolean = () => false,
): Redaction[] {
  const out: Redaction[] = [];
  const placeholder = (p: string) => '${' + envName(p) + '}';
  const redactString = (s: string, p: string, secretKey: boolean): string => {
    if (isPlaceholder(s)) return s;
    if (secretKey || looksLikeSecretValue(s)) {
      const ph = placeholder(p);
      out.push({ path: p, placeholder: ph });
      return ph;
    }
    let r = s;
    const url = URL_USERINFO.exec(r);
    if (url && url[2]!.length > 0 && !isPlaceholder(url[2])) {
      const ph = placeholder(`${p}.password`);
      out.push({ path: `${p}#password`, placeholder: ph });
      r = url[1] + ph + r.slice(url[0].length - 1);
    }
    r = r.replace(ASSIGNMENT, (whole, lead: string, name: string, eq: string, value: string) => {
      const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
      const inner = quote ? value.slice(1, -1) : value;
      if (inner.length === 0 || isPlaceholder(inner) || inner.startsWith('${')) return whole;
      const ph = placeholder(`${p}.${name}`);
      out.push({ path: `${p}#${name}`, placeholder: ph });
      return `${lead}${name}${eq}${quote}${ph}${quote}`;
    });
    return r;
  };
  const walk = (v: unknown, p: string, secretKey: boolean, inTls: boolean): unknown => {
    if (typeof v === 'string') return redactString(v, p, secretKey);
    if ((typeof v === 'number' || typeof v === 'bigint') && secretKey) {
      const ph = placeholder(p);
      out.push({ path: p, placeholder: ph });
      return ph;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i], `${p}[${i}]`, secretKey, inTls);
      return v;
    }
    if (isObj(v)) {
      for (const k of Object.keys(v)) {
        const kp = p ? `${p}.${k}` : k;
        if (skip(kp)) continue;
        const value = v[k];
        const redacted = walk(value, kp, isSecretKey(k, inTls), inTls || TLS_CONTAINER.test(k));
        if (redacted !== value) Object.defineProperty(v, k, { value: redacted, enumerable: true, writable: true, configurable: true });
      }
    }
    return v;
  };
  walk(root, basePath, false, false);
  return out;
}

/** `*` matches one segment, `**` any depth (at least one segment). */
function matches(pattern: string[], segs: string[]): boolean {
  let i = 0;
  for (let k = 0; k < pattern.length; k++) {
    const p = pattern[k]!;
    if (p === '**') return i < segs.length;
    if (i >= segs.length) return false;
    if (p !== '*' && p !== segs[i]) return false;
    i++;
  }
  return i === segs.length;
}

/**
 * Secret-looking keys of a config that are none of the `known` secret keys (JSON path patterns
 * with dots: `*` = one segment, `**` = any depth), with their JSON path (as diagnostics write it)
 * and, when the key is a known one spelled in another case (`Password`), the known spelling.
 * `knownPatterns` may be a function: it is called only if the config has a secret-looking key (the engine's list is
 * built from every component's option schema, a millisecond and more of each `check`).
 */
export function unknownSecretKeys(
  root: unknown,
  knownPatterns: readonly string[] | (() => readonly string[]),
): { path: string; key: string; known?: string }[] {
  let knownSplit: string[][] | undefined;
  const knownPaths = () => (knownSplit ??= (typeof knownPatterns === 'function' ? knownPatterns() : knownPatterns).map((p) => p.split('.')));
  const found: { path: string; key: string; known?: string }[] = [];
  const walk = (v: unknown, segs: string[], path: string, inTls: boolean) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...segs, String(i)], pathKey(path, i), inTls));
      return;
    }
    if (!isObj(v)) return;
    for (const k of Object.keys(v)) {
      const childSegs = [...segs, k];
      const childPath = pathKey(path, k);
      if (isSecretKey(k, inTls) && !knownPaths().some((p) => matches(p, childSegs))) {
        const lower = k.toLowerCase();
        const spelled = lower !== k && knownPaths().some((p) => matches(p, [...segs, lower])) ? lower : undefined;
        found.push({ path: childPath, key: k, known: spelled });
      }
      walk(v[k], childSegs, childPath, inTls || TLS_CONTAINER.test(k));
    }
  };
  walk(root, [], '', false);
  return found;
}
