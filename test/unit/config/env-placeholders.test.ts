// ${ENV} placeholders in a config (engine/config/env-placeholders.ts): filled from the environment, a missing one reported at its place.
import { describe, expect, it } from 'vitest';
import { parseDoc } from '../../../engine/config/data-structure.js';
import { placeholderNames, resolveEnvPlaceholders } from '../../../engine/config/env-placeholders.js';

function resolve(text: string, env: Record<string, string>) {
  const { doc, sink } = parseDoc(text, 'config.json');
  resolveEnvPlaceholders(doc!.value, sink, (n) => env[n]);
  return { value: doc!.value as Record<string, any>, diagnostics: sink.diagnostics };
}

describe('env placeholders', () => {
  it('fills whole and embedded placeholders, keeps $${ as a literal and leaves processing (code) as written', () => {
    const text = JSON.stringify({
      outputs: [{ options: { influx: { password: '${PW}', url: 'http://${HOST}:8086', note: 'cost $${X}' } } }],
      processing: { transformation: ['a: "${PW}"'] },
    });
    const { value, diagnostics } = resolve(text, { PW: 's3cr$t', HOST: 'db.internal' });
    expect(diagnostics).toEqual([]);
    expect(value.outputs[0].options.influx).toEqual({ password: 's3cr$t', url: 'http://db.internal:8086', note: 'cost ${X}' });
    expect(value.processing.transformation).toEqual(['a: "${PW}"']);
  });

  it('names each missing variable at file:line:col of the string that holds it', () => {
    const text = '{\n  "input": {\n    "options": { "password": "${KAFKA_PW}", "x": "${A}-${B}" }\n  }\n}\n';
    const { value, diagnostics } = resolve(text, { A: 'a' });
    expect(diagnostics.map((d) => [d.line, d.column, d.path, d.severity])).toEqual([
      [3, 30, 'input.options.password', 'error'],
      [3, 50, 'input.options.x', 'error'],
    ]);
    expect(diagnostics[0]!.message).toContain('missing environment variable KAFKA_PW');
    expect(diagnostics[1]!.message).toContain('missing environment variable B');
    // a string with a missing variable stays as written (no half-filled values)
    expect(value.input.options.x).toBe('${A}-${B}');
  });

  it('lists the names a string uses, without escaped ones', () => {
    expect(placeholderNames('${A}/${B_2}/$${C}/${9x}')).toEqual(['A', 'B_2']);
  });
});
