// Non-blocking exploration of the property tests with fresh random seeds (not part of `npm test`,
// which uses one fixed seed). A failure prints its seed: replay it with `FC_SEED=<seed> npx vitest run <file>`.
//   node scripts/explore-properties.mjs [rounds]
import { spawnSync } from 'node:child_process';

const rounds = Number(process.argv[2] ?? 5);
const files = ['test/unit/config', 'test/unit/expr', 'test/unit/values', 'test/unit/aggregate', 'test/unit/pipeline'];
let failed = 0;
for (let r = 1; r <= rounds; r++) {
  console.log(`explore-properties: round ${r}/${rounds}`);
  const res = spawnSync('npx', ['vitest', 'run', '--project', 'unit', ...files], { stdio: 'inherit', env: { ...process.env, FC_EXPLORE: '1' } });
  if (res.status !== 0) failed++;
}
console.log(`explore-properties: ${failed} of ${rounds} rounds found a counterexample`);
process.exit(failed > 0 ? 1 : 0);
