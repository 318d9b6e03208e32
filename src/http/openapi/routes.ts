import { Router } from 'express';
import { noSniff } from '../browser-headers.ts';
import { DOCS_ASSETS, DOCS_CSP, DOCS_INIT_SCRIPT, DOCS_PAGE_HTML } from './docs-page.ts';
import { buildOpenApiDocument } from './document.ts';

let built: string | undefined;

/**
 * SPEC §3 `GET /openapi.json` and `GET /docs`, on both listeners: the same document, with no
 * `servers`, so "Try it out" calls the origin the page came from — the public port for the
 * operator API, the admin port for the admin API (docs/api-docs.md). Built once per process.
 */
export function apiDocsRoutes(): Router {
  const document = (built ??= JSON.stringify(buildOpenApiDocument()));
  const router = Router();

  router.get('/openapi.json', (_req, res) => {
    noSniff(res).type('application/json').send(document);
  });

  router.get('/docs', (_req, res) => {
    noSniff(res).set('Content-Security-Policy', DOCS_CSP).type('html').send(DOCS_PAGE_HTML);
  });

  router.get('/docs/init.js', (_req, res) => {
    noSniff(res).type('text/javascript').send(DOCS_INIT_SCRIPT);
  });

  router.get('/docs/:asset', (req, res, next) => {
    const file = DOCS_ASSETS.get(req.params.asset);
    if (!file) {
      next();
      return;
    }
    noSniff(res).sendFile(file, { maxAge: '1h' });
  });

  return router;
}
