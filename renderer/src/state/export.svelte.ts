/**
 * The Export dialog's state (docs/production.md): the targets with their descriptions, the plan of the
 * chosen target — every change of meaning with its JSON path and severity — shown BEFORE anything is
 * written, writing only on confirm (a lossy change needs "allow lossy"; a blocker forbids writing), and
 * after a Flink export, Verify: the exported job replays the project's CSV beside ts-engine and answers
 * identical or the first differing windows. Built with its dependencies and the workbench it serves
 * (docs/architecture.md#the-renderer).
 */
import type { ExportPlanResult, ExportResult, ExportTargetInfo, ExportTargetName, VerifyResult } from '../../../main/api/contract';
import type { StateDeps, Transport } from './deps';
import type { Workbench } from './workbench.svelte';

export type ExportStep = 'choose' | 'written';

export class ExportState {
  targets = $state.raw<ExportTargetInfo[]>([]);
  target = $state<ExportTargetName>('ts-engine');
  outDir = $state('');
  /** the chosen target's plan; null while it is computed */
  plan = $state.raw<ExportPlanResult | null>(null);
  planning = $state(false);
  /** why the plan could not be made (an invalid config, an unreadable module) */
  planError = $state<string | null>(null);
  allowLossy = $state(false);
  writing = $state(false);
  result = $state.raw<ExportResult | null>(null);
  writeError = $state<string | null>(null);
  verifying = $state(false);
  verification = $state.raw<VerifyResult | null>(null);
  verifyError = $state<string | null>(null);

  private readonly transport: Transport;
  /** the latest plan request: an older answer arriving late (a quick change of target) is dropped */
  private planSeq = 0;

  constructor(
    deps: Pick<StateDeps, 'transport'>,
    private readonly wb: Workbench,
  ) {
    this.transport = deps.transport;
  }

  get lossy(): boolean {
    return this.plan?.changes.some((c) => c.kind === 'lossy') ?? false;
  }

  get blocked(): boolean {
    return this.plan?.refusal?.reason === 'blocker';
  }

  /** what stops the export from being written, for the disabled button's title; null when it may be */
  get cannotWrite(): string | null {
    if (!this.wb.project) return 'no project is open';
    if (this.planning || !this.plan) return this.planError ?? 'the changes of meaning are being listed';
    if (this.blocked) return 'parts of the config have no form in this target (blockers, listed)';
    if (this.lossy && !this.allowLossy) return 'this export changes results: tick "Allow lossy changes" to write it anyway';
    if (this.outDir.trim() === '') return 'choose the folder to export into';
    return null;
  }

  get canVerify(): boolean {
    return this.result?.target === 'flink' && !this.verifying;
  }

  /** Opens the dialog's state afresh: the targets, the default folder and the plan of the default target. */
  async open(): Promise<void> {
    this.result = null;
    this.writeError = null;
    this.verification = null;
    this.verifyError = null;
    this.allowLossy = false;
    this.target = 'ts-engine';
    this.outDir = this.wb.project ? `${this.wb.project.dir}-${this.target}` : '';
    if (this.targets.length === 0) this.targets = await this.transport.invoke('export.targets', {});
    await this.replan();
  }

  /** Chooses a target: its plan replaces the last one, the folder follows when it still had the default name. */
  async choose(target: ExportTargetName): Promise<void> {
    if (target === this.target && this.plan) return;
    const dir = this.wb.project?.dir;
    if (dir && this.outDir === `${dir}-${this.target}`) this.outDir = `${dir}-${target}`;
    this.target = target;
    this.allowLossy = false;
    this.result = null;
    this.verification = null;
    await this.replan();
  }

  /** Lists the chosen target's changes of meaning (the config is saved first: the plan is of what is on disk). */
  async replan(): Promise<void> {
    const project = this.wb.project;
    if (!project) return;
    const seq = ++this.planSeq;
    this.planning = true;
    this.plan = null;
    this.planError = null;
    try {
      await this.wb.save();
      const plan = await this.transport.invoke('export.plan', { dir: project.dir, target: this.target });
      if (seq === this.planSeq) this.plan = plan;
    } catch (e) {
      if (seq === this.planSeq) this.planError = (e as Error).message;
    } finally {
      if (seq === this.planSeq) this.planning = false;
    }
  }

  /** Writes the export the user confirmed: the plan shown, with "allow lossy" when it lists lossy changes. */
  async write(): Promise<ExportResult | undefined> {
    const project = this.wb.project;
    if (!project || this.cannotWrite !== null) return undefined;
    this.writing = true;
    this.writeError = null;
    this.verification = null;
    try {
      this.result = await this.transport.invoke('export.write', {
        dir: project.dir,
        outDir: this.outDir.trim(),
        target: this.target,
        allowLossy: this.allowLossy,
      });
      return this.result;
    } catch (e) {
      this.writeError = (e as Error).message;
      return undefined;
    } finally {
      this.writing = false;
    }
  }

  /** Runs the written Flink job on the project's CSV beside ts-engine. */
  async verify(): Promise<VerifyResult | undefined> {
    const project = this.wb.project;
    if (!project || !this.result || this.result.target !== 'flink') return undefined;
    this.verifying = true;
    this.verification = null;
    this.verifyError = null;
    try {
      this.verification = await this.transport.invoke('export.verify', { dir: project.dir, exportDir: this.result.outDir });
      return this.verification;
    } catch (e) {
      this.verifyError = (e as Error).message;
      return undefined;
    } finally {
      this.verifying = false;
    }
  }
}
