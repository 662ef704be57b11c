import { defineConfig } from 'tsup';
import { productionBundle } from '../../tsup.base';

export default defineConfig(productionBundle('src/main.ts'));
