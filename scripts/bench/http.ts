import http from 'node:http';

/**
 * The API's clients in a bench: node:http over kept-alive connections, one per concurrent
 * client. Real clients run on other machines; here they share the API's two cores, and
 * global fetch (undici's WHATWG streams) cost the process about as much CPU per request as
 * a reminder's statements did.
 */
const agent = new http.Agent({ keepAlive: true });

/** A request with a bearer token; resolves the answer's `data` when the status is `expect` (any 2xx when unset), rejects with the body otherwise. */
function request<T>(method: 'GET' | 'POST' | 'PATCH', url: string, token: string, body: unknown, expect?: number): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (expect === undefined ? status < 200 || status > 299 : status !== expect) return reject(new Error(`${method} ${new URL(url).pathname}: HTTP ${status} ${text}`));
        resolve((JSON.parse(text) as { data: T }).data);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export const postJson = <T = Record<string, unknown>>(url: string, token: string, body: unknown, expect?: number) => request<T>('POST', url, token, body, expect);
export const patchJson = <T = Record<string, unknown>>(url: string, token: string, body: unknown, expect?: number) => request<T>('PATCH', url, token, body, expect);
export const getJson = <T = Record<string, unknown>>(url: string, token: string) => request<T>('GET', url, token, undefined);
