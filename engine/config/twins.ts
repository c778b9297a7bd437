/** Python twins of user modules, named in the config for `export --target flink`. */
import type { ParseEnv } from '../options/spec.js';
import type { ConfigIO } from './model.js';

/** A Python twin of a module (`./twin.py[#Class]`), for the Flink export: absolute, checked to exist. */
export function pythonTwin(rel: string, p: string, env: ParseEnv, io: ConfigIO): string {
  const [file, cls] = rel.split('#');
  const abs = env.resolve(file!);
  if (!/\.py$/.test(abs)) env.sink.report(p, 'ConfigError', `${p} must name a Python file (.py), got ${JSON.stringify(rel)}`);
  else if (!io.exists(abs)) env.sink.report(p, 'ImportError', `Python twin ${abs} does not exist`);
  return cls === undefined ? abs : `${abs}#${cls}`;
}
