import type { PersistedQueryManifestConfig } from '@apollo/generate-persisted-query-manifest';

/**
 * The trusted-document list is made by running every operation in src/ through a real Apollo Client (with its
 * cache's transforms, which add __typename), so each id is the SHA-256 of the document the browser sends.
 */
const config: PersistedQueryManifestConfig = {
  documents: ['src/**/*.{ts,tsx}'],
  output: 'persisted-query-manifest.json',
};

export default config;
