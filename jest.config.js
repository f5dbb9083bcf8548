/** Tests are TypeScript, transpiled per file (type checking is `npm run build`'s job, which `npm test` runs first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // `*.replica.test.ts` need a primary and replica pair (npm run replica -- start): CI names it in TEST_REPLICA_URLS,
  // and the tests then fail, never skip, if the pair does not answer.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.TEST_REPLICA_URLS ? [] : ['\\.replica\\.test\\.ts$'])],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  // Two test files at a time, whatever the core count (jest's default is one fewer than the cores: one worker on
  // CI's two). The tests mostly wait on servers, databases and child processes: the SQLite suite took 255 s with
  // two workers against 474 s with one on the same two-core machine. Each worker has databases of its own.
  maxWorkers: 2,
};
