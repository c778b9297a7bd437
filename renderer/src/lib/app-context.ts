/** The AppState of this page, through Svelte context: set by App.svelte, read by every component. */
import { createContext } from 'svelte';
import type { AppState } from '../state/app';
import type { monaco } from './monaco';

export type WorkbenchApp = AppState<monaco.editor.ITextModel>;

export const [getApp, setApp] = createContext<WorkbenchApp>();
