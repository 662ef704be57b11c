// `pnpm build` for the api and the worker: a self-contained ESM bundle for production, so an
// image needs only dist/ plus the few packages that cannot be bundled: native addons (sharp,
// argon2) and pino, whose transports (pino-pretty in local) run in worker threads that load
// files from its folder.
import type { Options } from 'tsup';

const unbundled = ['sharp', '@node-rs/argon2', 'pino', 'pino-pretty', 'pg-native'];

export function productionBundle(...entries: string[]): Options {
  return {
    entry: entries,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // Everything else is bundled, workspace packages (TypeScript sources) included.
    noExternal: [new RegExp(`^(?!(${unbundled.join('|')})(/|$))`)],
    external: unbundled,
    // Bundled CommonJS code calls require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    sourcemap: true,
    clean: true,
  };
}
