/**
 * Monaco set-up: workers (Vite `?worker` imports), themes following the
 * system, JSON Schemas for the config and data-structure files, completion
 * and hover inside transformation and rule strings, markers from
 * `ts-engine check` diagnostics, and the TypeScript service for user modules
 * with the module contract (docs/workbench.md#writing-modules).
 */
import * as monaco from './monaco-lean';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';
import TsWorker from 'monaco-esm/languages/features/typescript/ts.worker.js?worker';
import moduleContract from './module-contract.d.ts?raw';
import type { Diagnostic, FunctionCatalog, PipelineSummary } from '../../../main/api/contract';
import type { EditorHost } from '../state/deps';
import { isRulePath, isTransformationPath, jsonPlaceAt } from './jsonpath';

export { monaco };

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    if (label === 'json') return new JsonWorker();
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    return new EditorWorker();
  },
};

// ---- user modules: the TypeScript service knows the module contract ----------------------------

/** Where the contract lives for the service: `import type { HistoryAccessor } from 'ts-engine'` resolves to it. */
const CONTRACT_URI = 'file:///node_modules/@types/ts-engine/index.d.ts';
for (const defaults of [monaco.typescriptDefaults, monaco.javascriptDefaults]) {
  defaults.setCompilerOptions({
    target: monaco.ScriptTarget.ES2020,
    module: monaco.ModuleKind.ESNext,
    moduleResolution: monaco.ModuleResolutionKind.NodeJs,
    // modules run sandboxed: the language, no DOM and no Node
    lib: ['es2022'],
    strict: true,
    allowJs: true,
    checkJs: true,
    allowNonTsExtensions: true,
    noEmit: true,
  });
  defaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
  defaults.addExtraLib(moduleContract, CONTRACT_URI);
  defaults.setEagerModelSync(true);
}

export const MARKER_OWNER = 'ts-engine';

/** What completion needs, kept up to date by the workbench state. */
export interface CompletionContext {
  configUri: string | null;
  summary: PipelineSummary | undefined;
  functions: FunctionCatalog | undefined;
}

export const completionContext: CompletionContext = { configUri: null, summary: undefined, functions: undefined };

export function configureSchemas(configUri: string, dataStructureUri: string | null, schemas: { config: object; dataStructure: object }): void {
  monaco.jsonDefaults.setDiagnosticsOptions({
    validate: true,
    allowComments: false,
    enableSchemaRequest: false,
    schemas: [
      { uri: 'https://ts-engine.local/config.schema.json', fileMatch: [configUri], schema: schemas.config },
      ...(dataStructureUri
        ? [{ uri: 'https://ts-engine.local/data-structure.schema.json', fileMatch: [dataStructureUri], schema: schemas.dataStructure }]
        : []),
    ],
  });
  completionContext.configUri = configUri;
}

export function languageOf(path: string): string {
  if (path.endsWith('.json')) return 'json';
  if (/\.(m?js|cjs)$/.test(path)) return 'javascript';
  if (/\.(m?ts|cts)$/.test(path)) return 'typescript';
  return 'plaintext';
}

export function applyDiagnostics(model: monaco.editor.ITextModel, diags: Diagnostic[]): void {
  monaco.editor.setModelMarkers(
    model,
    MARKER_OWNER,
    diags.map((d) => ({
      severity: d.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
      message: d.severity === 'error' ? `${d.errorClass}: ${d.message}` : d.message,
      source: 'ts-engine check',
      startLineNumber: d.line,
      startColumn: d.column,
      endLineNumber: Math.max(d.endLine, d.line),
      endColumn: d.endLine > d.line || d.endColumn > d.column ? d.endColumn : d.column + 1,
    })),
  );
}

/** The workbench's documents as Monaco models (renderer/src/state/deps.ts). */
export const monacoEditorHost: EditorHost<monaco.editor.ITextModel> = {
  createModel: (file, text) => monaco.editor.createModel(text, languageOf(file.path), fileUri(file.dir, file.path)),
  showDiagnostics: applyDiagnostics,
  configureSchemas(dir, configFile, dataStructureFile, schemas) {
    configureSchemas(fileUri(dir, configFile).toString(), dataStructureFile ? fileUri(dir, dataStructureFile).toString() : null, schemas);
  },
  setCompletion(ctx) {
    if (ctx.functions) completionContext.functions = ctx.functions;
    if (ctx.summary) completionContext.summary = ctx.summary;
  },
};

function fileUri(dir: string, path: string): monaco.Uri {
  return monaco.Uri.file(`${dir}/${path}`);
}

// ---- themes: follow the system ------------------------------------------------

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
export const isDark = () => darkQuery.matches;
export function followSystemTheme(onChange?: (dark: boolean) => void): void {
  const apply = () => {
    monaco.editor.setTheme(darkQuery.matches ? 'vs-dark' : 'vs');
    document.documentElement.dataset.theme = darkQuery.matches ? 'dark' : 'light';
    onChange?.(darkQuery.matches);
  };
  darkQuery.addEventListener('change', apply);
  apply();
}

