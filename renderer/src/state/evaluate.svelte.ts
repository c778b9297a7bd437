/**
 * The workbench's evaluations of the config (issue 9), each run by the back end through the
 * contract (main/api/evaluate.ts), never here: the Backtest panel (a labels file, one backtest or
 * a sweep, the scores, the labels and jumps on the charts), the config tests run on every save
 * of the config or its tests file (failures listed in the Problems panel), and the comparison of
 * the config with its saved version or with another config of the project.
 * Built with their dependencies (docs/architecture.md#the-renderer).
 */
import type {
  BacktestProgress,
  BacktestResult,
  BacktestRuleScore,
  ConfigTestsResult,
  DiffResult,
  EvaluationKind,
  ProjectInfo,
} from '../../../main/api/contract';
import type { LabelInterval } from '../lib/chart-overlays';
import type { Scheduler, StateDeps, Transport } from './deps';
import type { Workbench } from './workbench.svelte';

/** A request for the charts to show an interval (epoch ms); `seq` tells one request from the next. */
export interface ChartFocus {
  start: number;
  end: number;
  seq: number;
}

/** Where the panels ask the charts to go, and what the charts shade beside the run's own results. */
export class ChartRequests {
  focus = $state.raw<ChartFocus | null>(null);
  /** labelled anomalies of the latest backtest, drawn under the alert episodes */
  labels = $state.raw<LabelInterval[]>([]);
  private seq = 0;

  show(start: number, end: number): void {
    this.focus = { start, end, seq: ++this.seq };
  }
}

/** What shows an evaluation's progress: busy while it runs, the reason it failed. */
interface Busy {
  busy: boolean;
  error: string | null;
}

/** One request of a kind at a time in the page: a reply that a newer request overtook is dropped. */
class Latest {
  private seq = 0;

  /** Starts a request (overtaking the one in flight) and hands its reply to `done` unless it was overtaken. */
  async run<T>(owner: Busy, call: () => Promise<T>, done: (r: T) => void): Promise<void> {
    const seq = ++this.seq;
    owner.busy = true;
    owner.error = null;
    try {
      const r = await call();
      if (seq === this.seq) done(r);
    } catch (e) {
      if (seq === this.seq) owner.error = (e as Error).message;
    } finally {
      if (seq === this.seq) owner.busy = false;
    }
  }

  /** Drops the reply in flight (another project opened). */
  forget(owner: Busy): void {
    this.seq++;
    owner.busy = false;
  }
}

async function cancel(transport: Transport, kind: EvaluationKind): Promise<void> {
  await transport.invoke('evaluation.cancel', { kind });
}

// ---- backtest -------------------------------------------------------------------------------

/** A sweep `<rule>.<option>=<from>..<to>:<step>`, as the panel's fields build it. */
export function sweepText(rule: string, option: string, from: string, to: string, step: string): string {
  return `${rule}.${option}=${from}..${to}:${step}`;
}

export class BacktestState {
  labelsFile = $state<string>('');
  /** sweep fields: empty rule = one backtest of the config as it is */
  sweepRule = $state<string>('');
  sweepOption = $state<string>('');
  sweepFrom = $state<string>('');
  sweepTo = $state<string>('');
  sweepStep = $state<string>('');
  busy = $state(false);
  progress = $state.raw<BacktestProgress | null>(null);
  result = $state.raw<BacktestResult | null>(null);
  /** why the backtest did not run (the back end refused: restricted mode, a file outside the project) */
  error = $state<string | null>(null);
  private readonly latest = new Latest();
  private readonly transport: Transport;

  constructor(
    deps: Pick<StateDeps, 'transport'>,
    private readonly wb: Workbench,
    private readonly charts: ChartRequests,
  ) {
    this.transport = deps.transport;
    this.transport.on('backtest.progress', (p) => {
      if (this.busy) this.progress = p;
    });
    wb.onProject((p, change) => {
      if (change === 'trust') return;
      this.latest.forget(this);
      this.result = null;
      this.error = null;
      this.charts.labels = [];
      this.labelsFile = p ? (this.labelFiles(p)[0] ?? '') : '';
    });
  }

  /** CSV files of the project, those named like labels first (the sample ships data/labels.csv) */
  labelFiles(p: ProjectInfo | null = this.wb.project): string[] {
    if (!p) return [];
    const csv = p.files.filter((f) => /\.csv$/i.test(f.path) && f.path !== p.dataFile).map((f) => f.path);
    const named = (f: string) => (/label|anomal|incident/i.test(f) ? 0 : 1);
    return csv.sort((a, b) => named(a) - named(b) || a.localeCompare(b));
  }

  get sweep(): string | undefined {
    if (this.sweepRule === '') return undefined;
    return sweepText(this.sweepRule, this.sweepOption.trim(), this.sweepFrom.trim(), this.sweepTo.trim(), this.sweepStep.trim());
  }

  async run(): Promise<void> {
    const p = this.wb.project;
    if (!p || this.labelsFile === '') return;
    this.progress = null;
    await this.latest.run(
      this,
      () => this.transport.invoke('backtest.run', { dir: p.dir, labels: this.labelsFile, sweep: this.sweep, overlay: this.wb.unsaved() }),
      (r) => {
        this.result = r;
        this.charts.labels = r.ok ? labelsOf(r) : [];
      },
    );
  }

  /** Stops the replay: the result scores the windows read so far (`stopped`). */
  async cancel(): Promise<void> {
    await cancel(this.transport, 'backtest');
  }

  /** The chart shows a false positive's or a false negative's windows. */
  jump(interval: { windowStart: number; windowEnd: number }): void {
    this.charts.show(interval.windowStart, interval.windowEnd);
  }
}

