import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A real child process of the product, with its log lines kept for assertions. */
export interface RunningProcess {
  name: string;
  port: number;
  url: string;
  /** An RGS node's admin listener (admin API, Bull Board, /metrics; SPEC §2); unset for other processes. */
  adminUrl?: string;
  child: ChildProcess;
  /** Every line the process wrote to stdout and stderr so far. */
  logs: string[];
  /** SIGTERM and wait for exit; resolves the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  /** Resolves when the process has exited. */
  exited: Promise<number | string>;
}

// Generous: a node or wallet mock can take 15–20 s to start on a loaded 2-core machine.
const STARTUP_TIMEOUT_MS = 60_000;

/** What an entry imports before itself, as its npm script does (package.json `start:node`). */
const PRELOADS: Record<string, string[]> = { 'src/main.ts': ['--import', './src/telemetry/register.ts'] };

/** A source file's compiled counterpart under dist/ (`npm run build`, tsconfig.build.json). */
export function compiledPath(source: string): string {
  return source.replace(/^(\.\/)?/, '$1dist/').replace(/\.ts$/, '.js');
}

/**
 * Starts `node --import tsx <entry>` with PORT=0 and waits for its "listening" log line,
 * which carries the port the OS gave it (no port races between parallel test files) and,
 * for an RGS node, its admin listener's `adminPort` (ADMIN_PORT is then 0 too).
 *
 * With `compiledIn` (a folder laid out as the image: package.json, node_modules, dist/),
 * it runs the compiled entry with plain `node` from there instead, as the Dockerfile does.
 */
export function startProcess(options: {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  listeningMessage: string;
  compiledIn?: string;
}): Promise<RunningProcess> {
  const preloads = PRELOADS[options.entry] ?? [];
  const args = options.compiledIn
    ? [...preloads.map((arg) => (arg.endsWith('.ts') ? compiledPath(arg) : arg)), compiledPath(options.entry)]
    : ['--import', 'tsx', ...preloads, options.entry];
  const child = spawn(process.execPath, args, {
    cwd: options.compiledIn ?? PROJECT_ROOT,
    env: { ...process.env, PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not start within ${STARTUP_TIMEOUT_MS} ms:\n${logs.join('\n')}`));
    }, STARTUP_TIMEOUT_MS);

    const onLine = (line: string) => {
      logs.push(line);
      if (!line.includes(options.listeningMessage)) return;
      const { port = 0, adminPort } = JSON.parse(line) as { port?: number; adminPort?: number };
      clearTimeout(timer);
      resolve({
        name: options.name,
        port,
        url: `http://127.0.0.1:${port}`,
        ...(adminPort !== undefined && { adminUrl: `http://127.0.0.1:${adminPort}` }),
        child,
        logs,
        exited,
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${code}) before listening:\n${logs.join('\n')}`));
    });
  });
}
