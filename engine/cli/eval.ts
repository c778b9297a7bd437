/** `ts-engine eval`: one transformation body against one row; prints `<repr>\t<TypeName>`. */
import path from 'node:path';
import { EngineError, RowError } from '../core/errors.js';
import type { InputField, Value } from '../core/types.js';
import { compileBody, type ConfigLookup } from '../expr/compile.js';
import { parseDataStructure, parseDoc } from '../config/validate.js';
import { configLookupFor } from '../pipeline/plan.js';
import { compileRowParser } from '../pipeline/row-parser.js';
import { pyRepr } from '../values/python.js';
import { formatDiagnostic } from '../core/errors.js';
import { parseArgs, UsageError } from './args.js';
import { readBoundedText } from '../core/files.js';

function readOrFail(file: string, what: string): string {
  try {
    return readBoundedText(file);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['structure', 'row', 'sep', 'config']);
  if (positionals.length !== 1) throw new UsageError('eval takes exactly one expression (use -- before an expression that starts with -)');
  const expr = positionals[0]!;
  const sep = (options.get('sep') as string | undefined) ?? ',';
  if (sep.length === 0) throw new UsageError('--sep must not be empty');

  let fields: InputField[] = [];
  const structure = options.get('structure') as string | undefined;
  if (structure !== undefined) {
    const parsed = parseDataStructure(readOrFail(structure, 'data structure'), structure);
    const errors = parsed.sink.diagnostics.filter((d) => d.severity === 'error');
    if (!parsed.fields || errors.length > 0) {
      for (const d of errors) process.stderr.write(formatDiagnostic(d) + '\n');
      return 2;
    }
    fields = parsed.fields;
  }
  let lookup: ConfigLookup | undefined;
  const configFile = options.get('config') as string | undefined;
  if (configFile !== undefined) {
    const { doc, sink } = parseDoc(readOrFail(configFile, 'config'), path.resolve(configFile));
    if (!doc) {
      for (const d of sink.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
      return 2;
    }
    lookup = configLookupFor(doc, doc.value);
  }

  let compiled: ReturnType<typeof compileBody>;
  try {
    compiled = compileBody(expr, fields, { configLookup: lookup });
  } catch (e) {
    if (e instanceof EngineError) {
      const at = e.from !== undefined ? ` (column ${e.from + 1})` : '';
      process.stderr.write(`${e.errorClass}: ${e.message}${at}\n`);
      return 2;
    }
    throw e;
  }

  const row: Value[] = new Array(fields.length).fill(null);
  if (compiled.usedSlots.length > 0) {
    const line = options.get('row') as string | undefined;
    if (line === undefined) {
      const names = compiled.usedSlots.map((s) => fields[s]!.name).join(', ');
      process.stderr.write(`RowError: the expression reads ${names}; pass a row with --row\n`);
      return 3;
    }
    try {
      compileRowParser(fields, compiled.usedSlots, sep)(line, row);
    } catch (e) {
      if (e instanceof RowError) {
        process.stderr.write(`RowError: ${e.message}\n`);
        return 3;
      }
      throw e;
    }
  }
  let value: Value;
  try {
    value = compiled.run(row);
  } catch (e) {
    if (e instanceof RowError) {
      process.stderr.write(`RowError: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  process.stdout.write(`${pyRepr(value, compiled.type)}\t${compiled.type}\n`);
  return 0;
}
