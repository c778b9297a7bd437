import { mount } from 'svelte';
import App from './App.svelte';
import { monacoEditorHost } from './lib/monaco';
import { platformTransport } from './lib/transports';
import { AppState } from './state/app';
import type { Scheduler, Settings } from './state/deps';
import './app.css';

const scheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as number | undefined),
};

const settings: Settings = {
  get: (key) => localStorage.getItem(key),
  set: (key, value) => localStorage.setItem(key, value),
};

const app = new AppState({ transport: platformTransport(), scheduler, settings, editor: monacoEditorHost });
mount(App, { target: document.getElementById('app')!, props: { app } });
