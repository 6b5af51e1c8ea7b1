/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // jose, file-type (with the packages it imports) and auto-bind (which GraphQL Code Generator's
  // plugins use) ship only as ES modules: let swc turn them into CommonJS like our own code.
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!(jose|file-type|strtok3|token-types|uint8array-extras|@tokenizer|@borewit|auto-bind)/)'],
  // file-type's exports offer Node only `import` and `module-sync`, conditions jest does not use.
  moduleNameMapper: { '^file-type$': '<rootDir>/node_modules/file-type/index.js' },
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  maxWorkers: 2,
  // A worker told to end leaves its event loop at once (no test leaves a handle: after each file's
  // teardown a worker holds only jest's own pipes), but the process's teardown after that took
  // 180-630 ms for workers that ran three small files on a loaded 2-core machine: over jest's default
  // of 500 ms, after which it kills the worker and blames "tests leaking". A handle that does keep a
  // worker alive is still reported, after this long.
  workerGracefulExitTimeout: 5000,
  testTimeout: 30000,
};
