import { Cluster, type Redis } from 'ioredis';
import { slotOf } from '../../../queues/partitions.ts';
import { operatorTag, type RedisClient } from '../../shared/redis.ts';
import { promotableReplicas } from './promotable-replicas.ts';

/** The operator's Redis Stream (ioredis adds REDIS_PREFIX). */
export const streamKey = (operatorId: string) => `stream:${operatorTag(operatorId)}`;
/** "txid:seq" of the last event appended to the operator's stream. */
export const positionKey = (operatorId: string) => `stream-position:${operatorTag(operatorId)}`;

// Appends one relay pass's events of one operator, each at most once. The relay appends in
// (txid, seq) order, so a stream's position (the last pair appended) tells which events
// of a repeated pass are in already: a pass that appended and then could not commit its
// cursor (a node died, Postgres lost that asynchronous commit), or one whose snapshot
// predates another node's pass. A Redis that restarted empty has no position, and gets
// every event the cursor has not passed.
// Retention (SPEC §7): trim only entries that are both beyond the length bound and older
// than the age bound, so at least max(24 h, 100,000 events) stays. The range asked for
// ends at the age bound, so a pass reads only entries it deletes: a stream past its length
// bound whose entries are all younger (any operator with more than 100,000 events a day)
// costs nothing here. (It used to read the oldest 1,000 entries on every pass and then
// find them too young: the bench measured Redis at ~0.8 ms of CPU per bet once a stream
// passed 100,000 events, against ~0.03 before.)
const APPEND_EVENTS = `
local function before(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local position = redis.call('GET', KEYS[2])
local lastTxid, lastSeq = '', ''
if position then lastTxid, lastSeq = string.match(position, '^(%d+):(%d+)$') end
if not lastTxid then position, lastTxid, lastSeq = false, '', '' end
local appended = 0
for i = 3, #ARGV, 3 do
  local txid, seq = ARGV[i], ARGV[i + 1]
  if not position or before(lastTxid, txid) or (lastTxid == txid and before(lastSeq, seq)) then
    redis.call('XADD', KEYS[1], '*', 'event', ARGV[i + 2])
    lastTxid, lastSeq, position = txid, seq, true
    appended = appended + 1
  end
end
if appended > 0 then redis.call('SET', KEYS[2], lastTxid .. ':' .. lastSeq) end
local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[1])
if excess > 0 then
  local old = redis.call('XRANGE', KEYS[1], '-', ARGV[2], 'COUNT', math.min(excess, 1000))
  if #old > 0 then
    local ids = {}
    for i, entry in ipairs(old) do ids[i] = entry[1] end
    redis.call('XDEL', KEYS[1], unpack(ids))
  end
end
return appended`;

export interface StreamRetention {
  maxLen: number;
  retentionMs: number;
}

/** One event to append: its place in the relay's order (txid, seq, as decimal text) and its JSON. */
export interface StreamEvent {
  txid: string;
  seq: string;
  json: string;
}

/** A connection with the `appendEvents` script defined (EVALSHA, loaded on demand). */
interface AppendCapable {
  /** `lastTrimmableMs`: the newest millisecond whose entries are old enough to trim (a bare-ms end of XRANGE takes all of it). */
  appendEvents(stream: string, position: string, maxLen: number, lastTrimmableMs: number, ...events: string[]): Promise<number>;
}

export function defineAppendEvents(redis: RedisClient): void {
  redis.defineCommand('appendEvents', { numberOfKeys: 2, lua: APPEND_EVENTS });
}

/**
 * How long an append waits for its master's replica to confirm it (WAIT). On loopback a
 * replica answers in well under a millisecond; a replica that does not within this long
 * is stuck or cut off, and the pass is retried rather than trusted.
 */
const REPLICA_WAIT_MS = 1_000;

/**
 * The appends of one pass not yet held by a replica: the relay must not move its Postgres
 * cursor past them (the master may die before replicating, and the replica that takes
 * over would lack them for good). The pass is rolled back and retried; the stream's
 * position keeps the retry from appending twice on a master that survived.
 */
class AppendNotReplicatedError extends Error {
  constructor(operatorId: string, why: string) {
    super(`event relay: the append to operator ${operatorId}'s stream is not confirmed: ${why}`);
  }
}

// Per operator stream: whether its master had, at its last append, a replica that could
// take over (connected or not: promotableReplicas). A master without one has nothing to
// wait for, and WAIT would block each pass for REPLICA_WAIT_MS; it is asked again (ROLE
// and CLUSTER NODES, in the same round trip) on every append. A master whose replica is
// known but disconnected is waited for: no pass can be confirmed meanwhile, WAIT paces
// their retries, and it confirms the append as soon as the replica is back in sync.
const masterHasReplicas = new Map<string, boolean>();

