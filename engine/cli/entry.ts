import v8 from 'node:v8';
import { main } from './main.js';
import { failureText } from './report.js';

/**
 * V8 lets the old generation grow to several times what survived the last full GC, so a long replay's peak memory is
 * mostly garbage waiting for a GC that a short one never reaches (docs/performance.md#memory). A growth of at most 2 ×
 * is read by V8 at every GC, so it takes effect although the heap is already set up (unlike the semi-space size, which
 * would need a second process), and replays measured no slower with it.
 */
function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=100');
}
boundHeapGrowth();

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
