import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Router from '@koa/router';
import swaggerUi from 'swagger-ui-dist';

const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);
const TYPES: Record<string, string> = { css: 'text/css', js: 'application/javascript', png: 'image/png' };

/** An interactive page for the OpenAPI document, served from the swagger-ui-dist package (no CDN needed). */
export function docsRouter(prefix: string, openApiPath: string): Router {
  const router = new Router({ prefix: `${prefix}/docs` });
  const assets = swaggerUi.getAbsoluteFSPath();
  router.get('/', (ctx) => {
    ctx.type = 'text/html';
    ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>AI Secretary API</title>
<link rel="stylesheet" href="${prefix}/docs/swagger-ui.css"></head><body><div id="ui"></div>
<script src="${prefix}/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '${openApiPath}', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;
  });
  router.get('/:asset', async (ctx, next) => {
    const asset = ctx.params.asset ?? '';
    if (!ASSETS.has(asset)) return next();
    ctx.type = TYPES[asset.split('.').pop() ?? ''] ?? 'application/octet-stream';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = await readFile(join(assets, asset));
  });
  return router;
}
