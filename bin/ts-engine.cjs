#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { CLI_BUNDLE, launchCli } = require('./launch-cli.cjs');

if (existsSync(CLI_BUNDLE)) launchCli();
else {
  process.stderr.write(`error: ${CLI_BUNDLE} is missing: build the engine first (npm run build:engine)\n`);
  process.exitCode = 1;
}
