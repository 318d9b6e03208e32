import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// CPU time by process group from /proc, so each level can say how many milliseconds of
// CPU one settled bet cost in the nodes, Postgres, Redis, the wallet mock and the load
// generator, and how busy the machine's cores were.

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of one process, in ms (undefined when it is gone). */
function processCpuMs(pid: number | string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Total CPU ms of every process whose command name is `comm` (e.g. redis-server). */
function cpuMsByComm(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    total += processCpuMs(entry) ?? 0;
  }
  return total;
}

/** Busy and total CPU ms over all cores, from /proc/stat. */
function machineMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: ((total - idle) * 1000) / TICKS_PER_SECOND, total: (total * 1000) / TICKS_PER_SECOND };
}

export interface CpuSample {
  nodes: number;
  /** Each node's own, in the order of the pids given. */
  eachNode: number[];
  wallet: number;
  /** Per Postgres process (the benchmark database's backends and the WAL/checkpoint writers). */
  postgres: Map<number, number>;
  redis: number;
  loadgen: number;
  machineBusy: number;
  machineTotal: number;
}

export interface CpuTotals {
  nodes: number;
  eachNode: number[];
  wallet: number;
  postgres: number;
  redis: number;
  loadgen: number;
  machineBusy: number;
  machineTotal: number;
}

export function sampleCpu(nodePids: number[], walletPid: number | undefined, postgresPids: number[]): CpuSample {
  const self = process.cpuUsage();
  const machine = machineMs();
  const postgres = new Map<number, number>();
  for (const pid of postgresPids) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) postgres.set(pid, ms);
  }
  const eachNode = nodePids.map((pid) => processCpuMs(pid) ?? 0);
  return {
    nodes: eachNode.reduce((sum, ms) => sum + ms, 0),
    eachNode,
    wallet: walletPid === undefined ? 0 : (processCpuMs(walletPid) ?? 0),
    postgres,
    // One Redis for everything on this machine: other users' commands count here too.
    redis: cpuMsByComm('redis-server'),
    loadgen: (self.user + self.system) / 1000,
    machineBusy: machine.busy,
    machineTotal: machine.total,
  };
}

/**
 * CPU spent between two samples. A Postgres process first seen in `after` started during
 * the interval (a pool opening a connection), so all of its CPU counts; one that exited
 * in between takes its CPU with it (the nodes' pools keep theirs open).
 */
export function cpuDelta(before: CpuSample, after: CpuSample): CpuTotals {
  let postgres = 0;
  for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0);
  return {
    nodes: after.nodes - before.nodes,
    eachNode: after.eachNode.map((ms, index) => ms - (before.eachNode[index] ?? 0)),
    wallet: after.wallet - before.wallet,
    postgres,
    redis: after.redis - before.redis,
    loadgen: after.loadgen - before.loadgen,
    machineBusy: after.machineBusy - before.machineBusy,
    machineTotal: after.machineTotal - before.machineTotal,
  };
}
