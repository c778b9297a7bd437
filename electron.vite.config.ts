/**
 * Builds the workbench into out/:
 *   out/main/index.js       Electron main process (main/index.ts)
 *   out/main/api-host.js    its engine side, a plain Node child process (main/api-host.ts)
 *   out/main/web-main.js    web mode under plain Node (main/web-main.ts; imports no Electron)
 *   out/preload/preload.cjs preload (sandboxed, so CommonJS)
 *   out/renderer/           the Svelte + Monaco page, shared by both modes
 */
import path from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Electron's package (an optionalDependency) may be absent: tell electron-vite
// the version instead of letting it read node_modules/electron/package.json.
process.env.ELECTRON_MAJOR_VER ||= '41';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: path.join(root, 'main/index.ts'),
          'api-host': path.join(root, 'main/api-host.ts'),
          'web-main': path.join(root, 'main/web-main.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { preload: path.join(root, 'main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: path.join(root, 'renderer'),
    base: './',
    plugins: [svelte()],
    resolve: {
      alias: { 'monaco-esm': path.join(root, 'node_modules/monaco-editor/esm/vs') },
    },
    worker: { format: 'es' },
    build: {
      outDir: path.join(root, 'out/renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 8000,
      minify: process.env.TS_ENGINE_NO_MINIFY !== '1',
      rolldownOptions: { input: path.join(root, 'renderer/index.html') },
    },
  },
});
