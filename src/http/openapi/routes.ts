import { Router } from 'express';
import { noSniff } from '../browser-headers.ts';
import { DOCS_ASSETS, DOCS_CSP, DOCS_INIT_SCRIPT, DOCS_PAGE_HTML } from './docs-page.ts';
import { buildOpenApiDocument } from './document.ts';

/** SPEC §3 `GET /openapi.json` and `GET /docs` (public). The document is built once, here. */
export function apiDocsRoutes(): Router {
  const document = JSON.stringify(buildOpenApiDocument());
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
