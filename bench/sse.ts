import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { cpuDelta, sampleCpu } from './cpu.ts';
import type { LevelResult } from './load.ts';
import { runPacedLevel } from './paced.ts';
import { rssMb } from './processes.ts';

// The SSE part of `npm run bench`: N idle GET /stream clients on one node (or spread over
// several, round robin) for the bench operator, then bets driven over all nodes while they are connected. A sample of the
// clients parses every frame and measures publish→receive latency as the receive time
// minus the event's `occurredAt` (stamped by the node when it creates the event, inside
// the bet's transaction, before commit; same machine clock, ms resolution); the others
// only drain their sockets. The bets are offered open loop at a fixed rate, so the fan-out's
// demand does not depend on how fast the nodes answer. sse-phase.ts runs it once per shape.


const BATCH = 500;
const OPEN_TIMEOUT_MS = 15_000;
/** File descriptors kept free for everything else in a process (sockets to Postgres, Redis, files). */
const FD_RESERVE = 1_000;

export interface SseOptions {
  /** Client i connects to nodeUrls[i % length]. */
  nodeUrls: string[];
  /** Those nodes' pids (empty: unknown). */
  nodePids: number[];
  loadUrls: string[];
  apiKey: string;
  tokens: string[];
  /**
   * When given, client i is filtered to player `playerIds[i % length]` (`?playerId=`), and
   * the load bets only for the first `min(clients, length)` players (tokens[i] is playerIds[i]'s),
   * so every event has a watcher; otherwise clients are unfiltered.
   */
  playerIds?: string[];
  keyPrefix: string;
  requested: number;
  sample: number;
  durationS: number;
  /** Bets per second offered over all nodes while the clients are connected. */
  ratePerS: number;
  /** Connections per node the bet generator may open. */
  connectionsPerUrl: number;
  log: (line: string) => void;
  /** Events of the operator in the database (to count those the load produced); optional. */
  countEvents?: () => Promise<number>;
  /** After the load, how long to wait for the sampled clients to receive the backlog (s). */
  drainMaxS?: number;
}

