import { tracingEnabled } from './enabled.ts';

// Loaded with `node --import` before src/main.ts (package.json `start:node`, the test
// launcher, scripts/start-cluster.ts): instrumentations must hook http, express, pg and
// ioredis before the app first imports them.
if (tracingEnabled) await import('./sdk.ts');
