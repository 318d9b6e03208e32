import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmptyDatabase } from './support/database.ts';
import { createRedisPrefix, REDIS_URL } from './support/redis.ts';
import { PROJECT_ROOT } from './support/process.ts';
import { freePortBlock } from './support/local-service.ts';

// `npm start` on a fresh database, then the README's curl session exactly as written
// (only the entry port differs, so the test never collides with a running `npm start`).

function readmeSession(): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- curl-session:start -->\s*```bash\n([\s\S]*?)```\s*<!-- curl-session:end -->/.exec(readme);
  if (!block?.[1]) throw new Error('README has no curl session block');
  return block[1];
}

function readmeTypeScriptExample(): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- ts-client:start -->\s*```ts\n([\s\S]*?)```\s*<!-- ts-client:end -->/.exec(readme);
  if (!block?.[1]) throw new Error('README has no TypeScript client block');
  return block[1];
}

test('npm start brings up the cluster and the README curl session works through the entry point', async (t) => {
  const database = await createEmptyDatabase();
  await database.drop(); // `npm start` must create it itself
  const redis = createRedisPrefix();
  const base = await freePortBlock(3);
  const walletPort = await freePortBlock(1);
  const cluster = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-cluster.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: database.url, REDIS_URL, REDIS_PREFIX: redis.prefix, ENTRY_PORT: String(base), WALLET_PORT: String(walletPort), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  cluster.stdout.on('data', (chunk) => (output += chunk));
  cluster.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => cluster.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (cluster.exitCode === null) cluster.kill('SIGKILL');
    await redis.cleanup();
    await database.drop();
  });

  // Ready when both nodes answer /ready through the entry point (they start once the demo
  // data is seeded; on a loaded machine that takes a while).
  const entry = `http://127.0.0.1:${base}`;
  const seen = new Set<string>();
  for (let tries = 0; seen.size < 2 && tries < 900; tries++) {
    const answer = await fetch(`${entry}/ready`).catch(() => undefined);
    if (answer?.status === 200) seen.add(((await answer.json()) as { nodeId: string }).nodeId);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.deepEqual([...seen].sort(), ['rgs-node-1', 'rgs-node-2'], `both nodes serve through the entry point:\n${output}`);
  t.regex(output, /X-Operator-Key: demo-alpha-key-LOCAL-ONLY/);
  t.regex(output, new RegExp(`entry point .* http://127.0.0.1:${base}`));

  const script = readmeSession().replace('RGS=http://127.0.0.1:3000', `RGS=${entry}`);
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'rgs-readme-'));
  const session = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: workdir, encoding: 'utf8', timeout: 60_000 });
  t.is(session.status, 0, session.stderr);
  // The output is pretty-printed JSON documents and plain lines, in order.
  const outputs: unknown[] = [];
  let pending = '';
  for (const line of session.stdout.split('\n')) {
    if (!pending && !line.startsWith('{')) {
      if (line.trim()) outputs.push(line.trim());
      continue;
    }
    pending += `${line}\n`;
    try {
      outputs.push(JSON.parse(pending));
      pending = '';
    } catch {
      // a document spanning more lines
    }
  }
  const [launched, verified, bet, history, ...rest] = outputs as any[];
  t.like(launched, { playerId: 'player-42', currency: 'EUR', status: 'active', active: true });
  t.like(verified, { status: 'active', active: true, fairness: { nonce: 0 } });
  t.true(['won', 'lost'].includes(bet.status), `the bet is decided: ${JSON.stringify(bet)}`);
  t.like(history, { status: bet.status });
  t.is(history.history[0].state, 'debiting');
  const transactions = rest.splice(0, bet.status === 'won' ? 2 : 1);
  t.deepEqual(transactions.map((tx: any) => tx.id).sort(), (bet.status === 'won' ? [`${bet.id}:credit`, `${bet.id}:debit`] : [`${bet.id}:debit`]));
  const [rotated, seedHash, handRoll, verifiedOutcome, revoked, problem] = rest;
  t.is(rotated.previous.serverSeedHash, bet.fairness.serverSeedHash);
  t.is(seedHash, bet.fairness.serverSeedHash, 'sha256 of the revealed seed is the hash shown before the bet');
  t.is(Number(handRoll), bet.outcome.roll, 'the roll recomputed by hand');
  t.deepEqual(verifiedOutcome, { roll: bet.outcome.roll });
  t.like(revoked, { status: 'revoked', active: false });
  t.like(problem, { status: 400, code: 'VALIDATION_FAILED' });

  // "Integrate from TypeScript": the README's block is the example file (which typecheck
  // compiles against the generated client), run as written against the same cluster.
  const example = path.join(PROJECT_ROOT, 'clients', 'typescript', 'example.ts');
  t.is(readmeTypeScriptExample(), readFileSync(example, 'utf8'), 'the README block is clients/typescript/example.ts');
  const typed = spawnSync(process.execPath, ['--import', 'tsx', example], { cwd: PROJECT_ROOT, env: { ...process.env, RGS: entry }, encoding: 'utf8', timeout: 60_000 });
  t.is(typed.status, 0, typed.stderr);
  const [placedLine, historyLine, eventLine] = typed.stdout.trim().split('\n');
  const [, betId, betStatus] = placedLine?.split(' ') ?? [];
  t.true(['won', 'lost'].includes(betStatus ?? ''), `the typed client's bet is decided: ${typed.stdout}`);
  t.is(historyLine, betStatus === 'won' ? 'history debiting crediting won' : 'history debiting lost');
  t.is(eventLine, `event bet.${betStatus}`, `the stream told the outcome of ${betId}`);

  // Ctrl-C stops everything cleanly.
  cluster.kill('SIGINT');
  t.is(await exited, 0, output);
  t.regex(output, /stopped/);
});
