import { main } from './main.js';

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
