/**
 * The stable identity of an alert episode (docs/alerts.md#alert-id): rule, key, field and the
 * window that opened the episode, hashed. The same input gives the same ids on every run, and a
 * run restarted after a crash gives the ids the crashed one gave, so a consumer can drop the
 * duplicates at-least-once delivery brings.
 */
import { hash } from 'node:crypto';
import type { FieldType, Value } from '../../core/types.js';
import { jsonValue } from '../outputs/format.js';

/** The key as JSON text, its values typed by their columns (`[5, "seal.t1"]`, `null` for reduce). */
export function keyText(key: readonly Value[] | null, keyTypes: readonly FieldType[]): string {
  return key === null ? 'null' : '[' + key.map((v, i) => jsonValue(v, keyTypes[i]!)).join(', ') + ']';
}

/** 32 hex digits (128 bits) of SHA-256 over `rule ␀ key ␀ field ␀ opening window end (ms)`. */
export function alertId(rule: string, key: string, field: string, episodeStartMs: number): string {
  // the one-shot hash: a Hash object per alert cost twice as much (every deviation of a rule without lifecycle is an alert)
  return hash('sha256', `${rule}\u0000${key}\u0000${field}\u0000${episodeStartMs}`, 'hex').slice(0, 32);
}
