/**
 * The secrets a config holds where ts-engine reads them, from the components' option specs
 * (components/registry.ts): `check` warns about every other secret-looking key (docs/secrets.md),
 * most likely a misspelling (`Password`) that is silently ignored otherwise. What a secret is
 * stays the rule of options/secrets.ts.
 */
import { ALERT_SINKS, HISTORY_STORES, OUTPUTS, SOURCES } from '../components/registry.js';
import type { DiagnosticSink } from '../options/diagnostics.js';
import type { ParsedJson } from '../options/json.js';
import { unknownSecretKeys } from '../options/secrets.js';
import { optionKeys, type Spec, specPaths } from '../options/spec.js';

/** Patterns (`*` one segment, `**` any depth) of a component's secrets under each of `bases`. */
function componentSecrets(options: Spec<unknown>, bases: string[]): string[] {
  const inside = specPaths(options, 'secret');
  // TLS options go to Node's TLS layer as they are: key, passphrase and pfx are its names
  if (optionKeys(options.jsonSchema()).includes('ssl')) inside.push('ssl.**');
  return bases.flatMap((b) => inside.map((p) => `${b}.${p}`));
}

/** Every place of a config where ts-engine reads a secret, as JSON path patterns. */
export function knownSecretPaths(): string[] {
  const alertBases = (keys: string[]) => keys.flatMap((k) => [`analysis.alert${k}`, `analysis.alert.*${k}`]);
  return [
    ...SOURCES.flatMap((d) => componentSecrets(d.options as Spec<unknown>, ['input.options'])),
    ...OUTPUTS.flatMap((d) => componentSecrets(d.options as Spec<unknown>, ['outputs.*.options', 'outputs.options'])),
    ...HISTORY_STORES.flatMap((d) => componentSecrets(d.options as Spec<unknown>, [`analysis.historical.${d.optionsKey}`, 'analysis.historical.options'])),
    ...ALERT_SINKS.flatMap((d) =>
      'settings' in d && d.settings
        ? componentSecrets(d.settings as Spec<unknown>, alertBases(['']))
        : componentSecrets(d.options as Spec<unknown>, alertBases(['.option', '.options'])),
    ),
    // user analysis options are the module's own business
    'analysis.rule.*.options.**',
    'analysis.rule.*.option.**',
  ];
}

/** A secret-looking key ts-engine does not read is a misspelling or a stray secret: a positioned warning. */
export function warnUnknownSecrets(doc: ParsedJson, sink: DiagnosticSink): void {
  for (const { path, key, known } of unknownSecretKeys(doc.value, knownSecretPaths)) {
    const hint = known ? `keys are case-sensitive: did you mean '${known}'? ` : '';
    sink.report(
      path,
      'ConfigError',
      `'${key}' looks like a secret but ts-engine does not read this key (${hint}it is ignored; export writes an environment placeholder instead of its value)`,
      { onKey: true, severity: 'warning' },
    );
  }
}