/** ROLE's answer: `['master', offset, [[host, port, offset], …]]` on a master, whose replicas connected now it lists. */
function connectedReplicas(role: unknown): number | undefined {
  if (!Array.isArray(role) || role[0] !== 'master') return undefined;
  return Array.isArray(role[2]) ? role[2].length : 0;
}

/**
 * The connection the cluster client uses for the master of the operator's slot, as its
 * slot map says now (ioredis updates it on MOVED): the one that just ran the append.
 */
function masterConnectionOf(redis: Cluster, operatorId: string): Redis | undefined {
  const address = redis.slots[slotOf(`op:${operatorId}`)]?.[0];
  return redis.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === address);
}

/**
 * Appends one operator's events, in relay order, through a connection passed to
 * `defineAppendEvents`; resolves the number appended. Not on a pipeline of several
 * operators: on a cluster their streams are on different masters, and ioredis sends the
 * calls of one pass together anyway (they are written to each socket back to back).
 *
 * On a Redis Cluster, replication is asynchronous: an entry only the master holds dies
 * with it on a failover. So after the script, `WAIT 1` and `ROLE` go to that master on
 * the connection that ran it (WAIT waits for that connection's own writes): one more
 * round trip per operator per pass, not per event. Not in one pipeline with the script:
 * a pipeline whose script meets MOVED or ASK (a resharding) while WAIT and ROLE succeed
 * is not redirected by ioredis. It resolves once a replica holds the append, or when
 * that master has no replica that could take over (nothing to fail over to, nothing to
 * wait for); otherwise it rejects with AppendNotReplicatedError. ROLE lists only
 * replicas whose link is up, so when it lists none, that master's CLUSTER NODES decides
 * (promotableReplicas): a replica that is down or syncing but not failed can still be
 * promoted. That costs a round trip only then; a master that had no such replica at
 * the last append gets CLUSTER NODES in the round trip of ROLE instead of WAIT.
 * (Mid-resharding, after an ASK, the slot map still names the old master, whose WAIT
 * then confirms nothing of this append: a resharding and a failover in the same moment
 * can still lose it.) One Redis (REDIS_URL) has no failover: no WAIT.
 */
export async function appendEvents(redis: RedisClient, operatorId: string, events: StreamEvent[], retention: StreamRetention): Promise<number> {
  const appended = await (redis as unknown as AppendCapable).appendEvents(
    streamKey(operatorId),
    positionKey(operatorId),
    retention.maxLen,
    Date.now() - retention.retentionMs - 1,
    ...events.flatMap((event) => [event.txid, event.seq, event.json]),
  );
  if (!(redis instanceof Cluster)) return appended;
  const master = masterConnectionOf(redis, operatorId);
  if (!master) throw new AppendNotReplicatedError(operatorId, 'its master is not in the slot map');
  const waitForReplica = masterHasReplicas.get(operatorId) ?? true;
  const pipeline = master.pipeline();
  if (waitForReplica) pipeline.wait(1, REPLICA_WAIT_MS);
  pipeline.role();
  if (!waitForReplica) pipeline.cluster('NODES');
  const replies = (await pipeline.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  const [acknowledged, role, nodes] = waitForReplica ? [replies[0]![1] as number, replies[1]![1], undefined] : [0, replies[0]![1], replies[1]![1]];
  if (acknowledged >= 1) return appended;
  const connected = connectedReplicas(role);
  if (connected === undefined) throw new AppendNotReplicatedError(operatorId, 'the node its slot map names is no master now');
  if (connected > 0) {
    masterHasReplicas.set(operatorId, true);
    // Also when WAIT was left out: a replica connected since the last append, and this
    // append was not waited for. The retry waits.
    throw new AppendNotReplicatedError(operatorId, `none of its master's ${connected} connected replicas confirmed it within ${REPLICA_WAIT_MS} ms`);
  }
  const promotable = promotableReplicas(String(nodes ?? (await master.cluster('NODES'))));
  if (promotable === undefined) throw new AppendNotReplicatedError(operatorId, 'the node its slot map names is no master now');
  masterHasReplicas.set(operatorId, promotable > 0);
  if (promotable > 0) throw new AppendNotReplicatedError(operatorId, `${promotable} of its master's replicas could still be promoted but are not connected (down or syncing)`);
  return appended;
}
