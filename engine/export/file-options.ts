/**
 * The files a config's components write or read (sqlite stores, output files), found through each
 * component's option spec (components/registry.ts), so a new component's file is placed by every
 * export without a list to keep in step. Secrets have their own rule: options/secrets.ts.
 */
import { alertSinkDescriptor, historyDescriptor, outputDescriptor, sourceDescriptor } from '../components/registry.js';
import { type Spec, specPaths } from '../options/spec.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One file option: its JSON path in the config, and the object and key holding it. */
export interface OptionSite {
  path: string;
  holder: Obj;
  key: string;
}

const flagged = (d: { options: Spec<unknown> } | undefined, flag: 'file'): string[] => (d ? specPaths(d.options, flag) : []);

/**
 * Every string option flagged `file` in a config (raw JSON, ts-engine or reference spelling):
 * input, outputs (an array or one object), analysis history and alert sinks.
 */
export function fileOptions(cfg: Obj): OptionSite[] {
  const flag = 'file';
  const sites: OptionSite[] = [];
  const collect = (options: unknown, base: string, rels: string[]) => {
    for (const rel of rels) {
      const keys = rel.split('.');
      let cur: unknown = options;
      for (const k of keys.slice(0, -1)) cur = isObj(cur) ? cur[k] : undefined;
      const key = keys[keys.length - 1]!;
      if (isObj(cur) && typeof cur[key] === 'string') sites.push({ path: `${base}.${rel}`, holder: cur, key });
    }
  };
  const input = cfg.input;
  if (isObj(input) && typeof input.input_type === 'string') collect(input.options, 'input.options', flagged(sourceDescriptor(input.input_type), flag));
  const outputs = cfg.outputs;
  const list = Array.isArray(outputs) ? outputs : isObj(outputs) ? [outputs] : [];
  list.forEach((o, i) => {
    const p = Array.isArray(outputs) ? `outputs[${i}]` : 'outputs';
    if (isObj(o) && typeof o.method === 'string') collect(o.options, `${p}.options`, flagged(outputDescriptor(o.method), flag));
  });
  const analysis = cfg.analysis;
  if (isObj(analysis)) {
    const h = analysis.historical;
    const hd = isObj(h) && typeof h.method === 'string' ? historyDescriptor(h.method) : undefined;
    if (isObj(h) && hd) for (const key of new Set([hd.optionsKey, 'options'])) collect(h[key], `analysis.historical.${key}`, flagged(hd, flag));
    const alerts = Array.isArray(analysis.alert) ? analysis.alert : [analysis.alert];
    alerts.forEach((a, i) => {
      const ad = isObj(a) && typeof a.method === 'string' ? alertSinkDescriptor(a.method) : undefined;
      if (!isObj(a) || !ad) return;
      const p = Array.isArray(analysis.alert) ? `analysis.alert[${i}]` : 'analysis.alert';
      if (ad.settings) collect(a, p, flagged(ad, flag));
      else for (const key of ['option', 'options']) collect(a[key], `${p}.${key}`, flagged(ad, flag));
    });
  }
  return sites;
}
