/**
 * The layer rules of docs/architecture.md, checked by `npm test` (`npm run check:layers`):
 * every layer imports only from the layers below it, main/ reaches the engine only through its
 * public entry, and the renderer knows the back end only by the contract's types.
 */
const LAYERS = [
  ['core', '^engine/(core/|paths\\.ts$)'],
  ['values', '^engine/values/'],
  ['options', '^engine/options/'],
  ['connectors', '^engine/connectors/'],
  ['language', '^engine/(expr|aggregate|extensions)/'],
  ['components', '^engine/components/'],
  ['config', '^engine/config/'],
  ['analysis', '^engine/analysis/'],
  ['pipeline', '^engine/pipeline/'],
  ['parallel', '^engine/parallel/'],
  ['export', '^engine/(export|targets)/'],
  ['evaluate', '^engine/evaluate/'],
  ['facade', '^engine/(index\\.ts|facade-types\\.ts|facade/)'],
  ['cli', '^engine/cli/'],
];

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `${name}-imports-upward`,
  comment: `${name} may import only from ${
    LAYERS.slice(0, i)
      .map(([n]) => n)
      .join(', ') || 'nothing of the engine'
  } (docs/architecture.md#layers)`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => p) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'modules that import each other cannot be understood or tested one at a time',
      severity: 'error',
      from: { path: '^(engine|main)/' },
      to: { circular: true },
    },
    {
      name: 'engine-knows-no-ui',
      comment: 'the engine knows nothing of Electron, the API or the renderer',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: ['^main/', '^renderer/', '^electron$'] },
    },
    {
      name: 'main-uses-the-engine-entry',
      comment: 'main/ reaches the engine only through engine/index.ts, its public entry',
      severity: 'error',
      from: { path: '^main/' },
      to: { path: '^engine/', pathNot: '^engine/index\\.ts$' },
    },
    {
      name: 'contract-is-types-only',
      comment: 'main/api/contract.ts is shared with the renderer: it may import types only',
      severity: 'error',
      from: { path: '^main/api/contract\\.ts$' },
      to: { dependencyTypesNot: ['type-only'], path: '^(engine|main)/' },
    },
    {
      name: 'renderer-knows-only-the-contract',
      comment: 'the renderer knows the back end only through the types of main/api/contract.ts',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: ['^engine/', '^main/'], pathNot: '^main/api/contract\\.ts$' },
    },
    {
      name: 'renderer-imports-contract-types-only',
      comment: 'the renderer imports the contract for its types, never code',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^main/api/contract\\.ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^dist/', '^out/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.svelte', '.mjs'] },
  },
};
