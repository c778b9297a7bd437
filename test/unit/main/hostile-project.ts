/**
 * A project someone sent you: a copy of the sensors sample whose config names an extension module
 * (`ext.mjs`, used by a transformation and an aggregation) and an analysis module (`Notes.js`, the
 * issue's example). Both write a marker file next to themselves when they are loaded, so a test can
 * tell whether anything from the folder ran. No vitest import: the e2e tests use it too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface HostileProject {
  dir: string;
  /** written when ext.mjs is imported */
  extMarker: string;
  /** written when Notes.js is imported */
  notesMarker: string;
  /** true when either marker exists */
  ran(): boolean;
}

const EXT = `import fs from 'node:fs';
fs.writeFileSync(new URL('./ext-loaded.marker', import.meta.url), String(process.pid));
export const transformFunctions = [
  { name: 'twice', arity: 1, params: ['DoubleType'], returns: 'DoubleType', apply: (x) => x * 2, doc: 'twice(x): 2·x' },
];
`;

// CommonJS, as a .js file without package.json is: top-level code runs on import
const NOTES = `require('node:fs').writeFileSync(require('node:path').join(__dirname, 'notes-loaded.marker'), String(process.pid));
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
  fs.writeFileSync(path.join(dir, 'ext.mjs'), EXT);
  fs.writeFileSync(path.join(dir, 'Notes.js'), NOTES);
  const extMarker = path.join(dir, 'ext-loaded.marker');
  const notesMarker = path.join(dir, 'notes-loaded.marker');
  return { dir, extMarker, notesMarker, ran: () => fs.existsSync(extMarker) || fs.existsSync(notesMarker) };
}
