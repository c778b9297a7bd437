/** How a user analysis module provides its class (file and class share a name, as in the reference). */
import path from 'node:path';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function expectedExportName(file: string, exportName?: string): string {
  return exportName ?? path.basename(file).replace(/\.[^.]+$/, '');
}

/** The class a user analysis module provides: `<export>` / file base name, `default`, or the only entry of `analyses`. */
export function pickAnalysisClass(
  mod: Record<string, unknown>,
  file: string,
  exportName?: string,
): (new (o: unknown, n: string) => { analysis: unknown }) | undefined {
  const isClass = (c: unknown) => typeof c === 'function' && typeof (c as { prototype?: { analysis?: unknown } }).prototype?.analysis === 'function';
  const name = expectedExportName(file, exportName);
  const analyses = isObj(mod.analyses) ? mod.analyses : {};
  const candidates = [mod[name], analyses[name], mod.default, Object.values(analyses).length === 1 ? Object.values(analyses)[0] : undefined];
  return candidates.find(isClass) as never;
}