/** Every label of the file once: each rule's true positives and false negatives together hold all of them. */
function labelsOf(r: BacktestResult): LabelInterval[] {
  const rule: BacktestRuleScore | undefined = r.rules[0];
  if (!rule) return [];
  const all = [...rule.truePositives.map((t) => t.label), ...rule.falseNegatives];
  return all
    .sort((a, b) => a.line - b.line)
    .map((l) => ({ start: l.windowStart, end: l.windowEnd, keyText: l.keyText, ...(l.label !== undefined ? { label: l.label } : {}) }));
}

// ---- tests in the config -----------------------------------------------------------------------

/** A failing expectation of a config test, as the Problems panel lists it. */
export interface TestProblem {
  /** the tests file, relative to the project */
  file: string;
  line: number;
  column: number;
  caseName: string;
  /** JSON path of the expectation in the tests file (empty when the case could not run) */
  path: string;
  message: string;
  expected?: string;
  actual?: string;
}

/** Tests run this long after the last save: a burst of saves (autosave while typing) runs them once. */
export const TESTS_DEBOUNCE_MS = 400;

const shown = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));

export class ConfigTestsState {
  result = $state.raw<ConfigTestsResult | null>(null);
  busy = $state(false);
  error = $state<string | null>(null);
  private timer: unknown;
  private readonly latest = new Latest();
  private readonly transport: Transport;
  private readonly scheduler: Scheduler;

  constructor(
    deps: Pick<StateDeps, 'transport' | 'scheduler'>,
    private readonly wb: Workbench,
  ) {
    this.transport = deps.transport;
    this.scheduler = deps.scheduler;
    wb.onSaved((paths) => {
      const p = wb.project;
      if (p && paths.some((f) => f === p.configFile || f === testsFileOf(p.configFile))) this.schedule();
    });
    wb.onProject((p) => {
      this.scheduler.clearTimeout(this.timer);
      this.latest.forget(this);
      this.result = null;
      this.error = null;
      // the tests of a trusted project run once it opens: failures show before the first save
      if (p?.trust.trusted) this.schedule();
    });
  }

  get testsFile(): string | null {
    const p = this.wb.project;
    return p ? testsFileOf(p.configFile) : null;
  }

  schedule(): void {
    this.scheduler.clearTimeout(this.timer);
    this.timer = this.scheduler.setTimeout(() => void this.run(), TESTS_DEBOUNCE_MS);
  }

  /** Runs the tests now; a run still going is aborted by the back end (one job of a kind) and its result dropped. */
  async run(): Promise<void> {
    const p = this.wb.project;
    this.scheduler.clearTimeout(this.timer);
    if (!p?.trust.trusted) return;
    await this.latest.run(
      this,
      () => this.transport.invoke('configTests.run', { dir: p.dir, overlay: this.wb.unsaved() }),
      (r) => (this.result = r),
    );
  }

  /** Each unmet expectation (and each case that could not run) at its place in the tests file. */
  get problems(): TestProblem[] {
    const r = this.result;
    if (!r) return [];
    const out: TestProblem[] = [];
    for (const c of r.cases) {
      if (c.passed) continue;
      if (c.error !== undefined) out.push({ file: r.testsFile, line: c.line, column: c.column, caseName: c.name, path: '', message: c.error });
      for (const d of c.differences)
        out.push({
          file: r.testsFile,
          line: d.line,
          column: d.column,
          caseName: c.name,
          path: d.path,
          message: d.message,
          expected: shown(d.expected),
          actual: shown(d.actual),
        });
    }
    return out;
  }
}

/** `config.json` → `config.tests.json` (docs/config-tests.md) */
export function testsFileOf(configFile: string): string {
  return configFile.replace(/(\.json)?$/i, '.tests.json');
}

// ---- compare ----------------------------------------------------------------------------------------

export class CompareState {
  /** what the config as edited was compared with: the saved version, or another config of the project */
  against = $state<{ kind: 'saved' } | { kind: 'config'; file: string } | null>(null);
  busy = $state(false);
  result = $state.raw<DiffResult | null>(null);
  error = $state<string | null>(null);
  private readonly latest = new Latest();
  private readonly transport: Transport;

  constructor(
    deps: Pick<StateDeps, 'transport'>,
    private readonly wb: Workbench,
    private readonly charts: ChartRequests,
  ) {
    this.transport = deps.transport;
    wb.onProject((_p, change) => {
      if (change === 'trust') return;
      this.latest.forget(this);
      this.against = null;
      this.result = null;
      this.error = null;
    });
  }

  /** The other configs of the project (what "compare with another config" offers). */
  get otherConfigs(): string[] {
    const p = this.wb.project;
    if (!p) return [];
    return p.configs.filter((f) => f !== p.configFile);
  }

  withSaved(): Promise<void> {
    return this.compare({ kind: 'saved' });
  }

  withConfig(file: string): Promise<void> {
    return this.compare({ kind: 'config', file });
  }

  private async compare(against: NonNullable<CompareState['against']>): Promise<void> {
    const p = this.wb.project;
    if (!p) return;
    this.against = against;
    const args = { dir: p.dir, against: against.kind === 'config' ? against.file : undefined, overlay: this.wb.unsaved() };
    await this.latest.run(
      this,
      () => this.transport.invoke('diff.run', args),
      (r) => (this.result = r),
    );
  }

  async cancel(): Promise<void> {
    await cancel(this.transport, 'diff');
  }

  jump(start: number, end: number): void {
    this.charts.show(start, end);
  }
}
