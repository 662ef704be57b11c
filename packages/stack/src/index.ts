// The one way to start Shipshape on this machine (startStack), and what the tools around a
// running stack share: the bundles it runs, Caddy with the repository's Caddyfile, and a raw
// HTTP client for what crosses the wire.
export { startStack, type Stack, type StackOptions, type StartingStack } from './stack';
export { type AppProcess, type Code, type Exit } from './processes';
export { bundles, buildBundles, migrateWithBundle, root } from './bundles';
export { caddyFile, hasCaddy, startCaddy, type CaddyOptions, type RunningCaddy } from './caddy';
export { firstPageWeight, type PageWeight } from './page-weight';
