import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from '../test/support/process.ts';
import { answersHealth } from '../test/support/local-service.ts';

// The processes a chaos run starts and kills: RGS nodes and the wallet mock as
// `node --import tsx <entry>`, and a redis-server of its own. Each listens on a port
// chosen here, so a restarted process comes back where its clients expect it, and writes
// its output to a log file of its own (kept when an invariant fails: the evidence).

// Generous: on a busy 2-core machine a node's start (tsx compiling the sources) can take tens of seconds.
const STARTUP_TIMEOUT_MS = 180_000;

export interface ChaosProcess {
  name: string;
  port: number;
  url: string;
  logFile: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string>;
  /** Whether the harness asked it to stop (an exit without that is a crash). */
  stopping: boolean;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs` if it is still running). */
  stop(signal: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/** PING over a raw socket: no client library, no reconnection logic to get in the way. */
export function redisAnswersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  port: number;
  logFile: string;
  ready: (port: number) => Promise<boolean>;
  /** Called as soon as the process exists, before it is ready: whoever tears down must know it. */
  onSpawn: (proc: ChaosProcess) => void;
}

async function spawnProcess(options: SpawnOptions): Promise<ChaosProcess> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exitValue: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitValue = code ?? signal ?? 'unknown';
      resolve(exitValue);
    });
  });
  const proc: ChaosProcess = {
    name: options.name,
    port: options.port,
    url: `http://127.0.0.1:${options.port}`,
    logFile: options.logFile,
    pid: child.pid ?? -1,
    child,
    exited,
    stopping: false,
    async stop(signal, graceMs = 20_000) {
      proc.stopping = true;
      if (exitValue !== undefined) return exitValue;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  options.onSpawn(proc);

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exitValue !== undefined) throw new Error(`${options.name} exited (${exitValue}) before it was ready; see ${options.logFile}`);
    if (await options.ready(options.port)) return proc;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready within ${STARTUP_TIMEOUT_MS} ms; see ${options.logFile}`);
    }
    await sleep(100);
  }
}

/** `node --import tsx <entry>` from the project root, ready once GET /health answers 200. */
export function spawnNodeService(options: {
  name: string;
  entry: string;
  port: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
  onSpawn: (proc: ChaosProcess) => void;
}): Promise<ChaosProcess> {
  return spawnProcess({
    name: options.name,
    command: process.execPath,
    args: ['--import', 'tsx', options.entry],
    env: { ...options.env, PORT: String(options.port) },
    port: options.port,
    logFile: options.logFile,
    ready: (port) => answersHealth(`http://127.0.0.1:${port}`),
    onSpawn: options.onSpawn,
  });
}

/**
 * A redis-server of the run's own (never the shared one): no RDB snapshots, no AOF, so a
 * killed and restarted server comes back empty, as a crashed cache-only Redis does.
 */
export function spawnRedis(options: { port: number; dir: string; logFile: string; onSpawn: (proc: ChaosProcess) => void }): Promise<ChaosProcess> {
  return spawnProcess({
    name: 'redis',
    command: 'redis-server',
    args: ['--port', String(options.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', options.dir, '--logfile', ''],
    port: options.port,
    logFile: options.logFile,
    ready: redisAnswersPing,
    onSpawn: options.onSpawn,
  });
}
