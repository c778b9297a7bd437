/**
 * `${NAME}` placeholders in a config's strings, filled from the environment before validation
 * (docs/production.md#secrets-and-placeholders). The ts-engine export writes every secret this way,
 * so a bundle holds no password and `.env.example` names what a service must set.
 *
 * A placeholder may be the whole string or part of it (`"http://${INFLUX_HOST}:8086"`); `$${` writes a
 * literal `${`. The expressions of `processing` are code, not settings, and are left as written (they
 * read settings with `config('…')`).
 */
import type { DiagnosticSink } from '../options/diagnostics.js';

/** an environment variable name, as POSIX shells accept it */
const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const PLACEHOLDER = new RegExp(`\\$(\\$?)\\{(${NAME})\\}`, 'g');
export const WHOLE_PLACEHOLDER = new RegExp(`^\\$\\{(${NAME})\\}$`);

/** sections whose strings are code (transformations, aggregation rules), never settings */
const CODE_SECTIONS = new Set(['processing']);

export type EnvLookup = (name: string) => string | undefined;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names of the placeholders in one string, in order (escaped `$${…}` excluded). */
export function placeholderNames(s: string): string[] {
  const names: string[] = [];
  for (const m of s.matchAll(PLACEHOLDER)) if (m[1] === '') names.push(m[2]!);
  return names;
}

/**
 * Replaces the placeholders in the parsed config in place; each variable that is not set is reported
 * at the string holding it (file:line:col) and leaves that string as written.
 */
export function resolveEnvPlaceholders(root: unknown, sink: DiagnosticSink, env: EnvLookup): void {
  const visit = (v: unknown, p: string): unknown => {
    if (typeof v === 'string') return v.includes('${') ? fill(v, p) : v;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = visit(v[i], `${p}[${i}]`);
    } else if (isObj(v)) {
      for (const k of Object.keys(v)) {
        if (p === '' && CODE_SECTIONS.has(k)) continue;
        v[k] = visit(v[k], p === '' ? k : `${p}.${k}`);
      }
    }
    return v;
  };
  const fill = (s: string, p: string): string => {
    const missing: string[] = [];
    const out = s.replace(PLACEHOLDER, (whole, escaped: string, name: string) => {
      if (escaped !== '') return whole.slice(1);
      const value = env(name);
      if (value === undefined) missing.push(name);
      return value ?? whole;
    });
    for (const name of missing) {
      sink.report(p, 'ConfigError', `missing environment variable ${name} for the placeholder \${${name}} (set it, or see .env.example)`);
    }
    return missing.length > 0 ? s : out;
  };
  visit(root, '');
}
