import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { adminPortOf, envSchema } from '../src/config/env.ts';
import { appDatabaseUrl } from '../src/shared/app-role.ts';
import { parseWalletMockEnv } from '../walletmock/config.ts';

// No Docker engine runs these files in CI, so this test reads them the way a reviewer
// would: docker-compose.yml, deploy/nginx.conf, Dockerfile and .dockerignore must agree
// with each other and with the code (the env schema, the entry points, package.json).

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

// ---- docker-compose.yml ---------------------------------------------------------------

interface DependsOn {
  condition?: string;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: unknown;
  environment?: Record<string, unknown>;
  depends_on?: Record<string, DependsOn>;
  healthcheck?: { test?: unknown };
  ports?: unknown[];
  volumes?: unknown[];
  init?: boolean;
  restart?: string;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// Compose resolves `<<` merge keys (the x-rgs anchor); YAML 1.2 needs them switched on.
const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;

/**
 * Compose's interpolation as `docker compose up` does it with no .env file and no such
 * variable in the shell: `${VAR:-default}` / `${VAR-default}` give the default, `$$` is
 * a literal `$`. A variable without a default would be an empty string: refused here.
 */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced, fallback, bare) => {
    if (match === '$$') return '$';
    if (fallback === undefined) throw new Error(`${match}: no default, so it is empty unless the shell sets ${braced ?? bare}`);
    return fallback as string;
  });
}

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** A service's environment as the process sees it (strings, defaults substituted). */
function environmentOf(name: string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(service(name).environment ?? {})) {
    // Compose would stringify a YAML number or boolean; quoting keeps `false` from being
    // read as a boolean and `3000` as a number by anything in between.
    if (typeof value !== 'string') throw new Error(`${name}.environment.${key} is ${typeof value}, not a quoted string`);
    environment[key] = interpolate(value);
  }
  return environment;
}

function portOf(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

/** Compose durations: "20s", "1m30s", "500ms". */
function seconds(duration: string): number {
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

function commandOf(name: string): string[] {
  const command = service(name).command;
  if (!Array.isArray(command)) throw new Error(`${name}.command is not exec form (a list)`);
  return command.map(String);
}

function healthcheckOf(name: string): string {
  const check = service(name).healthcheck?.test;
  if (!Array.isArray(check)) throw new Error(`${name} has no healthcheck in exec form`);
  return check.map(String).join(' ');
}

const rgsNodes = Object.keys(compose.services).filter((name) => /^rgs-\d+$/.test(name));

// ---- deploy/nginx.conf ----------------------------------------------------------------

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/** A small nginx configuration parser: directives, arguments and nested blocks. */
function parseNginx(text: string): Directive[] {
  const tokens: { value: string; punct: boolean }[] = [];
  for (const [whole, doubleQuoted, singleQuoted, punct] of text.matchAll(/#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|[^\s{};"'#]+/g)) {
    if (whole.startsWith('#')) continue;
    tokens.push({ value: doubleQuoted ?? singleQuoted ?? whole, punct: punct !== undefined });
  }
  let at = 0;
  const parseBlock = (): Directive[] => {
    const directives: Directive[] = [];
    while (at < tokens.length) {
      const token = tokens[at++]!;
      if (token.punct && token.value === '}') return directives;
      const directive: Directive = { name: token.value, args: [] };
      for (;;) {
        const next = tokens[at++];
        if (!next) throw new Error(`nginx.conf: "${directive.name}" is not terminated`);
        if (next.punct && next.value === ';') break;
        if (next.punct && next.value === '{') {
          directive.block = parseBlock();
          break;
        }
        directive.args.push(next.value);
      }
      directives.push(directive);
    }
    return directives;
  };
  return parseBlock();
}

const nginxText = read('deploy/nginx.conf');
const nginx = parseNginx(nginxText);

function directives(block: Directive[] | undefined, name: string): Directive[] {
  return (block ?? []).filter((directive) => directive.name === name);
}

function onlyBlock(block: Directive[] | undefined, name: string, ...args: string[]): Directive[] {
  const found = directives(block, name).filter((directive) => args.every((arg, index) => directive.args[index] === arg));
  if (found.length !== 1 || !found[0]!.block) throw new Error(`nginx.conf: expected one "${[name, ...args].join(' ')} { … }" block`);
  return found[0]!.block;
}

function value(block: Directive[], name: string): string[] | undefined {
  return directives(block, name).at(-1)?.args;
}

const http = onlyBlock(nginx, 'http');
const upstream = onlyBlock(http, 'upstream', 'rgs');
const server = onlyBlock(http, 'server');
const stream = onlyBlock(server, 'location', '=', '/stream');

function bytes(size: string): number {
  const match = /^(\d+)([kKmMgG]?)$/.exec(size);
  if (!match) throw new Error(`not an nginx size: ${size}`);
  return Number(match[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
}

// ---- Dockerfile and .dockerignore -----------------------------------------------------

interface Instruction {
  keyword: string;
  rest: string;
}

const dockerfile: Instruction[] = read('Dockerfile')
  .replace(/\\\r?\n/g, ' ')
  .split(/\r?\n/)
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), rest: rest.join(' ') };
  });

const stages: Instruction[][] = [];
for (const instruction of dockerfile) {
  if (instruction.keyword === 'FROM') stages.push([]);
  stages.at(-1)?.push(instruction);
}
const finalStage = stages.at(-1) ?? [];

/** The stage `FROM … AS name` starts. */
function stageNamed(name: string): Instruction[] {
  const found = stages.find((stage) => new RegExp(`\\sAS\\s+${name}$`, 'i').test(stage[0]!.rest));
  if (!found) throw new Error(`the Dockerfile has no stage "${name}"`);
  return found;
}

interface Copy {
  /** The stage it copies from (`--from=`), or undefined for the build context. */
  from: string | undefined;
  sources: string[];
  destination: string | undefined;
}

/** `COPY [--flag…] src… dest` lines of some instructions. */
function copiesOf(instructions: Instruction[]): Copy[] {
  return instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => instruction.rest.split(/\s+/))
    .map((words) => ({
      from: words.find((word) => word.startsWith('--from='))?.slice('--from='.length),
      paths: words.filter((word) => !word.startsWith('--')),
    }))
    .map(({ from, paths }) => ({ from, sources: paths.slice(0, -1), destination: paths.at(-1) }));
}

