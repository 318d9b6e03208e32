import type { Response } from 'express';

/** What every page and asset served to a browser carries: no MIME sniffing, no Referer sent onwards. */
export function noSniff(res: Response): Response {
  return res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
}