export interface SseResult {
  requested: number;
  /** Clients actually opened (requested, capped by the fd limits). */
  attempted: number;
  capNote: string | undefined;
  connected: number;
  /** Non-200 statuses and open errors, with counts. */
  openFailures: Map<string, number>;
  openSeconds: number;
  /** RSS of the nodes with the clients, summed. */
  rssBefore: number | undefined;
  rssAfter: number | undefined;
  /** Distinct event ids seen by the sampled clients (load + drain). */
  events: number;
  /** Events the database gained during the load (undefined: not counted). */
  eventsProduced: number | undefined;
  /** Distinct event ids seen by the sampled clients by the end of the load itself. */
  eventsByLoadEnd: number;
  /** Seconds after the load until the sampled clients stopped receiving (or the drain cap). */
  drainSeconds: number;
  drainCapped: boolean;
  latencies: Float64Array;
  sampled: number;
  framesPerSample: { min: number; max: number; mean: number };
  /** Connected clients whose stream ended (or errored) before the bench closed them. */
  disconnects: number;
  /** Control frames the sampled clients got (stream.end / stream.reset), with counts. */
  controlFrames: Map<string, number>;
  /** CPU ms per s of the nodes with the clients, from the load's start to the end of the drain (undefined: no pid). */
  nodeCpuMsPerS: number | undefined;
  load: LevelResult;
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Soft and hard "Max open files" of a process from /proc/<pid>/limits (undefined if unreadable; Infinity if unlimited). */
function openFilesLimits(pid: number | 'self'): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const [soft, hard] = (line?.split(/\s{2,}/) ?? []).slice(1, 3).map((raw) => (raw === 'unlimited' ? Number.POSITIVE_INFINITY : Number(raw)));
    return soft !== undefined && hard !== undefined && !Number.isNaN(soft) && !Number.isNaN(hard) ? { soft, hard } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `ulimit -n` is per process and node has no setrlimit: the soft open-files limit of this
 * process and of the nodes is raised to its hard limit with util-linux `prlimit --pid`
 * (allowed for one's own processes; raising the hard limit needs privileges). Returns the
 * soft limit afterwards (undefined: unknown or unlimited).
 */
function raiseOpenFiles(pid: number | 'self'): number | undefined {
  const limits = openFilesLimits(pid);
  if (!limits) return undefined;
  if (limits.soft < limits.hard && Number.isFinite(limits.hard)) {
    try {
      execFileSync('prlimit', ['--pid', String(pid === 'self' ? process.pid : pid), `--nofile=${limits.hard}:${limits.hard}`], { stdio: 'ignore' });
    } catch {
      // No prlimit, or not allowed: the soft limit stays, and the cap says so.
    }
  }
  const soft = openFilesLimits(pid)?.soft;
  return soft === undefined || !Number.isFinite(soft) ? undefined : soft;
}

/** The client count that fits the bench's and the nodes' fd limits (each client holds one fd in the bench and one in its node), after raising them. */
export function capClients(requested: number, nodePids: number[]): { count: number; note: string | undefined } {
  const limits: string[] = [];
  let fits = Number.POSITIVE_INFINITY;
  const own = raiseOpenFiles('self');
  if (own !== undefined) {
    limits.push(`bench process ${own}`);
    fits = Math.min(fits, own - FD_RESERVE);
  }
  for (const pid of nodePids) {
    const node = raiseOpenFiles(pid);
    if (node !== undefined) {
      limits.push(`node pid ${pid} ${node}`);
      // The clients are spread round robin: each node holds its share of them.
      fits = Math.min(fits, (node - FD_RESERVE) * nodePids.length);
    }
  }
  const described = limits.length ? `open-files limits after raising soft to hard: ${limits.join(', ')}; ${FD_RESERVE} kept free in each` : 'open-files limits unknown';
  if (requested <= fits) return { count: requested, note: undefined };
  const count = Math.max(0, Math.floor(fits));
  return { count, note: `capped at ${count} of ${requested} requested (${described}; a higher hard limit needs root, e.g. LimitNOFILE= or /etc/security/limits.conf)` };
}

interface Client {
  request: http.ClientRequest;
  status: number;
  sampled: boolean;
  closing: boolean;
  ended: boolean;
  frames: number;
}

export async function runSse(options: SseOptions): Promise<SseResult> {
  const { log } = options;
  const cap = capClients(options.requested, options.nodePids);
  if (cap.note) log(`SSE: ${cap.note}`);
  const attempted = cap.count;
  const urls = options.nodeUrls.map((nodeUrl) => new URL('/stream', nodeUrl));
  const headers = { accept: 'text/event-stream', 'x-operator-key': options.apiKey };
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

  const clients: Client[] = [];
  const openFailures = new Map<string, number>();
  const seen = new Set<string>();
  const latencies: number[] = [];
  const controlFrames = new Map<string, number>();
  let measuring = false;
  let disconnects = 0;

  const onFrame = (client: Client, event: string, data: string, receivedAt: number) => {
    if (event === 'stream.end' || event === 'stream.reset') {
      increment(controlFrames, `${event} ${data}`);
      return;
    }
    if (!measuring) return;
    client.frames++;
    try {
      const parsed = JSON.parse(data) as { id?: string; occurredAt?: string };
      if (parsed.id) seen.add(parsed.id);
      if (parsed.occurredAt) latencies.push(receivedAt - Date.parse(parsed.occurredAt));
    } catch {
      increment(controlFrames, `unparsable data: ${data.slice(0, 80)}`);
    }
  };

  const open = (sampled: boolean, index: number) =>
    new Promise<void>((resolve) => {
      const client: Client = { request: undefined as unknown as http.ClientRequest, status: 0, sampled, closing: false, ended: false, frames: 0 };
      const playerId = options.playerIds?.[index % options.playerIds.length];
      const url = urls[index % urls.length]!;
      const request = http.request(playerId === undefined ? url : new URL(`?playerId=${encodeURIComponent(playerId)}`, url), { headers, agent });
      client.request = request;
      const timer = setTimeout(() => request.destroy(new Error(`no response head in ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
      const lost = () => {
        if (client.ended) return;
        client.ended = true;
        if (client.status === 200 && !client.closing) disconnects++;
      };
      request.on('error', (error) => {
        clearTimeout(timer);
        if (client.status === 0) {
          increment(openFailures, `error: ${error.message}`);
          resolve();
        } else lost();
      });
      request.once('response', (response) => {
        clearTimeout(timer);
        client.status = response.statusCode ?? 0;
        if (client.status !== 200) {
          increment(openFailures, `HTTP ${client.status}`);
          response.resume();
          response.once('end', () => request.destroy());
          resolve();
          return;
        }
        clients.push(client);
        response.once('end', lost);
        response.once('close', lost);
        response.on('error', lost);
        if (!sampled) {
          // Idle client: read and discard, so the node never sees it as slow.
          response.resume();
        } else {
          response.setEncoding('utf8');
          let pending = '';
          let event = 'message';
          let data: string[] = [];
          response.on('data', (chunk: string) => {
            const receivedAt = Date.now();
            pending += chunk;
            const lines = pending.split(/\r\n|\r|\n/);
            pending = lines.pop() ?? '';
            for (const line of lines) {
              if (line === '') {
                if (data.length) onFrame(client, event, data.join('\n'), receivedAt);
                event = 'message';
                data = [];
              } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
              else if (line.startsWith('event:')) event = line.slice(6).replace(/^ /, '');
            }
          });
        }
        resolve();
      });
      request.end();
    });

  const nodePids = options.nodePids;
  const rssOfNodes = () => (nodePids.length ? nodePids.reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0) : undefined);
  const rssBefore = rssOfNodes();
  const openStart = Date.now();
  // The sampled clients are spread over the batches (first of each stride), not all first.
  const stride = Math.max(1, Math.floor(attempted / Math.max(1, options.sample)));
  let sampledCount = 0;
  for (let start = 0; start < attempted; start += BATCH) {
    const batch: Promise<void>[] = [];
    for (let index = start; index < Math.min(attempted, start + BATCH); index++) {
      const sampled = index % stride === 0 && sampledCount < options.sample;
      if (sampled) sampledCount++;
      batch.push(open(sampled, index));
    }
    await Promise.all(batch);
    if ((start / BATCH) % 4 === 3 || start + BATCH >= attempted) log(`SSE: ${clients.length} of ${Math.min(attempted, start + BATCH)} opened so far`);
  }
  const openSeconds = (Date.now() - openStart) / 1000;
  const connected = clients.length;
  // Let the node settle (GC, the operator's stream reader) before the "after" RSS.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const rssAfter = rssOfNodes();
  log(
    `SSE: ${connected} of ${attempted} clients connected in ${openSeconds.toFixed(1)} s; node RSS ${rssBefore?.toFixed(1) ?? 'n/a'} → ${rssAfter?.toFixed(1) ?? 'n/a'} MB` +
      (openFailures.size ? `; failures ${JSON.stringify(Object.fromEntries(openFailures))}` : ''),
  );

  const eventsBefore = await options.countEvents?.();
  const cpuBefore = sampleCpu(nodePids, undefined, []);
  const cpuFrom = Date.now();
  measuring = true;
  log(`SSE: bets at ${options.ratePerS}/s offered × ${options.durationS} s while the clients are connected`);
  const load = await runPacedLevel({
    urls: options.loadUrls,
    ratePerS: options.ratePerS,
    connectionsPerUrl: options.connectionsPerUrl,
    durationS: options.durationS,
    apiKey: options.apiKey,
    tokens: options.playerIds ? options.tokens.slice(0, Math.min(attempted, options.playerIds.length)) : options.tokens,
    keyPrefix: options.keyPrefix,
  });
  const eventsByLoadEnd = seen.size;
  // Settlements of the last requests, the relay's last pass and the fan-out's backlog:
  // wait until the sampled clients have every event the database gained (or nothing new
  // arrived for 15 s; 3 s without a count), at most drainMaxS.
  const drainStart = Date.now();
  const drainMaxMs = (options.drainMaxS ?? 60) * 1000;
  let eventsProduced: number | undefined;
  let lastSeen = -1;
  let lastChange = Date.now();
  let drainCapped = false;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (eventsBefore !== undefined) eventsProduced = (await options.countEvents!()) - eventsBefore;
    if (seen.size !== lastSeen) {
      lastSeen = seen.size;
      lastChange = Date.now();
    }
    // With the database's count known, only a long silence ends the wait early.
    const quiet = Date.now() - lastChange >= (eventsProduced === undefined ? 3_000 : 15_000);
    if (Date.now() - drainStart >= 2_000 && ((eventsProduced !== undefined && seen.size >= eventsProduced) || quiet)) break;
    if (Date.now() - drainStart >= drainMaxMs) {
      drainCapped = true;
      break;
    }
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  measuring = false;
  const nodeCpuMsPerS = nodePids.length ? cpuDelta(cpuBefore, sampleCpu(nodePids, undefined, [])).nodes / ((Date.now() - cpuFrom) / 1000) : undefined;
  log(
    `SSE: sampled clients saw ${eventsByLoadEnd} events by the load's end, ${seen.size} after ${drainSeconds.toFixed(1)} s more` +
      `${eventsProduced === undefined ? '' : `; the database gained ${eventsProduced}`}${drainCapped ? ' (drain cap reached)' : ''}`,
  );

  const sampledClients = clients.filter((client) => client.sampled);
  const frames = sampledClients.map((client) => client.frames);
  const result: SseResult = {
    requested: options.requested,
    attempted,
    capNote: cap.note,
    connected,
    openFailures,
    openSeconds,
    rssBefore,
    rssAfter,
    events: seen.size,
    eventsProduced,
    eventsByLoadEnd,
    drainSeconds,
    drainCapped,
    latencies: Float64Array.from(latencies).sort(),
    sampled: sampledClients.length,
    framesPerSample: {
      min: frames.length ? Math.min(...frames) : 0,
      max: frames.length ? Math.max(...frames) : 0,
      mean: frames.length ? frames.reduce((sum, count) => sum + count, 0) / frames.length : 0,
    },
    disconnects,
    controlFrames,
    nodeCpuMsPerS,
    load,
  };

  for (const client of clients) {
    client.closing = true;
    client.request.destroy();
  }
  agent.destroy();
  // Give the node a moment to see the closes before anything else is measured.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  log(`SSE: closed ${clients.length} clients`);
  return result;
}


