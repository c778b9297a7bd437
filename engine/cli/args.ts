/** Minimal option parsing for the CLI contract (docs/semantics.md#cli): `--opt value`, `--opt=value`, `--` ends options. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: readonly string[], valued: readonly string[], flags: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (flags.includes(name)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        options.set(name, true);
        continue;
      }
      if (!valued.includes(name)) throw new UsageError(`unknown option --${name}`);
      let value: string;
      if (eq >= 0) value = a.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
        value = argv[++i]!;
      }
      options.set(name, value);
      continue;
    }
    positionals.push(a);
  }
  return { positionals, options };
}
