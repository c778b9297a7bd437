// Property tests are deterministic by default: one fixed seed, printed by fast-check on failure
// with the counterexample and its path. `FC_SEED=<n>` replays a reported seed; `FC_EXPLORE=1`
// (scripts/explore-properties.mjs) draws a fresh seed per run to look for new counterexamples.
import fc from 'fast-check';

const FIXED_SEED = 20261205;

const explore = process.env.FC_EXPLORE === '1';
const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : explore ? (Date.now() ^ (process.pid << 8)) | 0 : FIXED_SEED;
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);
fc.configureGlobal({ seed, ...(explore ? { numRuns: 2000 } : {}) });
