/** How a user analysis module provides its class (file and class share a name, as in the reference). */
import path from 'node:path';
import type { ModuleShape } from '../sandbox/protocol.js';

export function expectedExportName(file: string, exportName?: string): string {
  return exportName ?? path.basename(file).replace(/\.[^.]+$/, '');
}

/**
 * The class a user analysis module provides, from its shape (which exports are
 * analysis classes): `<export>` / file base name, the same name in `analyses`,
 * `default`, or the only entry of `analyses`.
 */
export function pickAnalysisClass(
  shape: Pick<ModuleShape, 'exports' | 'analyses'>,
  file: string,
  exportName?: string,
): { from: 'export' | 'analyses'; exportName: string } | undefined {
  const name = expectedExportName(file, exportName);
  const only = Object.keys(shape.analyses);
  const candidates: { from: 'export' | 'analyses'; exportName: string; ok: boolean | undefined }[] = [
    { from: 'export', exportName: name, ok: shape.exports[name] },
    { from: 'analyses', exportName: name, ok: shape.analyses[name] },
    { from: 'export', exportName: 'default', ok: shape.exports.default },
    { from: 'analyses', exportName: only[0] ?? '', ok: only.length === 1 ? shape.analyses[only[0]!] : false },
  ];
  const c = candidates.find((x) => x.ok === true);
  return c ? { from: c.from, exportName: c.exportName } : undefined;
}
