import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { Pool } from 'undici';
import {
  ForbiddenTargetError,
  guardedConnect,
  guardedLookup,
  isForbiddenAddress,
  outboundTargetPolicy,
  outboundUrlProblem,
  type LookupAll,
} from './outbound-target.ts';

/** A resolver that answers from a table, as DNS would at that moment, and counts its calls. */
function fakeDns(table: Record<string, string[]>) {
  const asked: string[] = [];
  const lookup: LookupAll = (hostname, _options, callback) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return { lookup, asked };
}

const FORBIDDEN = {
  'loopback': ['127.0.0.1', '127.255.255.254', '::1'],
  'RFC 1918 private': ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1', '192.168.255.255'],
  'unique local (fc00::/7)': ['fc00::1', 'fd12:3456:789a::1'],
  'link-local and the metadata service': ['169.254.0.1', '169.254.169.254', 'fe80::1', 'febf::1'],
  'CGNAT (100.64/10)': ['100.64.0.1', '100.127.255.255'],
  'unspecified': ['0.0.0.0', '::', '0.1.2.3'],
  'IPv4-mapped IPv6 forms of the above': ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.1.2.3', '::ffff:169.254.169.254', '::ffff:100.64.0.1', '::ffff:0.0.0.0'],
};
const ALLOWED = ['93.184.216.34', '8.8.8.8', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '169.253.255.255', '11.0.0.1', '2606:4700::1111', '::ffff:8.8.8.8'];

test('loopback, private, link-local, CGNAT and unspecified addresses are forbidden; public ones are not', (t) => {
  for (const [range, addresses] of Object.entries(FORBIDDEN)) {
    for (const address of addresses) t.true(isForbiddenAddress(address), `${address} (${range})`);
  }
  for (const address of ALLOWED) t.false(isForbiddenAddress(address), address);
});

test('ALLOW_PRIVATE_TARGETS: unset, true outside production and false in production; set, it decides', (t) => {
  t.deepEqual(outboundTargetPolicy({ NODE_ENV: 'development', ALLOW_PRIVATE_TARGETS: undefined }), { allowPrivateTargets: true, requireHttps: false });
  t.deepEqual(outboundTargetPolicy({ NODE_ENV: 'test', ALLOW_PRIVATE_TARGETS: undefined }), { allowPrivateTargets: true, requireHttps: false });
  t.deepEqual(outboundTargetPolicy({ NODE_ENV: 'production', ALLOW_PRIVATE_TARGETS: undefined }), { allowPrivateTargets: false, requireHttps: true });
  t.deepEqual(outboundTargetPolicy({ NODE_ENV: 'production', ALLOW_PRIVATE_TARGETS: 'true' }), { allowPrivateTargets: true, requireHttps: true });
  t.deepEqual(outboundTargetPolicy({ NODE_ENV: 'test', ALLOW_PRIVATE_TARGETS: 'false' }), { allowPrivateTargets: false, requireHttps: false });
});

const lookupWith = (lookup: ReturnType<typeof guardedLookup>, hostname: string, all: boolean) =>
  new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
    lookup(hostname, { all }, (error, address, family) => resolve({ error, address, family })),
  );

test('at connect time, a name that now resolves to a forbidden address is refused (DNS rebinding)', async (t) => {
  const dns = fakeDns({
    'wallet.example': ['93.184.216.34'],
    'rebound.example': ['127.0.0.1'],
    'mapped.example': ['::ffff:169.254.169.254'],
    'mixed.example': ['93.184.216.34', '10.0.0.7'],
  });
  const lookup = guardedLookup(dns.lookup);
  for (const hostname of ['rebound.example', 'mapped.example', 'mixed.example']) {
    for (const all of [false, true]) {
      const { error } = await lookupWith(lookup, hostname, all);
      t.true(error instanceof ForbiddenTargetError, `${hostname} (all: ${all})`);
      t.is(error?.code, 'FORBIDDEN_TARGET');
      t.false(error!.message.includes('127.0.0.1') || error!.message.includes('10.0.0.7'), 'the error names no address');
    }
  }
  t.like(await lookupWith(lookup, 'wallet.example', false), { error: null, address: '93.184.216.34', family: 4 });
  t.like(await lookupWith(lookup, 'wallet.example', true), { error: null, address: [{ address: '93.184.216.34', family: 4 }] });
  t.is((await lookupWith(lookup, 'unknown.example', false)).error?.code, 'ENOTFOUND');

  const asked = dns.asked.length;
  for (const hostname of ['localhost', 'LOCALHOST.', 'wallet.localhost']) {
    t.true((await lookupWith(lookup, hostname, false)).error instanceof ForbiddenTargetError, hostname);
  }
  t.is(dns.asked.length, asked, 'localhost names are refused without asking DNS');
});

