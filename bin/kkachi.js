#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript: `npm run build` produces dist/.
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('kkachi: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
cli.run();
