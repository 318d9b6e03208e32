import dns, { type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import type { Env } from '../config/env.ts';

// SPEC §6/§7/§11: the RGS calls URLs that operators choose (wallets, webhook receivers).
// Unless ALLOW_PRIVATE_TARGETS, such a URL may not reach this side of the network:
// loopback, private, link-local (the cloud metadata service at 169.254.169.254), CGNAT or
// unspecified addresses, IPv4-mapped IPv6 forms included. It is checked when an admin
// sets the URL (a 400 naming the field), and again each time a connection is opened,
// against the addresses the name resolves to then: a name that resolved to a public
// address when it was set may resolve to 127.0.0.1 later (DNS rebinding).

/** How far outbound calls may reach, derived once from the environment. */
export interface OutboundTargetPolicy {
  /** ALLOW_PRIVATE_TARGETS; unset: true outside production, false in production. */
  allowPrivateTargets: boolean;
  /** Production: wallet and webhook URLs are https (a wallet on a private network allowed above excepted). */
  requireHttps: boolean;
}

export function outboundTargetPolicy(env: Pick<Env, 'NODE_ENV' | 'ALLOW_PRIVATE_TARGETS'>): OutboundTargetPolicy {
  const production = env.NODE_ENV === 'production';
  return {
    allowPrivateTargets: env.ALLOW_PRIVATE_TARGETS === undefined ? !production : env.ALLOW_PRIVATE_TARGETS === 'true',
    requireHttps: production,
  };
}

const forbidden = new BlockList();
forbidden.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", 0.0.0.0 (unspecified) included
forbidden.addSubnet('10.0.0.0', 8, 'ipv4'); // RFC 1918
forbidden.addSubnet('100.64.0.0', 10, 'ipv4'); // CGNAT (RFC 6598)
forbidden.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback
forbidden.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, the metadata service included
forbidden.addSubnet('172.16.0.0', 12, 'ipv4'); // RFC 1918
forbidden.addSubnet('192.168.0.0', 16, 'ipv4'); // RFC 1918
forbidden.addAddress('::', 'ipv6'); // unspecified
forbidden.addAddress('::1', 'ipv6'); // loopback
forbidden.addSubnet('fc00::', 7, 'ipv6'); // unique local
forbidden.addSubnet('fe80::', 10, 'ipv6'); // link-local
forbidden.addSubnet('fec0::', 10, 'ipv6'); // site-local (deprecated, still routed by some stacks)

/** Whether an IP address is one an outbound call may not reach. BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 ranges. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return forbidden.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `localhost` and its subdomains (RFC 6761) always mean this machine, whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

const FORBIDDEN_TARGET = 'must not point at a loopback, private, link-local, CGNAT or unspecified address';

/** A connection refused by the guard. Its message names no address: operators read it in error fields. */
export class ForbiddenTargetError extends Error {
  override name = 'ForbiddenTargetError';
  readonly code = 'FORBIDDEN_TARGET';
  constructor() {
    super(`target ${FORBIDDEN_TARGET}`);
  }
}

/** dns.lookup with `all: true`, the part of it the guard uses (a fake in tests). */
export type LookupAll = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for net/tls.connect that resolves the name and refuses the connection when
 * any address it resolves to is forbidden, so the address checked is the one connected
 * to. (Refusing a mixed answer rather than picking the allowed addresses: a name that
 * resolves into the private network is not one an operator should use.)
 */
export function guardedLookup(lookup: LookupAll = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    if (isLocalhostName(hostname)) {
      callback(new ForbiddenTargetError(), '');
      return;
    }
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      if (addresses.length === 0 || addresses.some((entry) => isForbiddenAddress(entry.address))) return callback(new ForbiddenTargetError(), '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * undici's `connect` option for a Pool or Agent that calls operators' URLs: as given when
 * private targets are allowed; otherwise a connector that refuses a literal forbidden IP
 * (net.connect looks no IP up) and resolves names through `guardedLookup`.
 */
export function guardedConnect(
  options: buildConnector.BuildOptions,
  policy: Pick<OutboundTargetPolicy, 'allowPrivateTargets'>,
  lookup?: LookupAll,
): buildConnector.BuildOptions | buildConnector.connector {
  if (policy.allowPrivateTargets) return options;
  const connect = buildConnector({ ...options, lookup: guardedLookup(lookup) });
  return (target, callback) => {
    // undici hands over IPv6 literals without their brackets.
    if (isIP(target.hostname) && isForbiddenAddress(target.hostname)) {
      callback(new ForbiddenTargetError(), null);
      return;
    }
    connect(target, callback);
  };
}

const ADMIN_LOOKUP_TIMEOUT_MS = 3_000;

/** What an admin-time lookup found; nothing when the name does not resolve (yet): the connect-time guard decides then. */
function resolveForCheck(hostname: string, lookup: LookupAll): Promise<string[]> {
  if (isLocalhostName(hostname)) return Promise.resolve(['127.0.0.1']);
  if (isIP(hostname)) return Promise.resolve([hostname]);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), ADMIN_LOOKUP_TIMEOUT_MS);
    lookup(hostname, { all: true }, (error, addresses) => {
      clearTimeout(timer);
      resolve(error ? [] : addresses.map((entry) => entry.address));
    });
  });
}

/**
 * Why an admin may not set `url` as a wallet or webhook URL, or undefined when it may.
 * In production a URL must be https; a wallet URL may be plain http only to a private
 * target that ALLOW_PRIVATE_TARGETS allows (a wallet on the deployment's own network).
 * Webhooks are sent over https only in production (webhooks/sender.ts), whatever the host.
 */
export async function outboundUrlProblem(
  url: string,
  kind: 'wallet' | 'webhook',
  policy: OutboundTargetPolicy,
  lookup: LookupAll = dns.lookup,
): Promise<string | undefined> {
  const parsed = new URL(url);
  const plainHttp = parsed.protocol !== 'https:';
  const mustCheckHttps = policy.requireHttps && plainHttp;
  if (policy.allowPrivateTargets && !mustCheckHttps) return undefined;
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = await resolveForCheck(hostname, lookup);
  const privateTarget = addresses.some(isForbiddenAddress);
  if (privateTarget && !policy.allowPrivateTargets) return FORBIDDEN_TARGET;
  const privateOnly = privateTarget && addresses.every(isForbiddenAddress);
  if (mustCheckHttps && !(kind === 'wallet' && privateOnly)) return 'must use https in production';
  return undefined;
}
