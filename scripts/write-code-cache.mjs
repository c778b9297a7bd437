// Runs the CLI on its arguments like bin/ts-engine.cjs, then writes the code cache of what that run compiled
// (called by scripts/build-engine.mjs).
import launcher from '../bin/launch-cli.cjs';

launcher.launchCli({ writeCache: true });
