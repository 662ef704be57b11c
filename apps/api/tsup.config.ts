import { defineConfig } from 'tsup';
import { productionBundle } from '../../tsup.base';

export default defineConfig(productionBundle('src/server.ts'));
