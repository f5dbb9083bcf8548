import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import packageJson from './package.json' with { type: 'json' };

// The client's name and version travel in apollographql-client-name/-version: the router picks this build's
// trusted-document list by them, and its metrics and budgets name the client.
export default defineConfig({
  plugins: [react()],
  define: {
    __CLIENT_NAME__: JSON.stringify(packageJson.name),
    __CLIENT_VERSION__: JSON.stringify(packageJson.version),
  },
  build: { outDir: 'dist', sourcemap: true },
});
