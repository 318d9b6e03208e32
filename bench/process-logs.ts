import type { BenchProcess } from './processes.ts';

/** Warnings and errors the processes logged (LOG_LEVEL=warn), counted by process and message. */
export function countLoggedProblems(processes: BenchProcess[]): Map<string, number> {
  const logged = new Map<string, number>();
  for (const proc of processes) {
    for (const line of proc.logs) {
      let message = line;
      try {
        const parsed = JSON.parse(line) as { msg?: string; level?: number; err?: { message?: string } };
        if (parsed.msg?.endsWith('listening')) continue;
        message = `${parsed.msg ?? ''}${parsed.err?.message ? `: ${parsed.err.message}` : ''}`;
      } catch {
        // not JSON: keep the line
      }
      const key = `${proc.name}: ${message.slice(0, 300)}`;
      logged.set(key, (logged.get(key) ?? 0) + 1);
    }
  }
  return logged;
}
