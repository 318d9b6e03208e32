import type { Response } from 'express';

export interface ProblemInput {
  status: number;
  code: string;
  title: string;
  detail?: string;
  [extra: string]: unknown;
}

/** Writes an RFC 9457 problem+json answer with its stable `code` (SPEC §3). */
export function sendProblem(res: Response, problem: ProblemInput): void {
  const type = `https://rgs.example/problems/${problem.code.toLowerCase().replaceAll('_', '-')}`;
  res.status(problem.status).type('application/problem+json').send(JSON.stringify({ type, ...problem }));
}