// ---- completion and hover inside transformation and rule strings --------------------

const isConfigModel = (m: monaco.editor.ITextModel) => completionContext.configUri !== null && m.uri.toString() === completionContext.configUri;

function stringPlace(model: monaco.editor.ITextModel, position: monaco.Position) {
  const place = jsonPlaceAt(model.getValue(), model.getOffsetAt(position));
  if (!place.inString) return undefined;
  if (isTransformationPath(place.path)) return { ...place, kind: 'transformation' as const };
  if (isRulePath(place.path)) return { ...place, kind: 'rule' as const };
  return undefined;
}

/** The identifier around a position (JSON's own word pattern would take "gt(rotation_speed" as one word). */
function identAt(model: monaco.editor.ITextModel, position: monaco.Position): { word: string; startColumn: number; endColumn: number } {
  const line = model.getLineContent(position.lineNumber);
  let s = position.column - 1;
  let e = s;
  while (s > 0 && /\w/.test(line[s - 1]!)) s--;
  while (e < line.length && /\w/.test(line[e]!)) e++;
  return { word: line.slice(s, e), startColumn: s + 1, endColumn: e + 1 };
}

monaco.languages.registerCompletionItemProvider('json', {
  triggerCharacters: ['(', ',', ' ', ':'],
  provideCompletionItems(model, position) {
    if (!isConfigModel(model)) return { suggestions: [] };
    const place = stringPlace(model, position);
    if (!place) return { suggestions: [] };
    const word = identAt(model, position);
    const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, position.column);
    const { summary, functions } = completionContext;
    const K = monaco.languages.CompletionItemKind;
    const suggestions: monaco.languages.CompletionItem[] = [];
    if (place.kind === 'transformation') {
      const hasName = place.before.includes(':');
      for (const f of summary?.inputFields ?? []) {
        suggestions.push({ label: f.name, kind: K.Field, detail: `${f.type} (column ${f.index})`, insertText: f.name, range, sortText: `0${f.name}` });
      }
      if (hasName) {
        for (const fn of functions?.transform ?? []) {
          suggestions.push({
            label: fn.name,
            kind: K.Function,
            detail: fn.signature,
            documentation: { value: fn.doc },
            insertText: fn.arity === 0 ? `${fn.name}()` : `${fn.name}($1)`,
            insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
            range,
            sortText: `1${fn.name}`,
          });
        }
      }
    } else {
      const inParens = /\(([^)]*)$/.test(place.before);
      if (inParens || /^\s*key\s*:/.test(place.before)) {
        for (const c of summary?.transformed ?? []) {
          suggestions.push({ label: c.name, kind: K.Field, detail: c.type, insertText: c.name, range, sortText: `0${c.name}` });
        }
      } else {
        for (const a of functions?.aggregate ?? []) {
          suggestions.push({
            label: a.name,
            kind: K.Function,
            detail: `${a.name}(column) — accepts ${a.accepts.join(', ')}`,
            documentation: { value: a.doc },
            insertText: `${a.name}($1)`,
            insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
            range,
          });
        }
        suggestions.push({
          label: 'key',
          kind: K.Keyword,
          detail: 'key: (col1, col2) — the grouping key of reduceByKey',
          insertText: 'key: ($1)',
          insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
          range,
        });
      }
    }
    return { suggestions };
  },
});

monaco.languages.registerHoverProvider('json', {
  provideHover(model, position) {
    if (!isConfigModel(model)) return null;
    const place = stringPlace(model, position);
    if (!place) return null;
    const word = identAt(model, position);
    if (!word.word) return null;
    const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
    const { summary, functions } = completionContext;
    const fn = functions?.transform.find((f) => f.name === word.word);
    const agg = functions?.aggregate.find((f) => f.name === word.word);
    const field = summary?.inputFields.find((f) => f.name === word.word);
    const col = summary?.transformed.find((f) => f.name === word.word);
    const contents: monaco.IMarkdownString[] = [];
    if (fn && place.kind === 'transformation') contents.push({ value: '`' + fn.signature + '`' }, { value: fn.doc });
    else if (agg && place.kind === 'rule') contents.push({ value: `\`${agg.name}(column)\` — accepts ${agg.accepts.join(', ')}` }, { value: agg.doc });
    else if (field && place.kind === 'transformation') contents.push({ value: `input field \`${field.name}\`: ${field.type} (column ${field.index})` });
    else if (col && place.kind === 'rule') contents.push({ value: `transformed column \`${col.name}\`: ${col.type}` });
    return contents.length > 0 ? { range, contents } : null;
  },
});
