import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BetEvent, BetInput } from '../machines/bet.machine.ts';
import type { BetStep } from '../machines/bet.runtime-api.ts';

// The bet machine's cost per call, in process: `startBet` (a bet's first transition, at
// placement) and `advanceBet` on the stored JSON for each transition a settlement makes.
// A bet makes 2 (lost, rejected), 3 (won) or 4 (won through the outbox) of them. Two
// cases time a whole won bet: advanced live, as the node that placed it does, and from
// storage at every step, as a job or the sweeper does.
//
//   node --import tsx bench/machine.ts [runtime-api module ...]
//
// Without arguments it measures machines/bet.runtime-api.ts. Given several modules (e.g.
// the same file in a worktree of another commit) it measures each, round after round in
// turn, so they share the machine's noise. BENCH_MACHINE_CALLS sets the calls per case
// and round (default 20,000), BENCH_MACHINE_ROUNDS the rounds (default 5); each figure
// is the median of the rounds.

interface RuntimeApi {
  startBet(input: BetInput): BetStep;
  advanceBet(persisted: unknown, event: BetEvent): BetStep;
}

const CALLS = Number(process.env.BENCH_MACHINE_CALLS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_MACHINE_ROUNDS ?? 5);
const AT = 1_000_000;

const winning: BetInput = { betId: 'bench-win', amount: 1000, payout: 1980, win: true };
const losing: BetInput = { betId: 'bench-loss', amount: 1000, payout: 0, win: false };

interface Case {
  name: string;
  /** Returns the call to time; its argument is prepared once, as stored JSON is parsed once per load. */
  prepare(api: RuntimeApi): () => BetStep;
}

// The stored snapshot as the runtime gets it back: parsed JSON, not the object it wrote.
const stored = (step: BetStep): unknown => JSON.parse(JSON.stringify(step.persisted));

const cases: Case[] = [
  { name: 'startBet (placement)', prepare: (api) => () => api.startBet(winning) },
  {
    name: 'advanceBet debiting → lost',
    prepare: (api) => {
      const debiting = stored(api.startBet(losing));
      return () => api.advanceBet(debiting, { type: 'DEBIT_SUCCEEDED', at: AT });
    },
  },
  {
    name: 'advanceBet debiting → crediting',
    prepare: (api) => {
      const debiting = stored(api.startBet(winning));
      return () => api.advanceBet(debiting, { type: 'DEBIT_SUCCEEDED', at: AT });
    },
  },
  {
    name: 'advanceBet crediting → won',
    prepare: (api) => {
      const crediting = stored(api.advanceBet(stored(api.startBet(winning)), { type: 'DEBIT_SUCCEEDED', at: AT }));
      return () => api.advanceBet(crediting, { type: 'CREDIT_SUCCEEDED', at: AT + 1 });
    },
  },
  {
    name: 'advanceBet debiting → rolling_back',
    prepare: (api) => {
      const debiting = stored(api.startBet(winning));
      return () => api.advanceBet(debiting, { type: 'DEBIT_FAILED', at: AT, error: 'timeout' });
    },
  },
  {
    name: 'advanceBet rolling_back → cancelled',
    prepare: (api) => {
      const rollingBack = stored(api.advanceBet(stored(api.startBet(winning)), { type: 'DEBIT_FAILED', at: AT, error: 'timeout' }));
      return () => api.advanceBet(rollingBack, { type: 'ROLLBACK_SUCCEEDED', at: AT + 1 });
    },
  },
  {
    // What a bet settled by the node that placed it costs: its steps stay live in process.
    name: 'a won bet in process (start + 2 live steps)',
    prepare: (api) => () => {
      const debiting = api.startBet(winning);
      const crediting = api.advanceBet(debiting.persisted, { type: 'DEBIT_SUCCEEDED', at: AT });
      return api.advanceBet(crediting.persisted, { type: 'CREDIT_SUCCEEDED', at: AT + 1 });
    },
  },
  {
    // The same bet when every step is read back from the database (jobs, the sweeper).
    name: 'a won bet from storage (start + 2 restored)',
    prepare: (api) => () => {
      const debiting = api.startBet(winning);
      const crediting = api.advanceBet(stored(debiting), { type: 'DEBIT_SUCCEEDED', at: AT });
      return api.advanceBet(stored(crediting), { type: 'CREDIT_SUCCEEDED', at: AT + 1 });
    },
  },
  {
    name: 'advanceBet ignored (lost, DEBIT_SUCCEEDED)',
    prepare: (api) => {
      const lost = stored(api.advanceBet(stored(api.startBet(losing)), { type: 'DEBIT_SUCCEEDED', at: AT }));
      return () => api.advanceBet(lost, { type: 'DEBIT_SUCCEEDED', at: AT });
    },
  },
];

/**
 * CPU µs (user + system, this process's threads, so GC helpers count) per call of `call`,
 * over CALLS calls. CPU rather than wall time, so that other processes on a shared
 * machine inflate the figures less.
 */
function time(call: () => BetStep): number {
  let sink = 0;
  const started = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) sink += call().events.length;
  const { user, system } = process.cpuUsage(started);
  if (sink < 0) console.log(sink); // keeps the calls from being optimised away
  return (user + system) / CALLS;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const modules = process.argv.length > 2 ? process.argv.slice(2) : ['machines/bet.runtime-api.ts'];
const apis: RuntimeApi[] = [];
for (const path of modules) apis.push((await import(pathToFileURL(resolve(path)).href)) as RuntimeApi);
const calls = apis.map((api) => cases.map((c) => c.prepare(api)));

// One untimed round warms the JIT for every module and case.
for (const perCase of calls) for (const call of perCase) for (let i = 0; i < 2000; i++) call();

const samples = apis.map(() => cases.map((): number[] => []));
for (let round = 0; round < ROUNDS; round++) {
  for (const [m, perCase] of calls.entries()) {
    for (const [c, call] of perCase.entries()) samples[m]![c]!.push(time(call));
  }
}

console.log(`CPU µs per call, median of ${ROUNDS} rounds of ${CALLS} calls (node ${process.version})`);
const width = Math.max(...cases.map((c) => c.name.length));
console.log(`${''.padEnd(width)}  ${modules.map((_, m) => `[${m + 1}]`.padStart(8)).join('')}`);
for (const [c, { name }] of cases.entries()) {
  console.log(`${name.padEnd(width)}  ${samples.map((perCase) => median(perCase[c]!).toFixed(2).padStart(8)).join('')}`);
}
for (const [m, path] of modules.entries()) console.log(`[${m + 1}] ${path}`);