/** A local HTTP server standing in for an internal service; counts the requests that reach it. */
async function internalService(t: import('ava').ExecutionContext) {
  let reached = 0;
  const server = createServer((_req, res) => {
    reached++;
    res.end('internal admin page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, reached: () => reached };
}

test('an undici pool with the guarded connector never reaches a forbidden address, by name or by literal IP', async (t) => {
  const service = await internalService(t);
  const dns = fakeDns({ 'wallet.example': ['127.0.0.1'] });
  for (const origin of [`http://wallet.example:${service.port}`, `http://127.0.0.1:${service.port}`, `http://[::ffff:127.0.0.1]:${service.port}`]) {
    const pool = new Pool(origin, { connect: guardedConnect({ timeout: 1_000 }, { allowPrivateTargets: false }, dns.lookup) });
    t.teardown(() => pool.close());
    const error = await t.throwsAsync(pool.request({ path: '/', method: 'GET' }));
    t.is((error as NodeJS.ErrnoException).code, 'FORBIDDEN_TARGET', origin);
  }
  t.is(service.reached(), 0, 'the internal service got no request');

  // Private targets allowed (outside production): the options go to undici as given, and the service is reached.
  t.is(typeof guardedConnect({ timeout: 1_000 }, { allowPrivateTargets: true }), 'object');
  const allowed = new Pool(`http://127.0.0.1:${service.port}`, { connect: guardedConnect({ timeout: 1_000 }, { allowPrivateTargets: true }) });
  t.teardown(() => allowed.close());
  const answer = await allowed.request({ path: '/', method: 'GET' });
  t.is(answer.statusCode, 200);
  await answer.body.dump();
  t.is(service.reached(), 1);
});

test('an admin may not set a URL whose host is or resolves to a forbidden address, unless private targets are allowed', async (t) => {
  const dns = fakeDns({ 'wallet.example': ['93.184.216.34'], 'internal.example': ['10.1.2.3'], 'v6.example': ['fd00::5'] });
  const strict = { allowPrivateTargets: false, requireHttps: false };
  for (const url of ['http://127.0.0.1:4000', 'http://[::1]/', 'http://localhost:4000', 'http://api.localhost/', 'http://169.254.169.254/latest/meta-data',
    'http://[::ffff:10.0.0.1]/', 'http://2130706433/', 'http://0x7f.1/', 'http://0.0.0.0:80', 'http://internal.example/', 'https://v6.example/hooks']) {
    t.regex((await outboundUrlProblem(url, 'wallet', strict, dns.lookup)) ?? '', /must not point at a loopback, private, link-local, CGNAT or unspecified address/, url);
  }
  t.is(await outboundUrlProblem('https://wallet.example/rgs', 'wallet', strict, dns.lookup), undefined);
  t.is(await outboundUrlProblem('https://93.184.216.34/', 'webhook', strict, dns.lookup), undefined);
  t.is(await outboundUrlProblem('https://not-yet-in-dns.example/', 'webhook', strict, dns.lookup), undefined, 'a name that does not resolve yet: the connect-time guard decides');

  const asked = dns.asked.length;
  t.is(await outboundUrlProblem('http://10.1.2.3/', 'wallet', { allowPrivateTargets: true, requireHttps: false }, dns.lookup), undefined);
  t.is(dns.asked.length, asked, 'nothing to look up when private targets are allowed');
});

test('in production a wallet or webhook URL must be https; a wallet may use http only to an allowed private target', async (t) => {
  const dns = fakeDns({ 'wallet.example': ['93.184.216.34'], 'walletmock': ['172.18.0.5'] });
  const production = { allowPrivateTargets: false, requireHttps: true };
  const productionPrivate = { allowPrivateTargets: true, requireHttps: true };
  t.is(await outboundUrlProblem('http://wallet.example/', 'wallet', production, dns.lookup), 'must use https in production');
  t.is(await outboundUrlProblem('http://wallet.example/', 'webhook', production, dns.lookup), 'must use https in production');
  t.is(await outboundUrlProblem('https://wallet.example/', 'wallet', production, dns.lookup), undefined);
  t.is(await outboundUrlProblem('http://wallet.example/', 'wallet', productionPrivate, dns.lookup), 'must use https in production');
  t.is(await outboundUrlProblem('http://walletmock:4000', 'wallet', productionPrivate, dns.lookup), undefined);
  t.is(await outboundUrlProblem('http://127.0.0.1:4000', 'wallet', productionPrivate, dns.lookup), undefined);
  t.is(await outboundUrlProblem('http://127.0.0.1:4000', 'webhook', productionPrivate, dns.lookup), 'must use https in production');
});
