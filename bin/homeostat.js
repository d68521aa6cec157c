#!/usr/bin/env node
'use strict';
// The CLI runs the TypeScript sources directly (no build step): tsx compiles on load.
require('tsx/cjs');
require('../cli/main.ts').main(process.argv).catch((err) => {
  process.stderr.write(`homeostat: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = process.exitCode || 1;
});
