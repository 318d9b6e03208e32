import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

// A Redis Cluster of 3 masters and 3 replicas on loopback, for development and the
// cluster variant of the tests (`npm run redis-cluster`, `npm run test:cluster`). Nothing
// is persisted (no RDB, no AOF): a stopped cluster is gone.

const run = promisify(execFile);
const MASTERS = 3;
const REPLICAS_PER_MASTER = 1;
const READY_TIMEOUT_MS = 30_000;
// Where the CLI remembers the last cluster it started, so `--stop` needs no argument.
export const LAST_CLUSTER_FILE = path.join(os.tmpdir(), 'rgs-redis-cluster.last');

export interface LocalRedisCluster {
  /** Its folder: nodes' config, logs and pid files. */
  dir: string;
  ports: number[];
  /** `REDIS_CLUSTER_NODES` for the product: every node, `127.0.0.1:<port>,…`. */
  nodes: string;
}

/** A port the OS says is free now (another process may still take it before redis-server does). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function clusterState(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']);
    return /cluster_state:(\w+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Whether the node on `port` is a master or a replica whose link to its master is up. A
 * replica that never finished its first sync refuses to fail over ("disconnected from master
 * for longer than allowed"), so a cluster whose replicas are still syncing is not ready.
 */
async function replicationSettled(port: number, mustBeReplica: boolean): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'info', 'replication']);
    return (!mustBeReplica && /role:master/.test(stdout)) || /master_link_status:up/.test(stdout);
  } catch {
    return false;
  }
}

/**
 * Waits until every node says `cluster_state:ok` and every replica is in sync with its
 * master; the nodes in `replicas` (a killed master started again) must be replicas by then.
 */
export async function waitForClusterReady(ports: readonly number[], timeoutMs = READY_TIMEOUT_MS, replicas: readonly number[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ports.map(clusterState));
    const settled = await Promise.all(ports.map((port) => replicationSettled(port, replicas.includes(port))));
    if (states.every((state) => state === 'ok') && settled.every(Boolean)) return;
    if (Date.now() > deadline) {
      const report = ports.map((port, i) => `${port}=${states[i] ?? 'no answer'}${settled[i] ? '' : ' (replica not in sync)'}`);
      throw new Error(`redis cluster not ready after ${timeoutMs} ms: ${report.join(' ')}`);
    }
    await sleep(200);
  }
}

/**
 * Starts (or starts again) the cluster node on `port` in `dir`: a node that was killed
 * comes back with its nodes-<port>.conf, so it rejoins its cluster (as a replica of
 * whichever node took over its slots) with an empty dataset, which it then syncs.
 */
export async function startRedisClusterNode(dir: string, port: number): Promise<void> {
  await run('redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--cluster-enabled', 'yes',
    '--cluster-config-file', `nodes-${port}.conf`,
    // Failover within seconds when a master dies (the chaos run kills one).
    '--cluster-node-timeout', '3000',
    // A replica's first full sync starts at once instead of waiting 5 s for other replicas.
    '--repl-diskless-sync-delay', '0',
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'yes',
    '--pidfile', path.join(dir, `redis-${port}.pid`),
    '--logfile', path.join(dir, `redis-${port}.log`),
  ]);
}

/** SIGKILLs the cluster node on `port` in `dir` (by its pid file), as a crash would end it. */
export async function killRedisClusterNode(dir: string, port: number): Promise<void> {
  const pidFile = path.join(dir, `redis-${port}.pid`);
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  process.kill(pid, 'SIGKILL');
  // A dead server's pid may go to another process: stopLocalRedisCluster must not kill that.
  await rm(pidFile, { force: true });
}

/** Starts the servers, joins them into one cluster and waits until it is ready (waitForClusterReady). */
export async function startLocalRedisCluster(): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rgs-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < MASTERS * (1 + REPLICAS_PER_MASTER)) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const cluster: LocalRedisCluster = { dir, ports, nodes: ports.map((port) => `127.0.0.1:${port}`).join(',') };
  try {
    for (const port of ports) await startRedisClusterNode(dir, port);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(REPLICAS_PER_MASTER), '--cluster-yes']);
    await waitForClusterReady(ports);
    return cluster;
  } catch (error) {
    await stopLocalRedisCluster(dir);
    throw error;
  }
}

/** Shuts down every server of the cluster in `dir` (by its pid file) and deletes the folder. */
export async function stopLocalRedisCluster(dir: string): Promise<void> {
  const pidFiles = (await readdir(dir).catch(() => [] as string[])).filter((name) => /^redis-\d+\.pid$/.test(name));
  for (const name of pidFiles) {
    const pid = Number((await readFile(path.join(dir, name), 'utf8')).trim());
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await rm(dir, { recursive: true, force: true });
}

/** Remembers `cluster` as the last one started (for `npm run redis-cluster -- --stop`). */
export async function rememberLastCluster(cluster: LocalRedisCluster): Promise<void> {
  await writeFile(LAST_CLUSTER_FILE, cluster.dir);
}
