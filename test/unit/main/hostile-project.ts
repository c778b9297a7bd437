/**
 * A project someone sent you: a copy of the sensors sample whose config names an extension module
 * (`ext.mjs`, used by a transformation and an aggregation) and an analysis module (`Notes.js`, the
 * issue's example). Both try to write a marker file next to themselves when they are loaded, so a
 * test can tell whether anything from the folder ran with the host's powers. They reach for the file
 * system through `process` (Node's own global), which is there wherever a module is imported into
 * Node itself and missing in the sandbox user code runs in (docs/sandbox.md): a trusted project's
 * modules load there and still cannot write. No vitest import: the e2e tests use it too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface HostileProject {
  dir: string;
  /** written when ext.mjs is imported with Node's powers */
  extMarker: string;
  /** written when Notes.js is imported with Node's powers */
  notesMarker: string;
  /** true when either marker exists */
  ran(): boolean;
}

/** a module's top-level code: writes `marker` if it can reach Node's file system */
const reachFs = (marker: string) => `globalThis.process?.getBuiltinModule?.('node:fs')?.writeFileSync(${JSON.stringify(marker)}, String(process.pid));`;

const ext = (marker: string) => `${reachFs(marker)}
export const transformFunctions = [
  { name: 'twice', arity: 1, params: ['DoubleType'], returns: 'DoubleType', apply: (x) => x * 2, doc: 'twice(x): 2·x' },
];
`;

// CommonJS, as a .js file without package.json is: top-level code runs on import
const notes = (marker: string) => `${reachFs(marker)}
module.exports = class Notes {
  analysis() {}
};
`;

/** Writes the project into `dir` (created; must not hold a project yet). */
export function writeHostileProject(dir: string): HostileProject {
  fs.cpSync(path.join(root, 'samples/sensors'), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  cfg.extensions = ['./ext.mjs'];
  cfg.processing.transformation.push('rpm_twice: twice(rotation_speed)');
  cfg.processing.aggregations.rule.push('max(rpm_twice)');
  cfg.analysis.rule.push({ module: './Notes.js', name: 'Notes', options: {} });
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
  const extMarker = path.join(dir, 'ext-loaded.marker');
  const notesMarker = path.join(dir, 'notes-loaded.marker');
  fs.writeFileSync(path.join(dir, 'ext.mjs'), ext(extMarker));
  fs.writeFileSync(path.join(dir, 'Notes.js'), notes(notesMarker));
  return { dir, extMarker, notesMarker, ran: () => fs.existsSync(extMarker) || fs.existsSync(notesMarker) };
}
