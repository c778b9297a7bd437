/** `ts-engine run`: validate everything, then run; progress and the summary go to stderr. */
import os from 'node:os';
import { checkConfig } from '../pipeline/plan.js';
import { Runner, type RunnerOptions, type RunStats } from '../pipeline/runner.js';
import { parseArgs, UsageError } from './args.js';
import { displayPath, isDebug, printDiagnostics, progressLine, summary } from './report.js';

const MAX_ROW_ERROR_LINES = 10;
/** After Ctrl-C or SIGTERM the run flushes and stops; if that takes longer than this, it is aborted. */
const STOP_DEADLINE_MS = 10_000;

export async function runCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['dead-letter', 'speed', 'workers'], ['progress', 'no-progress', 'quiet', 'until-end']);
  if (positionals.length !== 1) throw new UsageError('Invalid amount of arguments: run takes exactly one config file');
  const speedOpt = options.get('speed');
  const speed = speedOpt === undefined ? undefined : Number(speedOpt);
  if (speed !== undefined && (!Number.isFinite(speed) || speed < 0)) throw new UsageError('--speed must be a number ≥ 0 (0 = as fast as possible)');
  const workersOpt = options.get('workers');
  const workers = workersOpt === undefined ? 1 : workersOpt === 'auto' ? 0 : Number(workersOpt);
  if (!Number.isInteger(workers) || workers < 0) throw new UsageError('--workers must be a positive integer or "auto"');

  // the sandbox the check loads user modules in goes on to run them
  const outcome = await checkConfig(positionals[0]!, undefined, undefined, { keepSandbox: true });
  printDiagnostics(outcome.diagnostics);
  if (!outcome.plan) return 2;
  const plan = outcome.plan;

  const err = process.stderr;
  const showProgress = options.has('progress') || (!options.has('no-progress') && !options.has('quiet') && err.isTTY === true);
  let rowErrorLines = 0;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) err.write('\r\x1b[K');
    progressShown = false;
  };
  const warn = (m: string) => {
    clearProgress();
    err.write(`warning: ${m}\n`);
  };

  const runnerOptions: RunnerOptions = {
    speed,
    warn,
    deadLetterPath: options.get('dead-letter') as string | undefined,
    progressIntervalMs: 500,
    untilEnd: options.has('until-end'),
    onProgress: showProgress
      ? (s) => {
          if (s.state !== 'running') return;
          err.write(`\r\x1b[K${progressLine(s)}`);
          progressShown = true;
        }
      : undefined,
    onRowError: (d) => {
      if (options.has('quiet')) return;
      if (rowErrorLines < MAX_ROW_ERROR_LINES) {
        const p = d.position;
        warn(
          `row error at ${displayPath(p.source)}${p.line !== undefined ? `:${p.line}` : ''}${p.offset !== undefined ? ` (partition ${p.partition}, offset ${p.offset})` : ''}: ${d.message}`,
        );
      } else if (rowErrorLines === MAX_ROW_ERROR_LINES) warn('further row errors are counted and dead-lettered; see the summary');
      rowErrorLines++;
    },
  };
  let runner: Runner;
  let run: () => Promise<RunStats>;
  const parallel = workers !== 1 ? await import('../parallel/replay.js') : undefined;
  const why = parallel?.parallelUnsupportedReason(plan);
  if (why && workers !== 0) warn(`--workers ignored: ${why}; running on one thread`);
  // auto: as many workers as pay off here, which may be none (a one-line note says why: choosing is what auto asked for)
  const chosen = parallel && workers === 0 ? (why ? { workers: 1, why } : parallel.autoWorkers(plan, os.availableParallelism())) : undefined;
  if (chosen?.why && !options.has('quiet')) err.write(`note: --workers auto runs on one thread: ${chosen.why}\n`);
  try {
    if (parallel && !why && (chosen?.workers ?? workers) !== 1) {
      ({ runner, run } = parallel.parallelReplay(plan, { ...runnerOptions, workers: chosen?.workers ?? workers }));
    } else {
      const r = new Runner(plan, runnerOptions);
      runner = r;
      run = () => r.run();
    }
  } catch (e) {
    err.write(`error: ${isDebug() ? (e as Error).stack : (e as Error).message}\n`);
    return 1;
  }

  // the engine's own thread never runs user code (docs/sandbox.md), so signals are always heard
  let interrupted = false;
  let stopTimer: NodeJS.Timeout | undefined;
  const onSignal = () => {
    if (interrupted) {
      warn('aborted');
      process.exit(130);
    }
    interrupted = true;
    warn('You terminated execution. Flushing open windows… (Ctrl-C again to abort)');
    runner.stop();
    stopTimer = setTimeout(() => {
      warn(`the run did not stop within ${STOP_DEADLINE_MS / 1000} s; aborted`);
      process.exit(130);
    }, STOP_DEADLINE_MS);
    stopTimer.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const stats = await run();
    clearProgress();
    err.write(summary(stats));
    return interrupted ? 130 : 0;
  } catch (e) {
    clearProgress();
    err.write(summary(runner.stats()));
    // the summary's last line says what failed; the stack only on request
    if (isDebug() && e instanceof Error && e.stack) err.write(`${e.stack}\n`);
    return 1;
  } finally {
    clearTimeout(stopTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
