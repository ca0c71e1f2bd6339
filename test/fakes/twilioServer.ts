import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from './twilio.ts';

/**
 * A local server that speaks the part of Twilio's REST API the product uses (written
 * from Twilio's public API reference): Messages create and list, IncomingPhoneNumbers
 * list, Basic auth per account, Twilio's error bodies, and status callbacks posted
 * (signed with the account's token) to the StatusCallback of each message. The product
 * reaches it through the real `twilio` client, pointed here by TWILIO_API_URL.
 */
export interface FakeAccount {
  authToken: string;
  /** The account's own numbers (IncomingPhoneNumbers). */
  numbers: string[];
}

export interface FakeMessage {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  status: string;
  dateCreated: Date;
  statusCallback: string | null;
}

/** What happens to a message after it is accepted: delivered, or undelivered/failed with a code. */
export type DeliveryPlan = (m: FakeMessage, nthToNumber: number) => { status: 'delivered' | 'undelivered' | 'failed'; errorCode?: string };

const ERROR_BODY = (status: number, code: number, message: string) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export async function startFakeTwilio() {
  const accounts = new Map<string, FakeAccount>();
  const messages: FakeMessage[] = [];
  const callbacks: Array<{ url: string; status: number; params: Record<string, string> }> = [];
  const invalid = new Set<string>();
  const unsubscribed = new Set<string>();
  let failNext = 0;
  /** Record the next message but drop the connection before answering (a lost response). */
  let dropNext = 0;
  /** Record the next message but answer only after this long (a worker can die meanwhile). */
  let holdNextMs = 0;
  let plan: DeliveryPlan = () => ({ status: 'delivered' });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const resource = (m: FakeMessage) => ({
    sid: m.sid,
    account_sid: m.accountSid,
    from: m.from,
    to: m.to,
    body: m.body,
    status: m.status,
    num_segments: '1',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: m.dateCreated.toUTCString(),
    date_updated: m.dateCreated.toUTCString(),
    date_sent: null,
    error_code: null,
    error_message: null,
    price: null,
    price_unit: 'USD',
    uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
    subresource_uris: {},
  });
  const page = (key: string, items: unknown[], uri: string) => ({
    [key]: items,
    first_page_uri: uri,
    next_page_uri: null,
    previous_page_uri: null,
    page: 0,
    page_size: 50,
    start: 0,
    end: Math.max(0, items.length - 1),
    uri,
  });

  async function postStatus(m: FakeMessage, status: string, errorCode?: string) {
    if (!m.statusCallback) return;
    const account = accounts.get(m.accountSid);
    if (!account) return;
    const params: Record<string, string> = {
      MessageSid: m.sid,
      SmsSid: m.sid,
      AccountSid: m.accountSid,
      From: m.from,
      To: m.to,
      MessageStatus: status,
      SmsStatus: status,
      ApiVersion: '2010-04-01',
      ...(errorCode ? { ErrorCode: errorCode } : {}),
    };
    m.status = status;
    try {
      const res = await fetch(m.statusCallback, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(account.authToken, m.statusCallback, params) },
        body: new URLSearchParams(params).toString(),
      });
      callbacks.push({ url: m.statusCallback, status: res.status, params });
    } catch {
      callbacks.push({ url: m.statusCallback, status: 0, params });
    }
  }

  function authorised(req: IncomingMessage, accountSid: string): boolean {
    const header = req.headers.authorization ?? '';
    const [user, pass] = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().split(':');
    const account = accounts.get(accountSid);
    return Boolean(account && user === accountSid && pass === account.authToken);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/(Messages|IncomingPhoneNumbers)\.json$/.exec(url.pathname);
      if (!match) return json(res, 404, ERROR_BODY(404, 20404, 'The requested resource was not found'));
      const [, accountSid, collection] = match;
      if (!authorised(req, accountSid)) return json(res, 401, ERROR_BODY(401, 20003, 'Authenticate'));

      if (collection === 'IncomingPhoneNumbers') {
        const wanted = url.searchParams.get('PhoneNumber');
        const numbers = accounts.get(accountSid)!.numbers.filter((n) => !wanted || n === wanted);
        return json(res, 200, page('incoming_phone_numbers', numbers.map((n, i) => ({ sid: `PN${String(i).padStart(32, '0')}`, account_sid: accountSid, phone_number: n, friendly_name: n })), url.pathname));
      }
      if (req.method === 'GET') {
        const to = url.searchParams.get('To');
        const from = url.searchParams.get('From');
        const found = messages.filter((m) => m.accountSid === accountSid && (!to || m.to === to) && (!from || m.from === from));
        return json(res, 200, page('messages', [...found].reverse().map(resource), url.pathname));
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const to = form.get('To') ?? '';
      const from = form.get('From') ?? '';
      if (failNext > 0) {
        failNext -= 1;
        return json(res, 503, ERROR_BODY(503, 20500, 'Service unavailable'));
      }
      if (!to || !form.get('Body')) return json(res, 400, ERROR_BODY(400, 21602, 'Message body is required.'));
      if (invalid.has(to.replace(/^whatsapp:/, ''))) return json(res, 400, ERROR_BODY(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
      if (unsubscribed.has(to.replace(/^whatsapp:/, ''))) return json(res, 400, ERROR_BODY(400, 21610, 'Attempt to send to unsubscribed recipient'));
      const m: FakeMessage = {
        sid: `SM${randomBytes(16).toString('hex')}`,
        accountSid,
        from,
        to,
        body: form.get('Body') ?? '',
        status: 'queued',
        dateCreated: new Date(),
        statusCallback: form.get('StatusCallback'),
      };
      messages.push(m);
      const nth = messages.filter((x) => x.to === to).length;
      if (dropNext > 0) {
        dropNext -= 1;
        req.socket.destroy();
      } else if (holdNextMs > 0) {
        const hold = holdNextMs;
        holdNextMs = 0;
        setTimeout(() => {
          if (!res.destroyed) json(res, 201, resource(m));
        }, hold);
      } else {
        json(res, 201, resource(m));
      }
      // The verdict comes a little later, as Twilio's does.
      setTimeout(() => {
        const verdict = plan(m, nth);
        void postStatus(m, 'sent').then(() => postStatus(m, verdict.status, verdict.errorCode));
      }, 50);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    callbacks,
    addAccount(accountSid: string, account: FakeAccount) {
      accounts.set(accountSid, account);
    },
    markInvalid: (n: string) => invalid.add(n),
    markUnsubscribed: (n: string) => unsubscribed.add(n),
    failNext: (n: number) => {
      failNext = n;
    },
    dropNext: (n: number) => {
      dropNext = n;
    },
    holdNext: (ms: number) => {
      holdNextMs = ms;
    },
    setPlan: (p: DeliveryPlan) => {
      plan = p;
    },
    sentTo: (to: string) => messages.filter((m) => m.to === to),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeTwilio = Awaited<ReturnType<typeof startFakeTwilio>>;

/** A Twilio-shaped account SID (AC + 32 hex). */
export const accountSid = (seed: string) => `AC${Buffer.from(seed).toString('hex').padEnd(32, '0').slice(0, 32)}`;
