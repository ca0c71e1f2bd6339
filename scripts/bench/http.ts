import http from 'node:http';

/**
 * The API's clients in a bench: node:http over kept-alive connections, one per concurrent
 * client. Real clients run on other machines; here they share the API's two cores, and
 * global fetch (undici's WHATWG streams) cost the process about as much CPU per request as
 * a reminder's statements did.
 */
const agent = new http.Agent({ keepAlive: true });

/** POSTs JSON with a bearer token; resolves the answer's `data` when the status is `expect`, rejects with the body otherwise. */
export function postJson<T = Record<string, unknown>>(url: string, token: string, body: unknown, expect: number): Promise<T> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== expect) return reject(new Error(`POST ${new URL(url).pathname}: HTTP ${res.statusCode} ${text}`));
        resolve((JSON.parse(text) as { data: T }).data);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
