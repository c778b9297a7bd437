import { main } from './main.js';
import { failureText } from './report.js';

// Started by bin/launch-cli.cjs, which sets the process's V8 flags before compiling this bundle (docs/performance.md#start-up).

// a closed pipe downstream (`ts-engine run c.json | head`) ends the run quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(1);
  throw e;
});

// whatever escapes (a library failing in a callback) is still one line, the stack only with --debug
const fatal = (e: unknown) => {
  process.stderr.write(`error: ${failureText(e)}`);
  process.exit(1);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

main(process.argv.slice(2)).then(
  (code) => {
    // let stdout drain before exiting (pipes)
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: ${failureText(e)}`);
    process.exitCode = 1;
  },
);
