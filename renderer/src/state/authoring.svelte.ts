/**
 * Starting from a blank page (docs/workbench.md#new-projects-and-files): new projects from
 * templates, new files from templates, the active config among several, rename and delete.
 * Every change to disk goes through the contract (confined to the open project there); this
 * class keeps the workbench's documents in step: it saves before the project is re-read, and
 * forgets the documents of files that moved or went.
 */
import type { NewFileKind, ProjectTemplate } from '../../../main/api/contract';
import type { StateDeps, Transport } from './deps';
import type { Workbench } from './workbench.svelte';

/** Where a new file of each kind goes by default, and what it is called in the UI. */
export const NEW_FILE_KINDS: { kind: NewFileKind; label: string; defaultPath: string; help: string }[] = [
  {
    kind: 'config',
    label: 'Config',
    defaultPath: 'config-2.json',
    help: 'a config over the active config’s input, or over a CSV of the project (its structure inferred)',
  },
  {
    kind: 'data-structure',
    label: 'Data structure from a CSV',
    defaultPath: 'data_structure-2.json',
    help: 'field names from the header, types guessed from the first rows',
  },
  {
    kind: 'analysis-module',
    label: 'Analysis module',
    defaultPath: 'analyses/my-analysis.ts',
    help: 'a class whose analysis(history, alerts) runs after every window',
  },
  {
    kind: 'extension-module',
    label: 'Extension module',
    defaultPath: 'extensions/my-functions.ts',
    help: 'transformation and aggregate functions for the config',
  },
];

export class AuthoringState {
  /** the notes of the last new file (what was inferred), shown until the next one */
  notes = $state.raw<string[]>([]);
  busy = $state(false);
  private readonly transport: Transport;

  constructor(
    deps: Pick<StateDeps, 'transport'>,
    private readonly wb: Workbench,
  ) {
    this.transport = deps.transport;
  }

  /** CSV files of the project, for "infer from" */
  get csvFiles(): string[] {
    return (this.wb.project?.files ?? []).filter((f) => /\.(csv|tsv|txt)$/i.test(f.path)).map((f) => f.path);
  }

  /** A new project from a template in `dir`, opened; false when it failed (the toast says why). */
  async createProject(template: ProjectTemplate, dir: string): Promise<boolean> {
    return this.doing('new project', async () => {
      await this.wb.save();
      const p = await this.transport.invoke('project.create', { template, dir });
      await this.wb.setProject(p);
    });
  }

  /** Writes a new file from its template and opens it; a new config is not made active (the picker does that). */
  async newFile(kind: NewFileKind, path: string, csv?: string): Promise<boolean> {
    const p = this.wb.project;
    if (!p) return false;
    return this.doing(`new file ${path}`, async () => {
      const r = await this.transport.invoke('file.create', { dir: p.dir, path, kind, csv });
      this.wb.project = r.project;
      this.notes = r.notes;
      await this.wb.openFile(r.path);
      this.wb.notify('info', `created ${r.path}${r.notes.length > 0 ? `: ${r.notes[0]}` : ''}`);
      // a new module may be what the config names already: check again with it
      this.wb.schedulePreview();
    });
  }

  /** Makes another config the active one: the open documents are saved, the project reopened on it. */
  async setActiveConfig(configFile: string): Promise<boolean> {
    const p = this.wb.project;
    if (!p || configFile === p.configFile) return false;
    return this.doing(`switching to ${configFile}`, async () => {
      await this.wb.save();
      await this.wb.setProject(await this.transport.invoke('project.setConfig', { dir: p.dir, configFile }));
    });
  }

  async rename(from: string, to: string): Promise<boolean> {
    const p = this.wb.project;
    if (!p || from === to) return false;
    return this.doing(`renaming ${from}`, async () => {
      const wasOpen = this.wb.tabs.some((t) => t.path === from);
      await this.wb.save([from]);
      const info = await this.transport.invoke('file.rename', { dir: p.dir, from, to });
      this.wb.discard(from);
      if (info.configFile !== p.configFile || info.dataStructureFile !== p.dataStructureFile) await this.wb.setProject(info);
      else {
        this.wb.project = info;
        if (wasOpen) await this.wb.openFile(to);
        this.wb.schedulePreview();
      }
    });
  }

  /** Deletes a file (the UI asked for confirmation); its unsaved edits go with it. */
  async remove(path: string): Promise<boolean> {
    const p = this.wb.project;
    if (!p) return false;
    return this.doing(`deleting ${path}`, async () => {
      const info = await this.transport.invoke('file.delete', { dir: p.dir, path });
      this.wb.discard(path);
      if (info.configFile !== p.configFile) await this.wb.setProject(info);
      else {
        this.wb.project = info;
        this.wb.schedulePreview();
      }
    });
  }

  private async doing(what: string, act: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    try {
      await act();
      return true;
    } catch (e) {
      this.wb.notify('error', `${what}: ${(e as Error).message}`);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
