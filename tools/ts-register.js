// Lets plain `node` run the workspace's TypeScript sources: `node -r ./tools/ts-register.js file.ts`.
// Used by benchmarks and by tests that start child processes, so neither needs a build first.
// Each .ts file is transpiled by @swc/core (no type check: `npm test` type-checks separately),
// and `@saestream/<pkg>` resolves to packages/<pkg>/src/index.ts.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');

const packagesDir = path.join(__dirname, '..', 'packages');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const m = /^@saestream\/([a-z-]+)$/.exec(request);
  if (m) return path.join(packagesDir, m[1], 'src', 'index.ts');
  return resolve.call(this, request, parent, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
