import { main } from './main.js';

// a closed pipe downstream (`ts-engine run c.json | head`) ends the run quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(1);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    // let stdout drain before exiting (pipes)
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
