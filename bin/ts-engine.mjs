#!/usr/bin/env node
// The CLI's first entry point, kept for the service units and scripts that name it: bin/ts-engine.cjs starts sooner.
import './ts-engine.cjs';
