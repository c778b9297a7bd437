// `npm start`: the Electron workbench where Electron's binary is installed, web mode otherwise.
// `npm run web` (`--web`): always web mode. Other arguments go to the workbench:
//   --project <dir>   open this project folder       --sample <name>   open a copy of samples/<name>
//   --trust           trust the --project folder (otherwise it opens in restricted mode until trusted)
//   --port <n>        web mode: listen port (default: a free one)
// Builds out/ (and the engine's dist/) first when sources are newer than the build.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const webOnly = argv.includes('--web');
const passArgs = argv.filter((a) => a !== '--web');

function newest(dir) {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function electronBinary() {
  try {
    const bin = createRequire(path.join(root, 'package.json'))('electron');
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const builtAt = Math.min(
  fs.existsSync(path.join(root, 'out/main/web-main.js')) ? fs.statSync(path.join(root, 'out/main/web-main.js')).mtimeMs : 0,
  fs.existsSync(path.join(root, 'out/renderer/index.html')) ? fs.statSync(path.join(root, 'out/renderer/index.html')).mtimeMs : 0,
);
const sourcesAt = Math.max(newest(path.join(root, 'main')), newest(path.join(root, 'renderer')), newest(path.join(root, 'engine')));
const electronVite = path.join(root, 'node_modules/electron-vite/bin/electron-vite.js');

const electron = webOnly ? undefined : electronBinary();
if (electron) {
  // electron-vite preview builds main, preload and renderer, then opens the window
  run(process.execPath, [path.join(root, 'scripts/build-engine.mjs')]);
  const child = spawn(process.execPath, [electronVite, 'preview', ...(passArgs.length ? ['--', ...passArgs] : [])], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!webOnly) console.log('ts-engine: Electron is not installed on this machine (its binary could not be downloaded); starting the workbench in web mode.');
  if (builtAt < sourcesAt || !fs.existsSync(path.join(root, 'dist/cli.mjs'))) {
    console.log('ts-engine: building the workbench…');
    run(process.execPath, [path.join(root, 'scripts/build-engine.mjs')]);
    run(process.execPath, [electronVite, 'build', '--logLevel', 'warn']);
  }
  const args = [...passArgs];
  if (!args.some((a) => a.startsWith('--project') || a.startsWith('--sample'))) args.push('--sample', 'sensors');
  const child = spawn(process.execPath, [path.join(root, 'out/main/web-main.js'), ...args], { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
