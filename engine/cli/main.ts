/**
 * `ts-engine` — the headless runner (docs/semantics.md#cli):
 *   ts-engine run <config.json>     exit 0 finished (a file read, or --until-end), 1 runtime failure, 2 invalid config, 130 Ctrl-C
 *   ts-engine check <config.json>   exit 0 "OK", 2 with one diagnostic per line on stderr
 *   ts-engine eval [--structure f] [--row line] [--sep c] [--config f] [--] <expr>
 */
import { runCommand } from './run.js';
import { checkCommand } from './check.js';
import { evalCommand } from './eval.js';
import { UsageError } from './args.js';
import { failureText, setDebug } from './report.js';

export const USAGE = `Usage:
  ts-engine run <config.json> [--dead-letter <file.jsonl>] [--speed <x>] [--workers <n>|auto] [--until-end] [--progress | --no-progress] [--debug]
      --until-end: a Kafka input stops at the end offsets its partitions have when the run starts
  ts-engine check <config.json> [--connect [--timeout <s>]] [--no-user-code] [--debug]
      --connect: also reach every broker and database it names; --no-user-code: only parse user modules, never load them
  ts-engine eval [--structure <file>] [--row <line>] [--sep <c>] [--config <file>] [--] <expr>
  ts-engine produce <file.csv | -> --brokers <host:port,…> --topic <name> [--rate <rows/s>] [--key-field <index|name> [--structure <file>]] [--partitions <n>] [--sep <c>] [--header]
  ts-engine export <config.json> <out-dir> [--target ts-engine|flink|reference] [--allow-lossy]   ts-engine (default): a production bundle
  ts-engine backtest <config.json> --labels <labels.csv> [--sweep <rule>.<option>=<from>..<to>:<step>] [--data <file.csv>] [--time-unit s|ms|us|ns] [--format text|json] [--details]
  ts-engine test <config.json> [--tests <file>] [--format text|json]   runs <config>.tests.json
  ts-engine diff <a.json> <b.json> [--data <file.csv>] [--format text|json] [--limit <n>]
  ts-engine schema [config | data-structure | tests]     print the JSON Schema (for editors)
A failure is one line on standard error; --debug (any command) shows its stack trace.
`;

type Command = (args: string[]) => Promise<number>;

const schemaCommand: Command = async (args) => {
  const { configJsonSchema, dataStructureJsonSchema } = await import('../config/schema.js');
  const which = args[0] ?? 'config';
  if (which !== 'config' && which !== 'data-structure' && which !== 'tests') throw new UsageError('schema takes "config", "data-structure" or "tests"');
  const schema =
    which === 'tests' ? (await import('../evaluate/config-tests.js')).testsFileJsonSchema : which === 'config' ? configJsonSchema : dataStructureJsonSchema;
  process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
  return 0;
};

const extraCommands: Record<string, () => Promise<Command>> = {
  schema: async () => schemaCommand,
  produce: async () => (await import('./produce.js')).produceCommand,
  export: async () => (await import('./export.js')).exportCommand,
  backtest: async () => (await import('./backtest.js')).backtestCommand,
  diff: async () => (await import('./diff.js')).diffCommand,
  test: async () => (await import('./test.js')).testCommand,
};

/** `--debug` anywhere before a `--` applies to every command; the commands never see it. */
function takeDebugFlag(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const options = end < 0 ? argv : argv.slice(0, end);
  if (!options.includes('--debug')) return argv;
  setDebug(true);
  return [...options.filter((a) => a !== '--debug'), ...(end < 0 ? [] : argv.slice(end))];
}

export async function main(args: string[]): Promise<number> {
  const argv = takeDebugFlag(args);
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run':
        return await runCommand(rest);
      case 'check':
        return await checkCommand(rest);
      case 'eval':
        return await evalCommand(rest);
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      case '--version':
        process.stdout.write('ts-engine 0.1.0\n');
        return 0;
      default:
        if (cmd !== undefined && extraCommands[cmd]) return await (await extraCommands[cmd]!())(rest);
        process.stderr.write(cmd === undefined ? `Invalid amount of arguments\n${USAGE}` : `unknown command '${cmd}'\n${USAGE}`);
        return 1;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${USAGE}`);
      return 1;
    }
    process.stderr.write(`error: ${failureText(e)}`);
    return 1;
  }
}
