import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { captureHistory } from '../support/histories.ts';
import { postAcrossADeadApi } from '../support/idempotency.ts';

// The knowledge base end to end: the API, the real worker indexing, PostgreSQL search.
let stack: TestStack;
let t: TestTenant;
let other: TestTenant;
let site: Server;
let siteUrl: string;
let pricingPage = '<html><body><h1>Pricing</h1><p>The Starter plan costs 19 euros a month and includes two seats.</p></body></html>';

beforeAll(async () => {
  site = createServer((req, res) => {
    if (req.url === '/pricing') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(pricingPage);
    }
    if (req.url === '/moved') {
      res.writeHead(301, { location: 'http://169.254.169.254/' });
      return res.end();
    }
    res.writeHead(404);
    res.end('not here');
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  stack = await startStack({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' } });
  [t, other] = [await aTenant(stack.http), await aTenant(stack.http)];
});
afterAll(async () => {
  await stack.close();
  site.closeAllConnections();
  await new Promise((r) => site.close(r));
});

type Doc = { id: string; format?: string | null; status: string; error: string | null; revision: number; chunk_count: number; chunks_embedded: number; content: string; run?: { workflow_id: string } };

const create = async (body: Record<string, unknown>, token = t.token) => stack.http.post('/api/v1/knowledge/documents', { token, body });
const search = async (body: Record<string, unknown>, token = t.token) => stack.http.post('/api/v1/knowledge/search', { token, body });
const settled = (id: string, token = t.token) =>
  eventually(
    async () => {
      const doc = (await stack.http.get(`/api/v1/knowledge/documents/${id}`, { token })).body.data as Doc;
      return doc.status === 'indexing' ? undefined : doc;
    },
    { what: `document ${id} indexed`, timeoutMs: 60_000 },
  );
const chunkRows = (documentId: string) =>
  stack.orm.em.getConnection().execute<Array<{ id: string; position: number; content_hash: string }>>('select id, position, content_hash from knowledge_chunks where document_id = ? order by position', [documentId]);

async function upload(filename: string, content: Buffer | string, title?: string, token = t.token, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([content]), filename);
  if (title) form.append('title', title);
  const res = await fetch(`${stack.http.base}/api/v1/knowledge/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: form });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as { data: Doc; error?: { code: string; message: string; details: unknown } } };
}

describe('knowledge base', () => {
  it("runs seed 000's example as written: upload, then search with min_similarity 0.7", async () => {
    const created = await create({ title: 'Product Features', content: 'Our AI secretary supports multiple communication channels including Telegram, Signal, and web widgets...', type: 'text' });
    expect(created.status).toBe(201);
    // The create waits up to 5 s for its indexing: a first run on a busy machine may take longer.
    expect(['ready', 'indexing']).toContain(created.body.data.status);
    expect(created.body.data.run.workflow_id).toBe(`knowledge-index-${created.body.data.id}-r1`);
    expect(await settled(created.body.data.id)).toMatchObject({ title: 'Product Features', type: 'text', status: 'ready', revision: 1, chunk_count: 1, chunks_embedded: 1, embedding_model: 'local-hash-v1' });

    const found = await search({ query: 'What channels do you support?', limit: 5, min_similarity: 0.7 });
    expect(found.status).toBe(200);
    expect(found.body.data).toEqual([
      expect.objectContaining({ document_id: created.body.data.id, title: 'Product Features', content: expect.stringContaining('Telegram, Signal, and web widgets'), similarity: 1, lexical_coverage: 1 }),
    ]);
    expect(found.body.data[0].similarity).toBeGreaterThanOrEqual(0.7);
    // A question the base cannot answer finds nothing above the threshold, and some passage below it.
    expect((await search({ query: 'Do you refund damaged parcels?', min_similarity: 0.7 })).body.data).toEqual([]);
    const loose = (await search({ query: 'Which messaging apps work with it?', min_similarity: 0 })).body.data;
    expect(loose[0]).toMatchObject({ document_id: created.body.data.id });
    expect(loose[0].similarity).toBeLessThan(0.7);

    // Its run is listed with the tenant's runs.
    const runs = (await stack.http.get('/api/v1/runs?type=knowledge_index', { token: t.token })).body.data as Array<{ workflow_id: string; status: string }>;
    expect(runs).toContainEqual(expect.objectContaining({ workflow_id: created.body.data.run.workflow_id, status: 'completed' }));
    captureHistory(created.body.data.run.workflow_id, 'knowledge-index-ready');
  });

  it('fetches a URL document through the outbound guard, HTML read as text, and fails refused or missing pages with the reason', async () => {
    const page = await create({ title: 'Pricing page', type: 'url', source_url: `${siteUrl}/pricing` });
    expect(page.status).toBe(201);
    const ready = await settled(page.body.data.id);
    expect(ready).toMatchObject({ status: 'ready', format: 'html', content: 'Pricing\n\nThe Starter plan costs 19 euros a month and includes two seats.' });
    const hits = (await search({ query: 'how much is the starter plan', min_similarity: 0.5 })).body.data;
    expect(hits[0]).toMatchObject({ document_id: page.body.data.id });

    const failures = await Promise.all([
      create({ title: 'Metadata', type: 'url', source_url: 'http://169.254.169.254/latest/meta-data/' }),
      create({ title: 'Localhost', type: 'url', source_url: `http://localhost:${new URL(siteUrl).port}/pricing` }),
      create({ title: 'Missing', type: 'url', source_url: `${siteUrl}/nope` }),
      create({ title: 'Moved', type: 'url', source_url: `${siteUrl}/moved` }),
    ]);
    const reasons = await Promise.all(failures.map(async (f) => settled(f.body.data.id)));
    expect(reasons.map((d) => d.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(reasons[0].error).toMatch(/refused/);
    expect(reasons[1].error).toMatch(/refused/);
    expect(reasons[2].error).toBe(`${siteUrl}/nope answered 404`);
    captureHistory(`knowledge-index-${reasons[2].id}-r1`, 'knowledge-index-failed');
    expect(reasons[3].error).toMatch(/answered 301 \(redirects are not followed/);
    const failedEvents = await stack.orm.em.getConnection().execute<Array<{ n: string }>>("select count(*) as n from events where type = 'knowledge.document.failed' and tenant_id = ?", [t.tenantId]);
    expect(Number(failedEvents[0].n)).toBe(4);

    // Fetched again on request: the page changed, its new text is searchable.
    pricingPage = '<html><body><p>The Starter plan now costs 24 euros a month.</p></body></html>';
    const again = await stack.http.post(`/api/v1/knowledge/documents/${page.body.data.id}/reindex`, { token: t.token });
    expect(again.status).toBe(202);
    expect(await settled(page.body.data.id)).toMatchObject({ status: 'ready', revision: 2, content: 'The Starter plan now costs 24 euros a month.' });
  });

  it('re-embeds only the passages an edit changed, keeping the others and their ids', async () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Section ${i}. ${`Our office policy number ${i} covers parking, visitors and deliveries. `.repeat(4)}`.trim());
    const doc = (await create({ title: 'Handbook', type: 'text', content: paragraphs.join('\n\n') })).body.data as Doc;
    const first = await settled(doc.id);
    expect(first.chunk_count).toBeGreaterThan(4);
    expect(first.chunks_embedded).toBe(first.chunk_count);
    const before = await chunkRows(doc.id);

    paragraphs[15] = 'Section 15. Visitors now sign in at the front desk with photo identification.';
    const updated = await stack.http.put(`/api/v1/knowledge/documents/${doc.id}`, { token: t.token, body: { content: paragraphs.join('\n\n') } });
    expect(updated.status).toBe(200);
    const second = await settled(doc.id);
    expect(second).toMatchObject({ status: 'ready', revision: 2 });
    expect(second.chunks_embedded).toBeGreaterThanOrEqual(1);
    expect(second.chunks_embedded).toBeLessThanOrEqual(2);
    const after = await chunkRows(doc.id);
    const kept = after.filter((row) => before.some((b) => b.id === row.id && b.content_hash === row.content_hash));
    expect(kept.length).toBe(after.length - second.chunks_embedded);
    expect((await search({ query: 'photo identification front desk', min_similarity: 0.9 })).body.data[0]).toMatchObject({ document_id: doc.id, content: expect.stringContaining('photo identification') });

    // A title-only change, or the same text again, indexes nothing.
    const renamed = await stack.http.patch(`/api/v1/knowledge/documents/${doc.id}`, { token: t.token, body: { title: 'Office handbook', content: paragraphs.join('\n\n') } });
    expect(renamed.body.data).toMatchObject({ title: 'Office handbook', revision: 2, status: 'ready' });
  });

  it('re-embeds every passage of another model when asked after a model change, one run per document', async () => {
    const u = await aTenant(stack.http);
    const docs = await Promise.all(['Parking is free after 6pm.', 'Deliveries go to the back door.'].map(async (content, i) => (await create({ title: `Note ${i}`, type: 'text', content }, u.token)).body.data as Doc));
    for (const d of docs) await settled(d.id, u.token);
    // As if these had been embedded by the model configured before.
    await stack.orm.em.getConnection().execute("update knowledge_chunks set embedding_model = 'old-model' where document_id = ?", [docs[0].id]);
    await stack.orm.em.getConnection().execute("update knowledge_documents set embedding_model = 'old-model' where id = ?", [docs[0].id]);
    expect((await stack.http.post('/api/v1/knowledge/search', { token: u.token, body: { query: 'parking free', min_similarity: 0.9 } })).body.data[0]).toMatchObject({ document_id: docs[0].id, semantic_score: null });

    const res = await stack.http.post('/api/v1/knowledge/reindex', { token: u.token, body: {} });
    expect(res.status).toBe(202);
    expect(res.body.data).toEqual({ documents: 1, embedding_model: 'local-hash-v1' });
    const redone = await eventually(async () => {
      const d = (await stack.http.get(`/api/v1/knowledge/documents/${docs[0].id}`, { token: u.token })).body.data as Doc & { embedding_model: string };
      return d.status === 'ready' && d.revision === 2 ? d : undefined;
    }, { what: 're-embedded', timeoutMs: 60_000 });
    expect(redone).toMatchObject({ embedding_model: 'local-hash-v1', chunk_count: 1, chunks_embedded: 1 });
    const models = await stack.orm.em.getConnection().execute<Array<{ embedding_model: string }>>('select embedding_model from knowledge_chunks where document_id = ?', [docs[0].id]);
    expect(models).toEqual([{ embedding_model: 'local-hash-v1' }]);
    expect((await stack.http.get(`/api/v1/knowledge/documents/${docs[1].id}`, { token: u.token })).body.data.revision).toBe(1);
    expect((await stack.http.post('/api/v1/knowledge/reindex', { token: u.token, body: { all: true } })).body.data.documents).toBe(2);
  });

  it('stores and indexes a document once when its request is retried after the API died between its commit and its answer', async () => {
    const title = `Retried ${Date.now()}`;
    const { first, again } = await postAcrossADeadApi(stack, '/api/v1/knowledge/documents', t.token, { title, type: 'text', content: 'Parking is free for customers after 6 pm.' });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, revision: 1 });
    const stored = await stack.orm.em.getConnection().execute<Array<{ id: string }>>('select id from knowledge_documents where tenant_id = ? and title = ?', [t.tenantId, title]);
    expect(stored).toHaveLength(1);
    const runs = await stack.orm.em.getConnection().execute<Array<{ n: string }>>(`select count(*) as n from workflow_starts where workflow_id like ?`, [`knowledge-index-${first.body.data.id}-%`]);
    expect(Number(runs[0].n)).toBe(1);
  });

  it('reads an upload under an Idempotency-Key no further than its route takes, and a form sent elsewhere not at all', async () => {
    const { maxBytes } = stack.config.knowledge;
    const tooLarge = await upload('big.txt', Buffer.alloc(maxBytes + 2 * 1024 * 1024, 'a'), 'Big', t.token, { 'Idempotency-Key': `large-${Date.now()}` });
    expect(tooLarge.status).toBe(413);
    // Read only up to this route's limit and its form, not the largest any route takes.
    expect(tooLarge.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooLarge.body.error?.message).toContain(`this route takes (${maxBytes + 1024 * 1024} bytes`);
    // A route that takes no upload answers for itself: its body is never read to hash it.
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(60 * 1024 * 1024, 'b')]), 'huge.txt');
    const elsewhere = await fetch(`${stack.http.base}/api/v1/contacts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'Idempotency-Key': `elsewhere-${Date.now()}` }, body: form });
    expect(elsewhere.status).toBe(422);
    const rows = await stack.orm.em.getConnection().execute<Array<{ n: string }>>('select count(*) as n from knowledge_documents where tenant_id = ? and title = ?', [t.tenantId, 'Big']);
    expect(rows[0].n).toBe('0');
  });

  it('reads off the rest of an upload it refused partway (no Content-Length), so the connection carries the next request', async () => {
    // One connection for both requests: the second waits for it, as a keep-alive client's would.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { hostname, port } = new URL(stack.http.base);
    const send = (method: string, path: string, headers: Record<string, string>, write?: (req: ReturnType<typeof request>) => Promise<void>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: hostname, port, path, method, agent, headers: { authorization: `Bearer ${t.token}`, ...headers } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        if (write) write(req).catch(reject);
        else req.end();
      });
    const boundary = 'drain-test-boundary';
    const chunk = Buffer.alloc(64 * 1024, 'c');
    const streamed = async (req: ReturnType<typeof request>) => {
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`);
      // Chunked, so only the reading finds it too large: 2 MiB over the route's limit and its form.
      for (let sent = 0; sent < stack.config.knowledge.maxBytes + 3 * 1024 * 1024; sent += chunk.length) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    try {
      const refused = await send('POST', '/api/v1/knowledge/documents/upload', { 'content-type': `multipart/form-data; boundary=${boundary}`, 'idempotency-key': `chunked-${Date.now()}` }, streamed);
      expect(refused.status).toBe(413);
      const next = await Promise.race([send('GET', '/api/v1/knowledge/documents', {}), new Promise<{ status: number }>((r) => setTimeout(() => r({ status: 0 }), 10_000))]);
      // 0: the upload's rest was left unread, so its connection never took the next request.
      expect(next.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('matches an upload under an Idempotency-Key by its file, not by the form boundary around it', async () => {
    const headers = { 'Idempotency-Key': `upload-${Date.now()}` };
    const first = await upload('hours.txt', 'The shop opens at nine on weekdays.', 'Hours', t.token, headers);
    // fetch frames each FormData with a boundary of its own: the retry's bytes differ there only.
    const retried = await upload('hours.txt', 'The shop opens at nine on weekdays.', 'Hours', t.token, headers);
    expect([first.status, retried.status]).toEqual([201, 201]);
    expect(retried.replayed).toBe('true');
    expect(retried.body.data.id).toBe(first.body.data.id);
    const another = await upload('hours.txt', 'The shop opens at ten on weekdays.', 'Hours', t.token, headers);
    expect(another.status).toBe(409);
    expect(another.body.error?.code).toBe('CONFLICT');
    const titled = await stack.orm.em.getConnection().execute<Array<{ n: string }>>('select count(*) as n from knowledge_documents where tenant_id = ? and title = ?', [t.tenantId, 'Hours']);
    expect(Number(titled[0].n)).toBe(1);
  });

  it('deletes a document with its passages', async () => {
    const doc = (await create({ title: 'Temporary', type: 'text', content: 'The temporary kiosk opens on Saturdays only.' })).body.data as Doc;
    await settled(doc.id);
    expect((await chunkRows(doc.id)).length).toBe(1);
    expect((await stack.http.delete(`/api/v1/knowledge/documents/${doc.id}`, { token: t.token })).status).toBe(204);
    expect(await chunkRows(doc.id)).toEqual([]);
    expect((await stack.http.get(`/api/v1/knowledge/documents/${doc.id}`, { token: t.token })).status).toBe(404);
    expect((await search({ query: 'temporary kiosk saturdays' })).body.data.map((h: { document_id: string }) => h.document_id)).not.toContain(doc.id);
  });

  it('takes .md and .pdf uploads, and refuses other files with the reason', async () => {
    const md = await upload('returns.md', '# Returns\n\nItems can be returned within 30 days with the receipt.');
    expect(md.status).toBe(201);
    expect(md.body.data).toMatchObject({ title: 'returns', type: 'file', filename: 'returns.md', format: 'markdown' });
    expect(await settled(md.body.data.id)).toMatchObject({ status: 'ready', format: 'markdown' });
    const docx = await upload('notes.docx', 'PK...');
    expect(docx.status).toBe(422);
    expect(docx.body.error?.code).toBe('VALIDATION_ERROR');
    const fakePdf = await upload('broken.pdf', 'not a pdf at all', 'Broken');
    expect(fakePdf.status).toBe(201);
    expect(await settled(fakePdf.body.data.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/Cannot read this PDF/) });
  });

  it('keeps tenants apart: another tenant neither reads, changes, deletes nor finds a document', async () => {
    const doc = (await create({ title: 'Secret recipe', type: 'text', content: 'The secret sauce is paprika, honey and lime.' })).body.data as Doc;
    await settled(doc.id);
    for (const res of [
      await stack.http.get(`/api/v1/knowledge/documents/${doc.id}`, { token: other.token }),
      await stack.http.put(`/api/v1/knowledge/documents/${doc.id}`, { token: other.token, body: { title: 'Mine' } }),
      await stack.http.post(`/api/v1/knowledge/documents/${doc.id}/reindex`, { token: other.token }),
      await stack.http.delete(`/api/v1/knowledge/documents/${doc.id}`, { token: other.token }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect((await search({ query: 'secret sauce paprika honey lime' }, other.token)).body.data).toEqual([]);
    expect((await stack.http.get('/api/v1/knowledge/documents', { token: other.token })).body.pagination.total).toBe(0);
    expect((await search({ query: 'secret sauce paprika honey lime' })).body.data[0]).toMatchObject({ document_id: doc.id, title: 'Secret recipe' });
  });

  it('lists documents without their text, and refuses bad input in the error envelope', async () => {
    const list = await stack.http.get('/api/v1/knowledge/documents?type=text&sort_by=title&sort_order=asc', { token: t.token });
    expect(list.status).toBe(200);
    for (const row of list.body.data) {
      expect(row).not.toHaveProperty('content');
      const { content: _content, ...one } = (await stack.http.get(`/api/v1/knowledge/documents/${row.id}`, { token: t.token })).body.data;
      expect(row).toEqual(one);
    }
    for (const [body, field] of [
      [{ title: 'x', type: 'pdf' }, 'body.type'],
      [{ title: 'x', type: 'text' }, 'body.content'],
      [{ title: 'x', type: 'url', source_url: 'ftp://example.com/a' }, 'body.source_url'],
      [{ title: '', type: 'text', content: 'x' }, 'body.title'],
    ] as const) {
      const res = await create(body);
      expect(res.status).toBe(422);
      expect(res.body.error.details.fields).toContainEqual(expect.objectContaining({ field }));
    }
    expect((await search({ query: '  ' })).status).toBe(422);
    expect((await search({ query: 'x', min_similarity: 2 })).status).toBe(422);
    const doc = (await create({ title: 'Text doc', type: 'text', content: 'Some text.' })).body.data as Doc;
    const wrong = await stack.http.put(`/api/v1/knowledge/documents/${doc.id}`, { token: t.token, body: { source_url: 'https://example.com' } });
    expect(wrong.status).toBe(422);
    expect((await stack.http.get(`/api/v1/knowledge/documents/${doc.id}`, { token: t.token })).body.data).toMatchObject({ content: 'Some text.', revision: 1 });
  });

  it('drafts a reply to an inbound question from the base, with its sources, for a person to send', async () => {
    const u = await aTenant(stack.http);
    const doc = (await create({ title: 'Opening hours', type: 'text', content: 'We are open Monday to Friday from 9am to 6pm, and on Saturdays from 10am to 2pm.' }, u.token)).body.data as Doc;
    await settled(doc.id, u.token);
    const message = (await stack.http.post('/api/v1/inbox/messages', { token: u.token, body: { channel: 'email', content: 'Hello, what are your opening hours on Saturdays?', customer_email: 'sam@example.com' } })).body.data;
    const drafted = await eventually(
      async () => {
        const m = (await stack.http.get(`/api/v1/inbox/messages/${message.id}`, { token: u.token })).body.data;
        return m.suggested_response ? m : undefined;
      },
      { what: 'a drafted reply', timeoutMs: 60_000 },
    );
    expect(drafted.suggested_response).toBe('Thanks for your message. From "Opening hours":\n\n> We are open Monday to Friday from 9am to 6pm, and on Saturdays from 10am to 2pm.');
    expect(drafted.suggested_sources).toEqual([expect.objectContaining({ document_id: doc.id, title: 'Opening hours' })]);
    expect(drafted.response).toBeNull();
    captureHistory(`triage-${message.id}`, 'triage-drafted');
    // A question the base knows nothing about gets no draft.
    const unrelated = (await stack.http.post('/api/v1/inbox/messages', { token: u.token, body: { channel: 'email', content: 'Can you invoice our Belgian subsidiary?', customer_email: 'kim@example.com' } })).body.data;
    const done = await eventually(
      async () => {
        const run = (await stack.http.get(`/api/v1/runs/triage-${unrelated.id}`, { token: u.token })).body.data;
        return ['awaiting_review', 'done'].includes(run?.progress?.step) ? run : undefined;
      },
      { what: 'triage past its drafting step' },
    );
    expect(['awaiting_review', 'done']).toContain(done.progress.step);
    expect((await stack.http.get(`/api/v1/inbox/messages/${unrelated.id}`, { token: u.token })).body.data).toMatchObject({ suggested_response: null, suggested_sources: null });
  });
});
