import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './processes.ts';

// The machine's ceiling (../shared/bench/ceiling.sh, or $CEILING_SCRIPT): the rate of
// bet-shaped Postgres transactions with no application in between, measured in the same
// run so that bets/s can be reported as a ratio of it.

export interface Ceiling {
  tps: number;
  clients: number;
  p50Ms: number;
  p99Ms: number;
  line: string;
}

export function ceilingScript(): string {
  return process.env.CEILING_SCRIPT ?? path.resolve(PROJECT_ROOT, '../shared/bench/ceiling.sh');
}

export function runCeiling(log: (line: string) => void): Promise<Ceiling> {
  const script = ceilingScript();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: PROJECT_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      for (const line of (stderr + stdout).split('\n')) if (line.trim()) log(`  ${line}`);
      const line = stdout
        .split('\n')
        .filter((candidate) => candidate.startsWith('CEILING_BET_TPS='))
        .pop();
      const fields = Object.fromEntries((line ?? '').split(' ').map((pair) => pair.split('=') as [string, string]));
      const tps = Number(fields.CEILING_BET_TPS);
      if (code !== 0 || !line || !(tps > 0)) {
        reject(new Error(`ceiling script ${script} failed (exit ${code}); no CEILING_BET_TPS= line:\n${stderr}${stdout}`));
        return;
      }
      resolve({ tps, clients: Number(fields.CLIENTS), p50Ms: Number(fields.P50_MS), p99Ms: Number(fields.P99_MS), line });
    });
  });
}
