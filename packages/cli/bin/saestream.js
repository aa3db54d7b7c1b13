#!/usr/bin/env node
// The installed `saestream` command. The CLI is TypeScript built to dist/ by the root
// `prepare` script (tsc -b packages/tsconfig.build.json); src/cli.ts is the entry.
'use strict';
let entry;
try {
  entry = require.resolve('../dist/cli.js');
} catch {
  process.stderr.write('saestream: the CLI is not built; run `npm run build` in the repository root\n');
  process.exit(1);
}
require(entry);
