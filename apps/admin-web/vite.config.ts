import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Routes of the API that the dev server (`npx vite --config apps/admin-web/vite.config.ts`) forwards. */
const apiPrefixes = ['/people', '/photos', '/faces', '/merges', '/auth', '/clustering', '/queue', '/health'];
const apiTarget = process.env.FACECLOUD_API ?? 'http://127.0.0.1:3000';

/** The admin UI, built into dist/admin-web and served by the API at /admin. */
export default defineConfig({
  root: here,
  base: '/admin/',
  plugins: [react()],
  // The API's contract (zod schemas and their types), shared with the server; same alias as tsconfig.json.
  resolve: { alias: { '@facecloud/contract': fileURLToPath(new URL('../../libs/contract/src/index.ts', import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/admin-web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: Object.fromEntries(apiPrefixes.map((prefix) => [prefix, apiTarget])),
  },
});
