import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The `/docs` page: Swagger UI from the swagger-ui-dist package's own files, so it works
 * with no internet access (no CDN), rendering `/openapi.json`.
 */

const require = createRequire(import.meta.url);
/** Where swagger-ui-dist's files are (resolved without loading its browser bundle into Node). */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** The only files of the package served, by the name the page asks for. */
export const DOCS_ASSETS: ReadonlyMap<string, string> = new Map(
  ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'].map((name) => [name, path.join(SWAGGER_UI_DIR, name)]),
);

export const DOCS_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>RGS API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// A file of its own, not an inline script, so the page's CSP can forbid inline scripts.
// validatorUrl null: the default would send the document to validator.swagger.io.
export const DOCS_INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

/**
 * Everything from this origin only; Swagger UI sets inline styles and uses data: images.
 * connect-src 'self' lets "Try it out" call this node.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