/** The COPY lines that copy from the build context (no --from), in any stage. */
const contextCopies = copiesOf(dockerfile).filter((copy) => copy.from === undefined);

function execForm(instruction: Instruction | undefined): string[] {
  const parsed: unknown = JSON.parse(instruction?.rest ?? 'null');
  if (!Array.isArray(parsed)) throw new Error(`${instruction?.keyword}: not exec form`);
  return parsed.map(String);
}

const ignorePatterns = read('.dockerignore')
  .split(/\r?\n/)
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const negated = line.startsWith('!');
    const pattern = path.posix.normalize((negated ? line.slice(1) : line).replace(/^\/+/, ''));
    const source = pattern
      .split('/')
      .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
      .join('/')
      .replace(/\.\*\//g, '(?:.*/)?');
    return { negated, regex: new RegExp(`^${source}$`) };
  });

/** Docker's rule: a path is left out when it or a folder above it matches (last match wins). */
function dockerIgnored(file: string): boolean {
  const parts = file.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const { negated, regex } of ignorePatterns) {
    if (candidates.some((candidate) => regex.test(candidate))) ignored = !negated;
  }
  return ignored;
}

function filesUnder(folder: string): string[] {
  const absolute = path.join(ROOT, folder);
  if (statSync(absolute).isFile()) return [folder];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) =>
    entry.name === 'node_modules' ? [] : filesUnder(path.posix.join(folder, entry.name)),
  );
}

/**
 * Every file of the build context the image is made of: the sources its build stage
 * compiles into dist/ (what the runtime stage runs), package.json and the lock file.
 */
const imageFiles = contextCopies.flatMap(({ sources }) => sources.flatMap(filesUnder)).filter((file) => !dockerIgnored(file));

const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const dependencies = packageJson.dependencies ?? {};

// ---- tsconfig.build.json: what `npm run build` emits ----------------------------------

const buildConfig = JSON.parse(read('tsconfig.build.json')) as {
  extends?: string;
  compilerOptions?: { outDir?: string; noEmit?: boolean; rewriteRelativeImportExtensions?: boolean };
  include?: string[];
  exclude?: string[];
};
const outDir = buildConfig.compilerOptions?.outDir ?? '(no outDir)';

/** What the build turns a source into: `src/main.ts` → `dist/src/main.js`, `./x.ts` → `./dist/x.js`. */
function compiled(source: string): string {
  return source.replace(/^(\.\/)?/, `$1${outDir}/`).replace(/\.ts$/, '.js');
}

/** The source a file of dist/ is compiled from, if it is one: `dist/src/main.js` → `src/main.ts`. */
function sourceOf(file: string): string | undefined {
  const match = new RegExp(`^(?:\\./)?${outDir}/(.+)\\.js$`).exec(file);
  return match ? `${match[1]}.ts` : undefined;
}

/** Whether tsconfig.build.json compiles a source: under an `include` entry, matching no `exclude`. */
function builtByTsc(source: string): boolean {
  const glob = (pattern: string) =>
    new RegExp(`^${pattern.split('/').map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))).join('/').replace(/\.\*\//g, '(?:.*/)?')}$`);
  const included = (buildConfig.include ?? []).some((entry) => source === entry || source.startsWith(`${entry.replace(/\/$/, '')}/`));
  return included && !(buildConfig.exclude ?? []).some((pattern) => glob(pattern).test(source));
}

