/**
 * Errors in sight during a run (docs/workbench.md#errors-in-sight): what the config's `stdout` outputs print (the Output tab), and
 * runtime failures of user code and of outputs (a count in the toolbar and a toast). Built with
 * its dependencies and the workbench whose toasts it uses (docs/architecture.md#the-renderer).
 */
import type { Events } from '../../../main/api/contract';
import type { Scheduler, StateDeps } from './deps';
import type { Workbench } from './workbench.svelte';

/** the Output tab keeps the end of a run's text (a max-speed run can print far more) */
export const OUTPUT_KEPT = 256 * 1024;
/** at most one failure toast this often, however many failures arrive */
const TOAST_EVERY_MS = 3000;

export class RunOutputState {
  runId = $state<string | null>(null);
  text = $state('');
  /** characters printed but not shown: beyond the back end's cap, or cut from the start to keep the end */
  dropped = $state(0);
  userCodeFailures = $state(0);
  outputFailures = $state(0);
  /** the failure messages seen (distinct, newest last, a few) */
  failures = $state.raw<Events['run.problems']['latest']>([]);
  private lastToastAt = Number.NEGATIVE_INFINITY;
  private readonly scheduler: Scheduler;

  constructor(
    deps: Pick<StateDeps, 'transport' | 'scheduler'>,
    private readonly wb: Workbench,
  ) {
    this.scheduler = deps.scheduler;
    deps.transport.on('run.progress', (p) => this.follow(p.runId));
    deps.transport.on('run.output', (o) => {
      this.follow(o.runId);
      const text = this.text + o.text;
      const cut = Math.max(0, text.length - OUTPUT_KEPT);
      // cut at a line start, so the first line shown is whole
      const from = cut === 0 ? 0 : text.indexOf('\n', cut) + 1 || cut;
      this.text = text.slice(from);
      this.dropped += o.dropped + from;
    });
    deps.transport.on('run.problems', (p) => {
      this.follow(p.runId);
      this.userCodeFailures = p.userCode;
      this.outputFailures = p.outputs;
      if (p.latest.length === 0) return;
      this.failures = [...this.failures, ...p.latest].slice(-20);
      const now = this.scheduler.now();
      if (now - this.lastToastAt < TOAST_EVERY_MS) return;
      this.lastToastAt = now;
      const first = p.latest[0]!;
      const more = p.userCode + p.outputs > 1 ? ` (${p.userCode + p.outputs} failures so far)` : '';
      this.wb.notify('error', `${first.kind === 'user-code' ? 'user code failed' : 'an output failed'}: ${first.message}${more}`);
    });
  }

  get failureCount(): number {
    return this.userCodeFailures + this.outputFailures;
  }

  clear(): void {
    this.text = '';
    this.dropped = 0;
  }

  /** a new run starts with an empty output and no failures */
  private follow(runId: string): void {
    if (runId === this.runId) return;
    this.runId = runId;
    this.text = '';
    this.dropped = 0;
    this.userCodeFailures = 0;
    this.outputFailures = 0;
    this.failures = [];
    this.lastToastAt = Number.NEGATIVE_INFINITY;
  }
}
