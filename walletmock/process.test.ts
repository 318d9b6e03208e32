import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'walletmock/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}

function listeningLine(stdout: string): Record<string, unknown> | undefined {
  return stdout
    .split('\n')
    .filter((line) => line.includes('"msg":"walletmock listening"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)[0];
}

/** Waits for the listening line and returns the port it names. */
async function waitForPort(run: ReturnType<typeof launch>): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const port = listeningLine(run.output().stdout)?.port;
    if (typeof port === 'number') return port;
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`no listening line: ${JSON.stringify(run.output())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the process prints one listening line with its port, serves, and exits 0 on SIGTERM', async (t) => {
  const secret = 'process-test-secret-value';
  const run = launch({ PORT: '0', WALLET_SECRET: secret });
  t.teardown(() => run.child.kill('SIGKILL'));
  const port = await waitForPort(run);
  const { stdout } = run.output();
  t.is(stdout.split('\n').filter((line) => line.includes('walletmock listening')).length, 1);
  t.true(port > 0);
  const health = await fetch(`http://127.0.0.1:${String(port)}/health`);
  t.deepEqual(await health.json(), { status: 'ok' });

  run.child.kill('SIGTERM');
  const [code] = await run.exited;
  t.is(code, 0);
  t.false(run.output().stdout.includes(secret));
});

test('the listening line is printed even when LOG_LEVEL hides info lines', async (t) => {
  const run = launch({ PORT: '0', LOG_LEVEL: 'silent' });
  t.teardown(() => run.child.kill('SIGKILL'));
  const port = await waitForPort(run);
  t.true(port > 0);
  run.child.kill('SIGINT');
  const [code] = await run.exited;
  t.is(code, 0);
  t.is(run.output().stdout.trim().split('\n').length, 1);
});

for (const [variable, value] of [
  ['PORT', 'http'],
  ['PORT', '70000'],
  ['WALLET_START_BALANCE', '-5'],
  ['LOG_LEVEL', 'loud'],
  ['WALLET_SECRET', ' , '],
] as const) {
  test(`a bad ${variable} (${JSON.stringify(value)}) exits 1 naming the variable`, async (t) => {
    const run = launch({ PORT: '0', [variable]: value });
    t.teardown(() => run.child.kill('SIGKILL'));
    const [code] = await run.exited;
    t.is(code, 1);
    t.regex(run.output().stderr, new RegExp(`\\b${variable}\\b`));
  });
}