// ---- the stack --------------------------------------------------------------------------

test('compose defines the whole stack: postgres, redis, migrate, walletmock, two rgs nodes, nginx, adminer', (t) => {
  for (const name of ['postgres', 'redis', 'migrate', 'walletmock', 'rgs-1', 'rgs-2', 'nginx', 'adminer']) {
    t.truthy(compose.services[name], `service ${name}`);
  }
  t.true(rgsNodes.length >= 2, 'at least two RGS replicas behind the load balancer');
  t.false('version' in compose, 'the Compose spec has no version key');
});

test('every variable compose sets on an rgs node is in the config schema, with a value the schema accepts', (t) => {
  // The migrate job runs scripts/migrate.ts, which loads the same schema.
  for (const name of [...rgsNodes, 'migrate']) {
    const environment = environmentOf(name);
    for (const [key, raw] of Object.entries(environment)) {
      if (!t.true(Object.hasOwn(envSchema.shape, key), `${name}: ${key} is not a variable the code reads (src/config/env.ts)`)) continue;
      const field = envSchema.shape[key as keyof typeof envSchema.shape];
      const result = field.safeParse(raw);
      t.true(result.success, `${name}: ${key}=${raw} is refused: ${result.error?.issues.map((issue) => issue.message).join('; ')}`);
    }
    t.true(envSchema.safeParse(environment).success, `${name}: the whole environment parses`);
  }
});

test('compose needs no .env file: every ${VAR} has a default', (t) => {
  const strings: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') strings.push(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(compose);
  for (const text of strings) t.notThrows(() => interpolate(text), text);
});

test('the rgs nodes share one definition and differ only in NODE_ID', (t) => {
  const ids = rgsNodes.map((name) => environmentOf(name).NODE_ID);
  t.deepEqual(ids, rgsNodes, 'NODE_ID names the replica');
  const [first, ...others] = rgsNodes.map((name) => {
    const { NODE_ID: _nodeId, ...shared } = environmentOf(name);
    return { ...service(name), environment: shared };
  });
  for (const other of others) t.deepEqual(other, first);
});

test('the rgs nodes listen on the port nginx balances over and their healthcheck probes', (t) => {
  const servers = directives(upstream, 'server').map((directive) => directive.args[0] ?? '');
  t.deepEqual(servers.map((address) => address.split(':')[0]).sort(), [...rgsNodes].sort(), 'one upstream server per rgs service');
  for (const name of rgsNodes) {
    const port = environmentOf(name).PORT;
    t.true(servers.includes(`${name}:${port}`), `nginx's upstream names ${name}:${port}`);
    t.regex(healthcheckOf(name), new RegExp(`http://127\\.0\\.0\\.1:${port}/(ready|health)\\b`), `${name}'s healthcheck probes port ${port}`);
  }
  const expose = finalStage.find((instruction) => instruction.keyword === 'EXPOSE')?.rest;
  t.is(expose, environmentOf(rgsNodes[0]!).PORT, 'the image EXPOSEs the same port');
});

test('nginx re-resolves the nodes only on an nginx image that supports it', (t) => {
  const resolving = directives(upstream, 'server').some((directive) => directive.args.includes('resolve'));
  if (!resolving) return t.pass();
  t.truthy(value(upstream, 'zone'), '`resolve` needs a shared-memory zone');
  t.truthy(value(http, 'resolver') ?? value(upstream, 'resolver'), '`resolve` needs a resolver');
  const tag = /^nginx:(\d+)\.(\d+)\.(\d+)/.exec(service('nginx').image ?? '');
  t.truthy(tag, 'the nginx image pins a full version');
  const [major, minor, patch] = (tag?.slice(1) ?? []).map(Number) as [number, number, number];
  t.true(major > 1 || (major === 1 && (minor > 27 || (minor === 27 && patch >= 3))), 'open-source nginx has upstream `resolve` since 1.27.3');
});

test('the rgs nodes never migrate: a one-time migrate job does it first and must succeed', (t) => {
  for (const name of rgsNodes) {
    t.is(environmentOf(name).MIGRATE_ON_START, 'false', `${name} sets MIGRATE_ON_START=false`);
    t.is(service(name).depends_on?.migrate?.condition, 'service_completed_successfully', `${name} waits for migrate to succeed`);
  }
  const migrate = service('migrate');
  t.deepEqual(commandOf('migrate'), ['node', 'dist/scripts/migrate.js']);
  t.is(migrate.restart, 'no', 'a job, not a daemon');
  t.is(migrate.depends_on?.postgres?.condition, 'service_healthy');
});

