import busboy from 'busboy';
import Router from '@koa/router';
import type { Config } from '../lib/config.ts';
import { payloadTooLarge, unsupportedMediaType, validationError, badRequest } from '../lib/errors.ts';
import type { AppContext } from './context.ts';
import type { RouteDef } from './routing.ts';

export interface Upload {
  filename: string;
  mimeType: string;
  content: Buffer;
  /** The form's text fields sent with the file (a title, …). */
  fields: Record<string, string>;
}

/**
 * The one file of a multipart/form-data request (busboy parses the stream; the body
 * parser leaves multipart alone), held to the route's `maxUploadBytes` (api/routing.ts,
 * the same limit the Idempotency-Key middleware reads an upload to). Errors are the
 * client's: not multipart (415), no such field (422), too large (413), a broken body (400).
 */
export function readUpload(ctx: AppContext, field: string): Promise<Upload> {
  const maxBytes = ctx.state.uploadMaxBytes;
  if (maxBytes === undefined) return Promise.reject(new Error(`${ctx.method} ${ctx.path} reads an upload without a maxUploadBytes`));
  if (!ctx.is('multipart/form-data')) return Promise.reject(unsupportedMediaType(`Send the file as multipart/form-data in the field "${field}"`));
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: ctx.req.headers, limits: { files: 1, fileSize: maxBytes, fields: 20 } });
    } catch (err) {
      reject(badRequest(`Malformed multipart body: ${(err as Error).message}`));
      return;
    }
    let upload: Upload | null = null;
    const fields: Record<string, string> = {};
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      ctx.req.unpipe(parser);
      ctx.req.resume();
      reject(err);
    };
    parser.on('file', (name, stream, info) => {
      if (name !== field) {
        stream.resume();
        return;
      }
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('limit', () => fail(payloadTooLarge(`The file is larger than ${maxBytes} bytes`)));
      stream.on('end', () => {
        if (!failed) upload = { filename: info.filename || 'upload.csv', mimeType: info.mimeType, content: Buffer.concat(parts), fields };
      });
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('error', (err: Error) => fail(badRequest(`Malformed multipart body: ${err.message}`)));
    parser.on('close', () => {
      if (failed) return;
      if (!upload) return fail(validationError('Invalid body', [{ field: `body.${field}`, message: 'a file is required' }]));
      resolve(upload);
    });
    if (ctx.state.uploadBody) parser.end(ctx.state.uploadBody);
    else ctx.req.pipe(parser);
  });
}

/** Room for a form's framing and text fields beside its file. */
export const FORM_OVERHEAD_BYTES = 1024 * 1024;

/**
 * How many bytes an upload to `method path` may hold (its route's largest file and the
 * form around it), or undefined where no route takes an upload: matched as the router
 * matches, before the router runs (the Idempotency-Key middleware reads an upload then).
 */
export function uploadLimits(prefix: string, defs: RouteDef[], config: Config): (method: string, path: string) => number | undefined {
  const uploads = new Router({ prefix });
  const bytes = new Map<string, number>();
  for (const def of defs) {
    if (def.bodyType !== 'multipart' || !def.maxUploadBytes) continue;
    const name = `${def.method} ${def.path}`;
    bytes.set(name, def.maxUploadBytes(config) + FORM_OVERHEAD_BYTES);
    uploads[def.method](name, def.path, () => undefined);
  }
  return (method, path) => {
    // The router holds upload routes only: the first match is the one.
    const name = uploads.match(path, method).pathAndMethod[0]?.name;
    return name ? bytes.get(name) : undefined;
  };
}
