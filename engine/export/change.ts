/**
 * The change list every export target gives before it writes anything (docs/production.md#verifying-an-export):
 * one line per change of meaning, with the JSON path of the config it concerns.
 *
 * - `blocker`: the part has no form in the target; the export refuses whatever the flags.
 * - `lossy`: what the exported pipeline computes, stores or reports differs; refused unless `--allow-lossy`.
 * - `note`: same results, different mechanics (a renamed key, a secret moved to the environment).
 */
export type ExportChangeKind = 'blocker' | 'lossy' | 'note';

export interface ExportChange {
  kind: ExportChangeKind;
  /** JSON path in the config (`input.options.time_field`, `outputs[0]`) */
  path: string;
  message: string;
}

/** One line of the list, as the CLI prints it and the workbench shows it. */
export function formatChange(c: ExportChange): string {
  return `${c.path}: ${c.kind === 'note' ? '' : `[${c.kind}] `}${c.message}`;
}

export type Refusal = { reason: 'blocker' | 'lossy'; message: string };

/** Why a target must not write, or undefined when it may. */
export function refusalOf(changes: readonly ExportChange[], allowLossy: boolean, target: string): Refusal | undefined {
  const blockers = changes.filter((c) => c.kind === 'blocker').length;
  if (blockers > 0) {
    return { reason: 'blocker', message: `${blockers} part(s) of the config have no form in the ${target} target (listed above); nothing written` };
  }
  if (!allowLossy && changes.some((c) => c.kind === 'lossy')) {
    return {
      reason: 'lossy',
      message: `the ${target} export would change what the pipeline computes, stores or reports (lossy, listed above); pass --allow-lossy to export anyway`,
    };
  }
  return undefined;
}