test('the rgs nodes start after Postgres and Redis are healthy, and both have healthchecks', (t) => {
  for (const name of rgsNodes) {
    t.is(service(name).depends_on?.postgres?.condition, 'service_healthy');
    t.is(service(name).depends_on?.redis?.condition, 'service_healthy');
    t.truthy(service(name).depends_on?.walletmock, `${name} starts after the wallet mock`);
  }
  t.regex(healthcheckOf('postgres'), /pg_isready/);
  t.regex(healthcheckOf('redis'), /redis-cli ping/);
});

test('Redis keeps nothing on disk and never evicts queue keys', (t) => {
  const command = (service('redis').command as string[]).join(' ');
  t.regex(command, /--save  --appendonly no/, '--save "" --appendonly no');
  t.regex(command, /--maxmemory-policy noeviction/);
});

test("the wallet mock listens on the port the rgs nodes' WALLET_URL names and signs with their secret", (t) => {
  t.deepEqual(commandOf('walletmock'), ['node', 'dist/walletmock/main.js']);
  const mock = parseWalletMockEnv(environmentOf('walletmock'));
  for (const name of rgsNodes) {
    const environment = environmentOf(name);
    const walletUrl = new URL(environment.WALLET_URL!);
    t.is(walletUrl.hostname, 'walletmock', `${name}'s WALLET_URL names the walletmock service`);
    t.is(portOf(walletUrl.href), mock.port, `${name}'s WALLET_URL port is the mock's PORT`);
    t.true(mock.secrets.includes(environment.WALLET_SECRET!), `the mock accepts ${name}'s WALLET_SECRET`);
  }
  t.regex(healthcheckOf('walletmock'), new RegExp(`:${mock.port}/health\\b`));
});

test('the migrate job connects as the owner, the rgs nodes as the application role without the owner password; REDIS_URL names redis', (t) => {
  const postgres = environmentOf('postgres');
  const migrate = environmentOf('migrate');
  for (const name of [...rgsNodes, 'migrate']) {
    const database = new URL(environmentOf(name).DATABASE_URL!);
    t.is(database.hostname, 'postgres');
    t.is(portOf(database.href), 5432);
    t.is(database.pathname, `/${postgres.POSTGRES_DB}`, 'the database the postgres image creates');
  }
  const owner = new URL(migrate.DATABASE_URL!);
  t.is(decodeURIComponent(owner.username), postgres.POSTGRES_USER ?? 'postgres', 'migrations run as the owner');
  t.is(decodeURIComponent(owner.password), postgres.POSTGRES_PASSWORD ?? '(unset)');
  t.truthy(migrate.APP_DB_PASSWORD, 'the migrate job sets the application role password (production requires one)');
  for (const name of rgsNodes) {
    const environment = environmentOf(name);
    const node = envSchema.parse(environment);
    const connectsAs = new URL(appDatabaseUrl(node));
    t.is(decodeURIComponent(connectsAs.username), envSchema.parse(migrate).APP_DB_ROLE, `${name} connects as the role the migrate job creates`);
    t.not(connectsAs.username, postgres.POSTGRES_USER ?? 'postgres', `${name} does not connect as the owner`);
    t.is(migrate.APP_DB_PASSWORD, decodeURIComponent(connectsAs.password), `${name} uses the password the migrate job sets`);
    t.is(new URL(environment.DATABASE_URL!).password, '', `${name} is not given the owner password`);
  }
  for (const name of rgsNodes) {
    const redis = new URL(environmentOf(name).REDIS_URL!);
    t.is(redis.hostname, 'redis');
    t.is(redis.port, '6379');
  }
  t.is(service('postgres').image, 'postgres:15');
  t.is(service('redis').image, 'redis:7');
});

