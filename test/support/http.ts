import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** A raw body sent as is (for malformed JSON, form posts). */
  raw?: string;
  headers?: Record<string, string>;
}

/** A small HTTP client for a test server: real sockets, real parsing, like any API client. */
export function httpClient(server: Server) {
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  async function request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (TwiML, HTML): keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }
  return {
    base,
    request,
    get: <T = any>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
    post: <T = any>(path: string, opts?: RequestOptions) => request<T>('POST', path, opts),
    put: <T = any>(path: string, opts?: RequestOptions) => request<T>('PUT', path, opts),
    patch: <T = any>(path: string, opts?: RequestOptions) => request<T>('PATCH', path, opts),
    delete: <T = any>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
