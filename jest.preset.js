// Shared Jest settings: TypeScript through @swc/jest, Node environment, and workspace packages
// resolved to their sources so a test never needs a build first.
const path = require('node:path');

/** @param {string} dir the package directory (its jest.config.js passes __dirname) */
module.exports = (dir) => ({
  displayName: path.basename(dir),
  rootDir: dir,
  // Node's environment, sharing the main realm's typed arrays (see the file for why).
  testEnvironment: path.join(__dirname, 'tools', 'jest-node-environment.js'),
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@saestream/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  },
  testTimeout: 60000,
  reporters: ['default', path.join(__dirname, 'tools', 'jest-summary-reporter.js')],
});
