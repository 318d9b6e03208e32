import { Router } from 'express';
import { noSniff } from '../browser-headers.ts';
import { VERIFY_PAGE_CSP, VERIFY_PAGE_CSS, VERIFY_PAGE_HTML } from './page.ts';
import { VERIFY_SCRIPT } from './verify-script.ts';

/** `GET /verify` (public, issue #20 point 5): the page where a player checks a round, and its two assets. */
export function verifyPageRoutes(): Router {
  const router = Router();

  router.get('/verify', (_req, res) => {
    noSniff(res).set('Content-Security-Policy', VERIFY_PAGE_CSP).type('html').send(VERIFY_PAGE_HTML);
  });

  router.get('/verify/verify.js', (_req, res) => {
    noSniff(res).type('text/javascript').send(VERIFY_SCRIPT);
  });

  router.get('/verify/verify.css', (_req, res) => {
    noSniff(res).type('text/css').send(VERIFY_PAGE_CSS);
  });

  return router;
}
