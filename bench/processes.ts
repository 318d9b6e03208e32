import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from '../test/support/process.ts';
import { answersHealth, freePort } from '../test/support/local-service.ts';

// The processes the benchmark starts: `node --import tsx <entry>` from the project root,
// as the test launcher (test/support/process.ts) does. That launcher reads the port from
// the "listening" log line, but an RGS node logs that line at info level and the
// benchmark runs the nodes at LOG_LEVEL=warn (request logs would cost CPU), so nodes get
// a free loopback port picked here and are ready once GET /health answers 200.

export { PROJECT_ROOT };

export interface BenchProcess {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Every line the process wrote (at LOG_LEVEL=warn: warnings and errors). */
  logs: string[];
  /** Set once the process exited: its code or signal. */
  exit: number | string | undefined;
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
}

const STARTUP_TIMEOUT_MS = 30_000;

export async function startBenchProcess(options: {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Node flags placed before `--import tsx` (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** The checkout to run `entry` from (default: this one). */
  cwd?: string;
  /** Read the port from this log line (PORT=0); otherwise a free port is passed and /health polled. */
  listeningMessage?: string;
}): Promise<BenchProcess> {
  const fixedPort = options.listeningMessage ? 0 : await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.entry], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env, PORT: String(fixedPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let announcedPort: number | undefined;
  const proc: BenchProcess = {
    name: options.name,
    url: '',
    pid: child.pid ?? -1,
    child,
    logs,
    exit: undefined,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        proc.exit = code ?? signal ?? 'unknown';
        resolve(proc.exit);
      });
    }),
    async stop(graceMs = 15_000) {
      if (proc.exit !== undefined) return proc.exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        logs.push(`[bench] ${options.name} still running ${graceMs} ms after SIGTERM: SIGKILL`);
        child.kill('SIGKILL');
      }, graceMs);
      const code = await proc.exited;
      clearTimeout(timer);
      return code;
    },
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (logs.length < 10_000) logs.push(line);
        if (options.listeningMessage && announcedPort === undefined && line.includes(options.listeningMessage)) {
          announcedPort = (JSON.parse(line) as { port: number }).port;
        }
      }
    });
  }

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (proc.exit !== undefined) throw new Error(`${options.name} exited (${proc.exit}) before it was ready:\n${logs.join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready within ${STARTUP_TIMEOUT_MS} ms:\n${logs.join('\n')}`);
    }
    if (options.listeningMessage) {
      if (announcedPort !== undefined) {
        proc.url = `http://127.0.0.1:${announcedPort}`;
        return proc;
      }
    } else if (await answersHealth(`http://127.0.0.1:${fixedPort}`)) {
      proc.url = `http://127.0.0.1:${fixedPort}`;
      return proc;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resident set size of a process in MB, from /proc (undefined once it is gone). */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
