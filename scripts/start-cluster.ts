import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import httpProxy from 'http-proxy';
import { env } from '../src/config/env.ts';
import { nodeOptionsWithHeap } from '../src/config/node-heap.ts';
import { openDb } from '../src/shared/db.ts';
import { ensureDatabase, migrate } from '../src/shared/migrate.ts';
import { appDatabaseUrl, appRoleOf } from '../src/shared/app-role.ts';
import { logger } from '../src/shared/logger.ts';
import { createServices } from '../src/services.ts';
import { DEMO_OPERATORS, seedDemoOperators } from '../src/modules/operators/demo-operators.ts';
import { seedDemoData } from '../src/demo/demo-data.ts';
import { DEMO_REFUSED_CREDIT } from '../src/demo/demo-ids.ts';
import { startDemoWebhookReceiver } from './demo-webhook-receiver.ts';

// `npm start`: the local cluster a newcomer talks to — database, migrations, demo
// operators and the demo records the API document's examples name (src/demo), the wallet
// mock, a webhook receiver for the demo operator, two RGS nodes and a round-robin entry
// point on one URL,
// as production has behind its load balancer. Each node's admin listener (admin API,
// Bull Board, /metrics; SPEC §2) is on its port + 1000, loopback only, never behind the
// entry point. Ctrl-C stops everything cleanly.

const ENTRY_PORT = Number(process.env.ENTRY_PORT ?? 3000);
const NODE_PORTS = [ENTRY_PORT + 1, ENTRY_PORT + 2];
const ADMIN_PORTS = NODE_PORTS.map((port) => port + 1000);
const WALLET_PORT = Number(process.env.WALLET_PORT ?? 4000);
const walletUrl = `http://127.0.0.1:${WALLET_PORT}`;

await ensureDatabase(env.DATABASE_URL);
// Also creates the application role the nodes connect as (they derive its URL from DATABASE_URL).
const applied = await migrate(env.DATABASE_URL, appRoleOf(env));
console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema is up to date');
const db = await openDb(env.DATABASE_URL, 1);
await seedDemoOperators(db.orm.em.fork());
await db.end();

interface Service {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  child?: ChildProcess;
}

const services: Service[] = [
  {
    name: 'walletmock',
    args: ['walletmock/main.ts'],
    // The demo's parked credit (src/demo/demo-data.ts): the one credit this wallet never pays.
    env: { PORT: String(WALLET_PORT), WALLET_SECRET: env.WALLET_SECRET, WALLET_REFUSED_CREDITS: DEMO_REFUSED_CREDIT },
  },
  ...NODE_PORTS.map((port, index) => ({
    name: `rgs-node-${index + 1}`,
    args: ['--import', './src/telemetry/register.ts', 'src/main.ts'],
    env: {
      PORT: String(port),
      ADMIN_PORT: String(ADMIN_PORTS[index]),
      NODE_ID: `rgs-node-${index + 1}`,
      WALLET_URL: walletUrl,
      MIGRATE_ON_START: 'false',
      NODE_OPTIONS: nodeOptionsWithHeap(process.env.NODE_OPTIONS),
    },
  })),
];

let stopping = false;

function start(service: Service): void {
  const child = spawn(process.execPath, ['--import', 'tsx', ...service.args], {
    env: { ...process.env, ...service.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  service.child = child;
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${service.name} exited (${signal ?? code}); restarting in 1 s`);
    setTimeout(() => start(service), 1_000);
  });
}

/** Resolves once something answers HTTP at `url`. */
async function answering(url: string): Promise<void> {
  for (;;) {
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The wallet mock first: the demo bet is placed and debited through the product's own
// services, as the application role the nodes use, before the nodes start.
const [walletmock, ...nodes] = services;
start(walletmock!);
await answering(walletUrl);
// Any free port: the seeding points demo-casino-alpha's webhook URL at it, each start.
const webhookReceiver = await startDemoWebhookReceiver(0);
const demoDb = await openDb(appDatabaseUrl(env), 2);
const demoServices = createServices({ ...env, WALLET_URL: walletUrl }, logger, demoDb);
await seedDemoData(demoServices, { webhookUrl: webhookReceiver.url });
await demoServices.close();
console.log('demo data ready');
nodes.forEach(start);

const proxy = httpProxy.createProxyServer({ xfwd: true, proxyTimeout: 0 });
proxy.on('error', (_error, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', title: 'Bad gateway', status: 502, code: 'BAD_GATEWAY', detail: 'no node answered' }));
  } else {
    res.destroy();
  }
});
let next = 0;
const entry = http.createServer((req, res) => {
  const port = NODE_PORTS[next++ % NODE_PORTS.length];
  proxy.web(req, res, { target: `http://127.0.0.1:${port}` });
});
entry.listen(ENTRY_PORT, () => {
  console.log(`
RGS is starting:
  entry point (round-robin over both nodes)  http://127.0.0.1:${ENTRY_PORT}
  rgs-node-1                                  http://127.0.0.1:${NODE_PORTS[0]}   admin http://127.0.0.1:${ADMIN_PORTS[0]}
  rgs-node-2                                  http://127.0.0.1:${NODE_PORTS[1]}   admin http://127.0.0.1:${ADMIN_PORTS[1]}
  wallet mock                                 ${walletUrl}
  webhook receiver (demo-casino-alpha)        ${webhookReceiver.url}
  health / readiness                          http://127.0.0.1:${ENTRY_PORT}/health  /ready
  admin API, Bull Board, metrics (any node)   http://127.0.0.1:${ADMIN_PORTS[0]}/admin/operators  /admin/queues  /metrics
  API docs, "Try it out"                      http://127.0.0.1:${ENTRY_PORT}/docs   admin API: http://127.0.0.1:${ADMIN_PORTS[0]}/docs

DEMO ONLY — local keys, never use them anywhere else:
${DEMO_OPERATORS.map((demo) => `  X-Operator-Key: ${demo.apiKey}   (${demo.name})`).join('\n')}
  Authorization: Bearer ${env.ADMIN_TOKEN === 'demo-admin-token-LOCAL-ONLY' ? env.ADMIN_TOKEN : '<your ADMIN_TOKEN>'}   (admin API)

Ctrl-C stops everything.
`);
});

async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  entry.close();
  entry.closeAllConnections();
  await Promise.all(
    services.map(
      (service) =>
        new Promise<void>((resolve) => {
          const child = service.child;
          if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  webhookReceiver.server.close();
  webhookReceiver.server.closeAllConnections();
  console.log('stopped');
  process.exit(0);
}

process.on('SIGINT', () => void stopAll());
process.on('SIGTERM', () => void stopAll());
