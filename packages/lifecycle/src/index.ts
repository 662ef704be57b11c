// How every Shipshape process starts, waits for and stops another: the API and the worker stop
// on signals, and the development scripts (pnpm dev, the end-to-end server, the bench) start
// TypeScript entry files, wait until they answer, and stop them. One way, written once.
export { stopOnSignals, type LifecycleLogger, type StopOptions } from './stop-on-signals';
export { waitUntilReady } from './wait-until-ready';
export { spawnTs, stopAll, type SpawnTsOptions, type TsProcess } from './spawn-ts';
export { freePort } from './free-port';