test('Postgres keeps its data in a named volume', (t) => {
  const mount = (service('postgres').volumes ?? []).map(String).find((volume) => volume.endsWith(':/var/lib/postgresql/data'));
  const volumeName = mount?.split(':')[0] ?? '';
  t.regex(volumeName, /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a named volume, not a bind mount');
  t.true(Object.hasOwn(compose.volumes ?? {}, volumeName), `volumes: declares ${volumeName}`);
});

test('the rgs nodes get longer to stop than their own shutdown deadline, with an init process', (t) => {
  for (const name of rgsNodes) {
    const node = service(name);
    const deadlineSeconds = Number(envSchema.shape.SHUTDOWN_TIMEOUT_MS.parse(environmentOf(name).SHUTDOWN_TIMEOUT_MS)) / 1000;
    const grace = seconds(node.stop_grace_period ?? '10s');
    t.true(grace >= 15, `${name}: SPEC §2 gives a node 15 s to stop; Docker would SIGKILL after ${grace} s`);
    t.true(grace > deadlineSeconds, `${name}: the node's own deadline (${deadlineSeconds} s) fires before Docker's SIGKILL`);
    t.true(node.init, `${name}: init: true forwards SIGTERM and reaps zombies`);
  }
});

// ---- nginx ------------------------------------------------------------------------------

test('nginx publishes a host port onto its listen port and mounts deploy/nginx.conf', (t) => {
  const nginxService = service('nginx');
  t.regex(nginxService.image ?? '', /^nginx:1\.27/);
  const listen = value(server, 'listen')?.[0];
  const ports = (nginxService.ports ?? []).map(String);
  t.true(ports.some((mapping) => /^(?:[\d.]+:)?\d+:\d+$/.test(mapping) && mapping.endsWith(`:${listen}`)), `a host port maps to ${listen}`);
  t.true(
    (nginxService.volumes ?? []).map(String).some((volume) => /^\.\/deploy\/nginx\.conf:\/etc\/nginx\/nginx\.conf(:ro)?$/.test(volume)),
    'deploy/nginx.conf is nginx.conf',
  );
  for (const name of rgsNodes) t.is(nginxService.depends_on?.[name]?.condition, 'service_healthy');
  t.truthy(onlyBlock(nginx, 'events'), 'a complete nginx.conf: events { … }');
});

test('nginx keeps HTTP/1.1 keep-alive connections to the nodes and forwards client and request ids', (t) => {
  t.truthy(value(upstream, 'keepalive'));
  t.deepEqual(value(server, 'proxy_http_version') ?? value(http, 'proxy_http_version'), ['1.1']);
  const headers = new Map(directives(server, 'proxy_set_header').map((directive) => [directive.args[0], directive.args[1]]));
  t.is(headers.get('Connection'), '', 'an empty Connection header, so upstream keep-alive works');
  t.is(headers.get('X-Forwarded-For'), '$proxy_add_x_forwarded_for');
  t.is(headers.get('X-Forwarded-Proto'), '$scheme');
  t.truthy(headers.get('X-Request-Id'), 'X-Request-Id reaches the node');
  t.regex(nginxText, /\$http_x_request_id/, "the client's own X-Request-Id is passed through");
  for (const location of directives(server, 'location')) {
    t.deepEqual(directives(location.block, 'proxy_set_header'), [], `location ${location.args.join(' ')} would drop the server's proxy_set_header`);
    t.deepEqual(value(location.block ?? [], 'proxy_pass'), ['http://rgs']);
  }
});

test('the nginx /stream location passes SSE events through unbuffered', (t) => {
  t.deepEqual(value(stream, 'proxy_buffering'), ['off']);
  t.deepEqual(value(stream, 'proxy_cache'), ['off']);
  t.deepEqual(value(stream, 'chunked_transfer_encoding'), ['on']);
  const accel = directives(stream, 'add_header').find((directive) => directive.args[0] === 'X-Accel-Buffering');
  t.is(accel?.args[1], 'no');
  t.not(value(stream, 'gzip') ?? value(server, 'gzip') ?? value(http, 'gzip'), ['on'], 'gzip would buffer the stream');
  const readTimeout = value(stream, 'proxy_read_timeout')?.[0] ?? '60s';
  t.true(seconds(readTimeout) >= 600, `proxy_read_timeout ${readTimeout} would cut streams`);
});

test('nginx retries on the other node only requests it may repeat', (t) => {
  const retry = value(server, 'proxy_next_upstream') ?? value(http, 'proxy_next_upstream') ?? [];
  t.true(retry.includes('error'));
  t.false(retry.includes('non_idempotent'), 'a POST /bets must never be replayed by the load balancer');
  for (const location of directives(server, 'location')) {
    t.false((value(location.block ?? [], 'proxy_next_upstream') ?? []).includes('non_idempotent'));
  }
});

test("nginx's body ceiling stays above the app's limit, so clients get the app's 413 problem document", (t) => {
  const ceiling = bytes(value(server, 'client_max_body_size')?.[0] ?? value(http, 'client_max_body_size')?.[0] ?? '1m');
  for (const name of rgsNodes) {
    const appLimit = envSchema.shape.BODY_LIMIT_BYTES.parse(environmentOf(name).BODY_LIMIT_BYTES);
    t.true(ceiling > appLimit, `nginx ${ceiling} B vs the app's ${appLimit} B`);
  }
});

// ---- the image ----------------------------------------------------------------------------

test('the image is multi-stage and its final stage runs as a non-root user', (t) => {
  t.true(stages.length >= 2, 'at least two FROM stages');
  for (const stage of stages) t.regex(stage[0]!.rest, /^node:20-bookworm-slim\b/);
  const user = finalStage.filter((instruction) => instruction.keyword === 'USER').at(-1)?.rest;
  t.truthy(user, 'the final stage sets USER');
  t.notRegex(user ?? '', /^(root|0)(:|$)/);
  t.regex(finalStage.find((instruction) => instruction.keyword === 'ENV')?.rest ?? '', /\bNODE_ENV=production\b/);
});

test('the image listens by default on the port it EXPOSEs (the schema default is for local runs)', (t) => {
  const env = Object.fromEntries(
    finalStage
      .filter((instruction) => instruction.keyword === 'ENV')
      .flatMap((instruction) => instruction.rest.split(/\s+/).map((pair) => pair.split('=') as [string, string])),
  );
  t.is(env.PORT, finalStage.find((instruction) => instruction.keyword === 'EXPOSE')?.rest);
  const healthcheck = finalStage.find((instruction) => instruction.keyword === 'HEALTHCHECK')?.rest ?? '';
  t.regex(healthcheck, /fetch\('http:\/\/127\.0\.0\.1:' \+ \(process\.env\.PORT/);
  t.regex(healthcheck, /\/health'/);
});

test('`npm run build` compiles into dist/ with the emitted imports rewritten to .js', (t) => {
  t.is(packageJson.scripts.build, 'tsc -p tsconfig.build.json');
  t.is(buildConfig.extends, './tsconfig.json', 'the same compiler options as the typecheck');
  t.is(outDir, 'dist');
  t.false(buildConfig.compilerOptions?.noEmit ?? true, 'it emits');
  // The sources import `./x.ts` (allowImportingTsExtensions); node loads `./x.js`.
  t.true(buildConfig.compilerOptions?.rewriteRelativeImportExtensions);
  t.true(dockerIgnored(outDir), "the host's dist/ stays out of the context: the image builds its own");
  t.regex(read('.gitignore'), new RegExp(`^${outDir}/?$`, 'm'));
});

test('the image runs the compiled node as `npm run start:node` runs the sources, telemetry hook first, without tsx', (t) => {
  const startNode = packageJson.scripts['start:node'] ?? '';
  t.true(startNode.includes('--import ./src/telemetry/register.ts'), 'the telemetry hook loads before the app');
  const words = startNode.split(/\s+/);
  const tsx = words.findIndex((word, index) => word === '--import' && words[index + 1] === 'tsx');
  t.not(tsx, -1, 'npm run start:node runs the sources through tsx');
  const expected = words.filter((_, index) => index !== tsx && index !== tsx + 1).map((word) => (word.endsWith('.ts') ? compiled(word) : word));
  const command = execForm(finalStage.find((instruction) => instruction.keyword === 'CMD'));
  t.deepEqual(command, expected);
  t.deepEqual(command, ['node', '--import', './dist/src/telemetry/register.js', 'dist/src/main.js']);
});

test('every process of the image runs a file the build emits, with plain node', (t) => {
  const imageServices = Object.keys(compose.services).filter((name) => service(name).image === 'rgs:local');
  const commands = [
    ['CMD', execForm(finalStage.find((instruction) => instruction.keyword === 'CMD'))],
    ...imageServices.filter((name) => service(name).command !== undefined).map((name) => [name, commandOf(name)] as const),
  ] as const;
  t.true(commands.length >= 3, 'the node, the migrate job and the wallet mock');
  const built = stageNamed('build');
  const buildSources = copiesOf(built)
    .filter((copy) => copy.from === undefined)
    .flatMap(({ sources }) => sources.flatMap(filesUnder))
    .filter((file) => !dockerIgnored(file));
  for (const [name, command] of commands) {
    t.is(command[0], 'node', `${name} runs node`);
    t.false(command.includes('tsx'), `${name} runs without tsx (a dev dependency)`);
    const files = command.slice(1).filter((word) => !word.startsWith('-'));
    t.true(files.length > 0, `${name} names its files`);
    for (const file of files) {
      const source = sourceOf(file);
      if (!t.truthy(source, `${name}: ${file} is a file of ${outDir}/`)) continue;
      t.true(existsSync(path.join(ROOT, source!)), `${name}: ${file} is compiled from ${source}, which exists`);
      t.true(builtByTsc(source!), `${name}: tsconfig.build.json compiles ${source}`);
      t.true(buildSources.includes(source!), `${name}: the build stage copies ${source}`);
    }
  }
});

test('the build stage copies every file its sources import, so tsc compiles in the image what it compiles here', (t) => {
  const sources = copiesOf(stageNamed('build'))
    .filter((copy) => copy.from === undefined)
    .flatMap(({ sources: paths }) => paths.flatMap(filesUnder))
    .filter((file) => !dockerIgnored(file));
  const relativeImport = /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\bfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  const missing: string[] = [];
  for (const file of sources.filter((name) => name.endsWith('.ts') && builtByTsc(name))) {
    for (const [, staticSpecifier, dynamicSpecifier] of read(file).matchAll(relativeImport)) {
      const target = path.posix.join(path.posix.dirname(file), staticSpecifier ?? dynamicSpecifier ?? '');
      if (!sources.includes(target)) missing.push(`${file} imports ${target}`);
    }
  }
  t.deepEqual(missing, [], 'imported, but not copied into the build stage');
});

test('the runtime stage has production dependencies only plus dist/; tsx and http-proxy are dev dependencies', (t) => {
  const build = stageNamed('build');
  const buildRuns = build.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.rest);
  t.true(
    buildRuns.some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run)),
    'the build stage installs the dev dependencies (typescript)',
  );
  t.true(buildRuns.some((run) => /\bnpm run build\b/.test(run)), 'the build stage runs npm run build');

  const copies = copiesOf(finalStage);
  const modules = copies.find((copy) => copy.sources.some((source) => /node_modules$/.test(source)));
  t.truthy(modules?.from, 'node_modules comes from another stage');
  const install = stageNamed(modules?.from ?? '(none)').find((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.rest));
  t.regex(install?.rest ?? '', /--omit=dev/, 'that stage installs production dependencies only');
  t.deepEqual(
    copies.filter((copy) => copy.sources.some((source) => source.endsWith(`/${outDir}`))).map((copy) => copy.from),
    ['build'],
    `${outDir}/ comes from the build stage`,
  );
  t.deepEqual(
    copies.filter((copy) => copy.from === undefined).flatMap((copy) => copy.sources),
    ['package.json'],
    'from the context, only package.json ("type": "module"): no TypeScript source in the image',
  );

  const devDependencies = packageJson.devDependencies ?? {};
  for (const name of ['tsx', 'http-proxy', 'typescript']) {
    t.false(Object.hasOwn(dependencies, name), `${name} is not a production dependency`);
    t.true(Object.hasOwn(devDependencies, name), `${name} is a dev dependency`);
  }
  // scripts/start-cluster.ts (http-proxy) and the npm scripts (tsx) run from a full install.
  t.regex(read('README.md'), /npm ci && npm start/);
});

test('every path the Dockerfile copies from the build context exists, holds files and is not in .dockerignore', (t) => {
  t.true(contextCopies.length > 0);
  for (const { sources } of contextCopies) {
    for (const source of sources) {
      t.true(existsSync(path.join(ROOT, source)), `${source} exists`);
      if (!existsSync(path.join(ROOT, source))) continue;
      // git keeps no empty folder: COPY of one would fail on a fresh clone.
      t.true(filesUnder(source).length > 0, `${source} holds files`);
      t.false(dockerIgnored(source), `${source} is not excluded from the build context`);
    }
  }
  t.true(dockerIgnored('node_modules'), "the host's node_modules stays out of the context");
  t.true(dockerIgnored('walletmock/faults.test.ts'), 'tests stay out of the image');
});

test('every package the code compiled into the image imports is a production dependency', (t) => {
  const builtins = new Set(builtinModules);
  const importPattern = /\b(?:import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  const missing: string[] = [];
  for (const file of imageFiles.filter((name) => /\.[cm]?[jt]s$/.test(name))) {
    for (const [, typeOnly, staticSpecifier, dynamicSpecifier] of read(file).matchAll(importPattern)) {
      const specifier = staticSpecifier ?? dynamicSpecifier ?? '';
      if (typeOnly || specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
      if (!builtins.has(name) && !Object.hasOwn(dependencies, name)) missing.push(`${file} imports ${name}`);
    }
  }
  t.deepEqual(missing, [], 'npm ci --omit=dev would leave these out of the image');
});

// ---- observability: otel-collector → jaeger, prometheus ---------------------------------

interface CollectorConfig {
  receivers?: { otlp?: { protocols?: Record<string, { endpoint?: string }> } };
  processors?: Record<string, unknown>;
  exporters?: Record<string, { endpoint?: string }>;
  service?: { pipelines?: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }> };
}

/** The host file a service mounts at `target`, read from the build context. */
function mountedFile(name: string, target: string): string {
  const mount = (service(name).volumes ?? []).map(String).find((volume) => volume.split(':')[1] === target);
  if (!mount) throw new Error(`${name} mounts nothing at ${target}`);
  return read(mount.split(':')[0]!.replace(/^\.\//, ''));
}

test('compose adds tracing (otel-collector → jaeger) and prometheus, their UIs on loopback only', (t) => {
  for (const name of ['otel-collector', 'jaeger', 'prometheus']) t.truthy(compose.services[name], `service ${name}`);
  for (const [name, port] of [
    ['jaeger', 16686],
    ['prometheus', 9090],
  ] as const) {
    t.deepEqual((service(name).ports ?? []).map(String), [`127.0.0.1:${port}:${port}`], `${name} UI published on loopback`);
  }
});

test("the rgs nodes export traces to the collector's OTLP/HTTP receiver, and the collector sends them to jaeger", (t) => {
  const collector = parse(mountedFile('otel-collector', '/etc/otelcol/config.yaml')) as CollectorConfig;
  const command = commandOf('otel-collector');
  t.true(command.includes('--config=/etc/otelcol/config.yaml'), 'the collector runs the mounted config');
  const httpReceiver = collector.receivers?.otlp?.protocols?.http?.endpoint ?? '';
  for (const name of rgsNodes) {
    const endpoint = new URL(environmentOf(name).OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://unset');
    t.is(endpoint.hostname, 'otel-collector', `${name} exports to the otel-collector service`);
    t.true(httpReceiver.endsWith(`:${endpoint.port}`), `${name} exports to port ${endpoint.port}; the collector's OTLP/HTTP receiver listens on ${httpReceiver}`);
  }
  const pipeline = collector.service?.pipelines?.traces;
  t.truthy(pipeline, 'a traces pipeline');
  for (const receiver of pipeline?.receivers ?? []) t.truthy(collector.receivers?.[receiver as 'otlp'], `receiver ${receiver} is defined`);
  for (const processor of pipeline?.processors ?? []) t.true(Object.hasOwn(collector.processors ?? {}, processor), `processor ${processor} is defined`);
  const exporters = pipeline?.exporters ?? [];
  t.true(exporters.length > 0);
  for (const exporter of exporters) {
    const endpoint = collector.exporters?.[exporter]?.endpoint ?? '';
    t.is(endpoint, 'jaeger:4317', `${exporter} sends OTLP/gRPC to the jaeger service`);
  }
  t.is(environmentOf('jaeger').COLLECTOR_OTLP_ENABLED, 'true', 'jaeger accepts OTLP');
  t.truthy(service('otel-collector').depends_on?.jaeger);
});

test("prometheus scrapes /metrics on every rgs node's admin listener", (t) => {
  const config = parse(mountedFile('prometheus', '/etc/prometheus/prometheus.yml')) as {
    scrape_configs?: { metrics_path?: string; static_configs?: { targets?: string[] }[] }[];
  };
  const targets = new Set<string>();
  for (const job of config.scrape_configs ?? []) {
    t.is(job.metrics_path ?? '/metrics', '/metrics');
    for (const group of job.static_configs ?? []) for (const target of group.targets ?? []) targets.add(target);
  }
  for (const name of rgsNodes) {
    const env = envSchema.parse(environmentOf(name));
    t.true(targets.has(`${name}:${adminPortOf(env)}`), `prometheus scrapes ${name} on its admin port (SPEC §2: /metrics is not on the public port)`);
  }
  t.is(targets.size, rgsNodes.length, 'and nothing that is not an rgs node');
});

test('only the load balancer is published: the admin listeners are reachable on the compose network only', (t) => {
  const published = Object.entries(compose.services)
    .filter(([, definition]) => (definition.ports ?? []).some((mapping) => !String(mapping).startsWith('127.0.0.1:')))
    .map(([name]) => name);
  t.deepEqual(published, ['nginx'], 'only nginx publishes a port beyond loopback');
  for (const name of [...rgsNodes, 'rgs-worker']) t.deepEqual(service(name).ports ?? [], [], `${name} publishes nothing`);
  const upstreams = directives(upstream, 'server').map((directive) => directive.args[0] ?? '');
  for (const name of rgsNodes) {
    const env = envSchema.parse(environmentOf(name));
    t.is(env.ADMIN_HOST, '0.0.0.0', `${name}: the admin listener answers prometheus from other containers`);
    t.not(adminPortOf(env), env.PORT);
    t.false(upstreams.includes(`${name}:${adminPortOf(env)}`), 'nginx never forwards to an admin listener');
  }
});

test('the demo fallbacks run only outside production: with NODE_ENV=production and no .env, a node would refuse to start', (t) => {
  t.not(environmentOf(rgsNodes[0]!).NODE_ENV, 'production', 'the stack needs no .env file to start');
  for (const name of [...rgsNodes, 'migrate']) {
    const result = envSchema.safeParse({ ...environmentOf(name), NODE_ENV: 'production' });
    const refused = new Set(result.error?.issues.map((issue) => issue.path[0]));
    for (const secret of ['ADMIN_TOKEN', 'WALLET_SECRET', 'SECRETS_KEY']) t.true(refused.has(secret), `${name}: the fallback ${secret} is a demo value`);
  }
});

test('the optional workers-only replica shares the node definition and runs only the workers', (t) => {
  const worker = service('rgs-worker') as Service & { profiles?: string[] };
  t.deepEqual(worker.profiles, ['split'], 'only with --profile split');
  const environment = environmentOf('rgs-worker');
  t.is(environment.RGS_ROLES, 'workers');
  t.true(envSchema.safeParse(environment).success, 'its environment parses');
  t.is(worker.depends_on?.migrate?.condition, 'service_completed_successfully');
});
