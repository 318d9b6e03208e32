import { rmSync } from 'node:fs';
import path from 'node:path';
import type { BenchTarget } from './cluster.ts';
import { config, type Failures } from './config.ts';
import { PROJECT_ROOT } from './processes.ts';
import { summariseProfiles, type ProfileSummary } from './profile.ts';
import { fmt, table } from './table.ts';

/** BENCH_PROFILE=1: the nodes' V8 profiles, cut to the closed-loop levels' window. */
export function summariseRunProfiles(run: { profileDir: string; target: BenchTarget; loadStart: number; loadEnd: number; failures: Failures }): ProfileSummary {
  const { target, loadStart, loadEnd } = run;
  const profile = summariseProfiles(run.profileDir, PROJECT_ROOT, (file) => {
    const name = path.basename(path.dirname(file));
    const spawned = target.spawnedAt.get(name);
    return spawned === undefined ? undefined : { fromMs: loadStart - spawned, toMs: loadEnd - spawned };
  });
  if (profile.files.length < target.nodes.length) run.failures.push(`expected ${target.nodes.length} CPU profiles, found ${profile.files.length}`);
  return profile;
}

/** The report's "where the CPU goes" section; deletes the profiles unless BENCH_PROFILE_DIR keeps them. */
export function profileReport(profile: ProfileSummary, nodesCpuMs: number, profileDir: string): string[] {
  const report: string[] = [];
  const busy = profile.busyMs || 1;
  report.push('');
  report.push(
    `where the CPU goes (nodes' V8 profiles, main threads, measured levels only: ${fmt(profile.busyMs, 0)} ms busy in ` +
      `${fmt(profile.windowMs, 0)} ms of wall time × ${profile.files.length} processes)`,
  );
  // V8 samples the thread on a wall clock: a thread preempted inside a syscall (a socket
  // write that woke a Postgres backend, on 2 busy cores) keeps being sampled there.
  const writes = profile.byFunction.filter((entry) => /^(writev|writeBuffer)$/.test(entry.name)).reduce((sum, entry) => sum + entry.ms, 0);
  const rest = Math.max(1, busy - writes);
  report.push(
    `  the nodes' own CPU time over the same window (/proc): ${fmt(nodesCpuMs, 0)} ms. V8 samples on a wall clock, so a thread that is ` +
      `preempted or waiting inside a syscall is still counted there; ${fmt(writes, 0)} ms sit in socket writes (writev/writeBuffer). ` +
      `"% excl. writes" is each entry's share of the other ${fmt(busy - writes, 0)} ms.`,
  );
  report.push(`  socket-write time by caller: ${profile.writesByCaller.map((entry) => `${entry.name} ${fmt(entry.ms, 0)} ms`).join(', ')}`);
  const isWrite = (name: string) => /^(writev|writeBuffer)$/.test(name);
  const shareExcl = (entry: { name: string; ms: number }) => (isWrite(entry.name) ? '-' : fmt((100 * entry.ms) / rest, 1));
  report.push('top 25 functions by self time (line:column in the transpiled code for project files):');
  report.push(
    table(
      ['self ms', '%', '% excl. writes', 'function  file:line:col'],
      profile.byFunction.map((entry) => [fmt(entry.ms, 0), fmt((100 * entry.ms) / busy, 1), shareExcl(entry), entry.name]),
    ),
  );
  report.push('by file / package:');
  report.push(table(['self ms', '%', 'file or package'], profile.byFile.map((entry) => [fmt(entry.ms, 0), fmt((100 * entry.ms) / busy, 1), entry.name])));
  if (config.keepProfiles) report.push(`profiles kept in ${profileDir}`);
  else rmSync(profileDir, { recursive: true, force: true });
  return report;
}
