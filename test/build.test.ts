import test from 'ava';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmptyDatabase } from './support/database.ts';
import { createRedisPrefix } from './support/redis.ts';
import { PROJECT_ROOT } from './support/process.ts';
import { startNode, startWalletMock } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch, placeBet, waitForBet } from './support/bets.ts';
import { startOtlpReceiver } from './support/otlp-receiver.ts';
import { TEST_SECRETS_KEY } from './support/secrets.ts';

// Production runs what `npm run build` emits, with plain node, no tsx and production
// dependencies only (Dockerfile). This test builds into a folder laid out as the image's
// /app (package.json, node_modules, dist/), then runs from there the compiled migrate job, wallet mock and node (with its
// telemetry hook, tracing on), as docker-compose.yml does, settles a bet through them and
// runs the compiled secrets:reencrypt.

/**
 * The image's node_modules: the packages `npm ci --omit=dev` installs (the lock file's
 * top-level entries not flagged dev), linked from the project's. With --preserve-symlinks
 * the processes resolve packages through these links, so a dev dependency is not found.
 */
function linkProductionModules(app: string): void {
  const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(key) || entry.dev) continue;
    const installed = path.join(PROJECT_ROOT, key);
    // Optional packages for other platforms are in the lock file, not installed.
    if (!existsSync(installed)) continue;
    mkdirSync(path.dirname(path.join(app, key)), { recursive: true });
    symlinkSync(installed, path.join(app, key), 'dir');
  }
}

const PRODUCTION_ONLY: NodeJS.ProcessEnv = { NODE_OPTIONS: '--preserve-symlinks' };

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

test('built with npm run build, the migrate job, wallet mock and node (telemetry hook first) settle a bet with plain node and production dependencies only', async (t) => {
  t.timeout(5 * 60_000, 'tsc takes a while on a loaded machine');
  const app = mkdtempSync(path.join(os.tmpdir(), 'rgs-build-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  // "type": "module" in package.json is what makes node load dist's .js files as ES modules.
  copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(app, 'package.json'));
  linkProductionModules(app);
  t.false(existsSync(path.join(app, 'node_modules', 'tsx')), 'tsx is not a production dependency');
  t.false(existsSync(path.join(app, 'node_modules', 'http-proxy')), 'http-proxy is not a production dependency');

  const dist = path.join(app, 'dist');
  const build = await run('npm', ['run', 'build', '--', '--outDir', dist], { cwd: PROJECT_ROOT });
  t.is(build.code, 0, build.output);

  const emitted = readdirSync(dist, { recursive: true, encoding: 'utf8' }).map((file) => file.split(path.sep).join('/'));
  for (const entry of ['src/main.js', 'src/telemetry/register.js', 'walletmock/main.js', 'scripts/migrate.js', 'scripts/reencrypt-secrets.js', 'scripts/audit-archive.js', 'bull-board/main.js']) {
    t.true(emitted.includes(entry), `dist/${entry} is emitted`);
  }
  t.deepEqual(
    emitted.filter((file) => /(^|\/)test\/|\.test\.js$|test-support|test-vectors/.test(file)),
    [],
    'no test code in dist',
  );
  // rewriteRelativeImportExtensions: `./x.ts` in the sources is `./x.js` in what node loads.
  const tsImports = emitted
    .filter((file) => file.endsWith('.js'))
    .filter((file) => /\bfrom\s*['"]\.{1,2}\/[^'"]*\.ts['"]|\bimport\(\s*['"]\.{1,2}\/[^'"]*\.ts['"]/.test(readFileSync(path.join(dist, file), 'utf8')));
  t.deepEqual(tsImports, [], 'no emitted file imports a .ts path');

  const database = await createEmptyDatabase();
  const redis = createRedisPrefix();
  const receiver = await startOtlpReceiver();
  t.teardown(async () => {
    await receiver.close();
    await redis.cleanup();
    await database.drop();
  });

  // The compose migrate job: the migrations listed in dist/migrations/index.js, applied as the owner.
  const migrated = await run(process.execPath, ['dist/scripts/migrate.js'], { cwd: app, env: { ...PRODUCTION_ONLY, DATABASE_URL: database.url, NODE_ENV: 'test' } });
  t.is(migrated.code, 0, migrated.output);
  t.regex(migrated.output, /applied: 0001-initial-schema, .*0007-secrets-sealed-at-rest/);

  const wallet = await startWalletMock(PRODUCTION_ONLY, app);
  t.teardown(() => wallet.stop('SIGKILL'));
  const node = await startNode({
    databaseUrl: database.url,
    redisPrefix: redis.prefix,
    walletUrl: wallet.url,
    compiledIn: app,
    env: { ...PRODUCTION_ONLY, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
  t.teardown(() => node.stop('SIGKILL'));
  t.deepEqual(node.child.spawnargs.slice(1), ['--import', './dist/src/telemetry/register.js', 'dist/src/main.js'], 'the command of the image');

  t.is((await fetch(`${node.url}/health`)).status, 200);
  // Files read relative to the compiled code: swagger-ui-dist's assets, found from dist/.
  const asset = await fetch(`${node.url}/docs/swagger-ui.css`);
  t.is(asset.status, 200);
  t.true((await asset.text()).length > 1_000, 'the Swagger UI stylesheet');

  const operator = await createOperator(node);
  const client = operator.client();
  const session = await launch(client, 'compiled-player');
  const placed = await placeBet(client, session, 1_000, { target: 50, direction: 'under' });
  t.true([200, 201, 202].includes(placed.status), JSON.stringify(placed.body));
  const settled = await waitForBet(client, placed.body.id);
  t.true(['won', 'lost'].includes(settled.status), `settled: ${settled.status}`);

  // The telemetry hook of dist/ loaded the SDK and its import-in-the-middle loader.
  const traced = await receiver.waitFor((spans) => spans.find((span) => span.kind === 2 && /\/bets\b/.test(String(span.attributes['http.route'] ?? span.name))));
  t.truthy(traced, 'the POST /bets request is traced');
  t.true(
    receiver.spans.some((span) => span.scope.includes('instrumentation-pg')),
    'pg is instrumented',
  );
  t.is(await node.stop(), 0, 'SIGTERM: a graceful exit');

  // The operator's tool of docs/operations.md, compiled too: nothing to re-seal under the same key.
  const resealed = await run(process.execPath, ['dist/scripts/reencrypt-secrets.js'], {
    cwd: app,
    env: { ...PRODUCTION_ONLY, DATABASE_URL: database.url, NODE_ENV: 'test', SECRETS_KEY: TEST_SECRETS_KEY },
  });
  t.is(resealed.code, 0, resealed.output);
  t.regex(resealed.output, /"keyId":/);
});
