import { defineConfig } from 'tsup';
import { productionBundle } from '../../tsup.base';

// The worker process, and the backup and restore commands people run in its image.
export default defineConfig(productionBundle('src/main.ts', 'src/backup.ts', 'src/restore.ts'));
