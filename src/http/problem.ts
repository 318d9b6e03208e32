import type { Response } from 'express';

export interface ProblemInput {
  status: number;
  code: string;
  title: string;
  detail?: string;
  [extra: string]: unknown;
}

/** The RFC 9457 problem+json body, with a `type` URL derived from the stable `code` (SPEC §3). */
export function problemJson(problem: ProblemInput): string {
  const type = `https://rgs.example/problems/${problem.code.toLowerCase().replaceAll('_', '-')}`;
  return JSON.stringify({ type, ...problem });
}

/** Writes an RFC 9457 problem+json answer with its stable `code` (SPEC §3). */
export function sendProblem(res: Response, problem: ProblemInput): void {
  res.status(problem.status).type('application/problem+json').send(problemJson(problem));
}
