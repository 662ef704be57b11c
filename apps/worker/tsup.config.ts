// `pnpm build`: a self-contained ESM bundle for production, so an image needs only dist/ plus
// the few packages that cannot be bundled: native addons (sharp, argon2) and pino, whose
// transports (pino-pretty in local) run in worker threads that load files from its folder.
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node24',
  noExternal: [/^(?!(sharp|@node-rs\/argon2|pino|pino-pretty|pg-native)(\/|$))/],
  external: ['sharp', '@node-rs/argon2', 'pino', 'pino-pretty', 'pg-native'],
  // Bundled CommonJS code calls require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  sourcemap: true,
  clean: true,
});
