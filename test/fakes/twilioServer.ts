import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from './twilio.ts';

/**
 * A local server that speaks the part of Twilio's REST API the product uses (written
 * from Twilio's public API reference): Messages create and list, IncomingPhoneNumbers
 * list, Calls create, fetch, update (hang up) and list, Basic auth per account, Twilio's
 * error bodies, and status callbacks posted (signed with the account's token) to the
 * StatusCallback of each message and call. A call that is answered fetches its Url, as
 * Twilio does, and plays the TwiML it gets back: <Say> lines are recorded, a speech
 * <Gather> waits for the test to speak (`speak`), <Hangup/> ends the call. The product
 * reaches it through the real `twilio` client, pointed here by TWILIO_API_URL.
 */
export interface FakeAccount {
  authToken: string;
  /** The account's own numbers (IncomingPhoneNumbers). */
  numbers: string[];
  /** Twilio's account status (default active). */
  status?: 'active' | 'suspended' | 'closed';
}

export interface FakeMessage {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  status: string;
  dateCreated: Date;
  /** Set when the carrier takes it ('sent'), as Twilio's date_sent: null while queued. */
  dateSent: Date | null;
  statusCallback: string | null;
}

export interface FakeCall {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  status: string;
  answeredBy: string | null;
  url: string;
  statusCallback: string | null;
  statusCallbackEvents: string[];
  machineDetection: string | null;
  dateCreated: Date;
  answeredAt: Date | null;
  /** Every <Say> played on the line, in order. */
  said: string[];
  /** The speech <Gather> waiting for the person, and where silence goes. */
  gatherUrl: string | null;
  redirectUrl: string | null;
  endedBy: 'api' | 'callee' | 'twiml' | null;
  /** Answer-URL and gather requests made, with the HTTP status each got. */
  webhooks: Array<{ url: string; status: number }>;
}

/** Who or what answers a call (answering-machine detection's verdict), or how it fails; `afterMs`: how long it rings first. */
export type CallPlan = (c: FakeCall, nthToNumber: number) => { answer: 'human' | 'machine' | 'busy' | 'no-answer' | 'failed' | 'never'; afterMs?: number };

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
  const calls: FakeCall[] = [];
  let callPlan: CallPlan = () => ({ answer: 'human' });
  /** Status callbacks of calls are recorded but not posted (lost on the way). */
  let dropCallStatus = false;

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
    date_sent: m.dateSent?.toUTCString() ?? null,
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
    if (status === 'sent') m.dateSent ??= new Date();
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

  const callResource = (c: FakeCall) => ({
    sid: c.sid,
    account_sid: c.accountSid,
    from: c.from,
    to: c.to,
    status: c.status,
    answered_by: c.answeredBy,
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: c.dateCreated.toUTCString(),
    date_updated: new Date().toUTCString(),
    start_time: c.answeredAt?.toUTCString() ?? null,
    end_time: c.endedBy ? new Date().toUTCString() : null,
    duration: c.answeredAt && c.endedBy ? String(Math.round((Date.now() - c.answeredAt.getTime()) / 1000)) : null,
    price: null,
    price_unit: 'USD',
    uri: `/2010-04-01/Accounts/${c.accountSid}/Calls/${c.sid}.json`,
    subresource_uris: {},
  });
  /** The form fields Twilio posts about a call. */
  const callParams = (c: FakeCall, extra: Record<string, string> = {}): Record<string, string> => ({
    CallSid: c.sid,
    AccountSid: c.accountSid,
    From: c.from,
    To: c.to,
    CallStatus: c.status,
    Direction: 'outbound-api',
    ApiVersion: '2010-04-01',
    ...(c.answeredBy ? { AnsweredBy: c.answeredBy } : {}),
    ...extra,
  });
  async function signedPost(accountSid: string, url: string, params: Record<string, string>): Promise<{ status: number; text: string }> {
    const account = accounts.get(accountSid)!;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(account.authToken, url, params) },
        body: new URLSearchParams(params).toString(),
      });
      return { status: res.status, text: await res.text() };
    } catch {
      return { status: 0, text: '' };
    }
  }
  async function postCallStatus(c: FakeCall, event: string) {
    if (!c.statusCallback || !c.statusCallbackEvents.includes(event)) return;
    const params = callParams(c, { CallbackSource: 'call-progress-events', SequenceNumber: String(callbacks.filter((x) => x.params.CallSid === c.sid).length) });
    if (dropCallStatus) {
      callbacks.push({ url: c.statusCallback, status: -1, params });
      return;
    }
    const res = await signedPost(c.accountSid, c.statusCallback, params);
    callbacks.push({ url: c.statusCallback, status: res.status, params });
  }
  const unescapeXml = (t: string) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  /** Plays a TwiML document as Twilio would: its <Say> lines, then a <Gather> waits, a <Hangup/> (or nothing more to do) ends the call. */
  async function play(c: FakeCall, xml: string, status: number, url: string) {
    c.webhooks.push({ url, status });
    if (status !== 200 || !xml.includes('<Response')) {
      // Twilio's "an application error has occurred", then it hangs up.
      c.said.push('(application error)');
      return finishCall(c, 'twiml');
    }
    for (const m of xml.matchAll(/<Say[^>]*>([^<]*)<\/Say>/g)) c.said.push(unescapeXml(m[1]));
    const gather = /<Gather[^>]*\saction="([^"]+)"/.exec(xml);
    const redirect = /<Redirect[^>]*>([^<]+)<\/Redirect>/.exec(xml);
    c.gatherUrl = gather ? unescapeXml(gather[1]) : null;
    c.redirectUrl = redirect ? unescapeXml(redirect[1]) : null;
    if (xml.includes('<Hangup/>') || (!gather && !redirect)) await finishCall(c, 'twiml');
  }
  async function finishCall(c: FakeCall, by: 'api' | 'callee' | 'twiml', status = 'completed') {
    if (c.endedBy || ['busy', 'no-answer', 'failed', 'canceled'].includes(c.status)) return;
    c.endedBy = by;
    c.status = status;
    c.gatherUrl = null;
    c.redirectUrl = null;
    await postCallStatus(c, 'completed');
  }
  /** After a call is created: it rings, then the plan says who answers; an answered call asks its Url what to say. */
  async function progress(c: FakeCall, nth: number) {
    const verdict = callPlan(c, nth);
    c.status = 'initiated';
    await postCallStatus(c, 'initiated');
    c.status = 'ringing';
    await postCallStatus(c, 'ringing');
    await new Promise((r) => setTimeout(r, verdict.afterMs ?? 20));
    if (c.status !== 'ringing' || verdict.answer === 'never') return;
    if (verdict.answer === 'busy' || verdict.answer === 'no-answer' || verdict.answer === 'failed') {
      c.status = verdict.answer;
      await postCallStatus(c, 'completed');
      return;
    }
    c.status = 'in-progress';
    c.answeredAt = new Date();
    c.answeredBy = verdict.answer === 'human' ? 'human' : c.machineDetection === 'DetectMessageEnd' ? 'machine_end_beep' : 'machine_start';
    await postCallStatus(c, 'answered');
    const res = await signedPost(c.accountSid, c.url, callParams(c));
    await play(c, res.text, res.status, c.url);
  }

  function authorised(req: IncomingMessage, accountSid: string): boolean {
    const header = req.headers.authorization ?? '';
    const [user, pass] = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().split(':');
    const account = accounts.get(accountSid);
    return Boolean(account && user === accountSid && pass === account.authToken);
  }

  function callsApi(req: IncomingMessage, res: ServerResponse, url: URL, accountSid: string, callSid: string | undefined, form: URLSearchParams) {
    const mine = calls.filter((c) => c.accountSid === accountSid);
    if (callSid) {
      const c = mine.find((x) => x.sid === callSid);
      if (!c) return json(res, 404, ERROR_BODY(404, 20404, `The requested resource /Calls/${callSid}.json was not found`));
      if (req.method === 'GET') return json(res, 200, callResource(c));
      const wanted = form.get('Status');
      const live = ['queued', 'initiated', 'ringing', 'in-progress'].includes(c.status) && !c.endedBy;
      if ((wanted !== 'completed' && wanted !== 'canceled') || !live || (wanted === 'canceled' && c.status === 'in-progress')) {
        return json(res, 400, ERROR_BODY(400, 21220, 'Call is not in-progress. Cannot redirect.'));
      }
      void finishCall(c, 'api', c.status === 'in-progress' ? 'completed' : 'canceled');
      return json(res, 200, callResource(c));
    }
    if (req.method === 'GET') {
      const to = url.searchParams.get('To');
      const from = url.searchParams.get('From');
      const found = mine.filter((c) => (!to || c.to === to) && (!from || c.from === from));
      return json(res, 200, page('calls', [...found].reverse().map(callResource), url.pathname));
    }
    if (failNext > 0) {
      failNext -= 1;
      return json(res, 503, ERROR_BODY(503, 20500, 'Service unavailable'));
    }
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    if (!form.get('Url') && !form.get('Twiml')) return json(res, 400, ERROR_BODY(400, 21205, 'Url parameter is required.'));
    if (!accounts.get(accountSid)!.numbers.includes(from)) return json(res, 400, ERROR_BODY(400, 21210, `The source phone number provided, ${from}, is not yet verified for your account.`));
    if (!/^\+[1-9]\d{6,14}$/.test(to) || invalid.has(to)) return json(res, 400, ERROR_BODY(400, 21211, `Invalid 'To' Phone Number: ${to}`));
    const c: FakeCall = {
      sid: `CA${randomBytes(16).toString('hex')}`,
      accountSid,
      from,
      to,
      status: 'queued',
      answeredBy: null,
      url: form.get('Url') ?? '',
      statusCallback: form.get('StatusCallback'),
      statusCallbackEvents: form.getAll('StatusCallbackEvent').length ? form.getAll('StatusCallbackEvent') : ['completed'],
      machineDetection: form.get('MachineDetection'),
      dateCreated: new Date(),
      answeredAt: null,
      said: [],
      gatherUrl: null,
      redirectUrl: null,
      endedBy: null,
      webhooks: [],
    };
    calls.push(c);
    const nth = calls.filter((x) => x.to === to).length;
    if (dropNext > 0) {
      dropNext -= 1;
      req.socket.destroy();
    } else {
      json(res, 201, callResource(c));
    }
    setTimeout(() => void progress(c, nth), 30);
  }

  /** The person on an answered call says something: Twilio posts it to the <Gather> action and plays what comes back. */
  async function speak(sid: string, text: string): Promise<string[]> {
    const c = calls.find((x) => x.sid === sid);
    if (!c?.gatherUrl) throw new Error(`call ${sid} is not listening (status ${c?.status}, ended by ${c?.endedBy})`);
    const before = c.said.length;
    const url = c.gatherUrl;
    c.gatherUrl = null;
    const res = await signedPost(c.accountSid, url, callParams(c, { SpeechResult: text, Confidence: '0.92' }));
    await play(c, res.text, res.status, url);
    return c.said.slice(before);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const accountOnly = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\.json$/.exec(url.pathname);
      if (accountOnly && req.method === 'GET') {
        // The Account resource, as Twilio gives it to its own credentials (auth_token included).
        const [, sid] = accountOnly;
        if (!authorised(req, sid)) return json(res, 401, ERROR_BODY(401, 20003, 'Authenticate'));
        const account = accounts.get(sid)!;
        return json(res, 200, { sid, owner_account_sid: sid, friendly_name: `Account ${sid.slice(-6)}`, status: account.status ?? 'active', type: 'Full', auth_token: account.authToken, date_created: new Date(0).toUTCString(), uri: `/2010-04-01/Accounts/${sid}.json` });
      }
      const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/(Messages|IncomingPhoneNumbers|Calls)(?:\/(CA[0-9a-f]{32}))?\.json$/.exec(url.pathname);
      if (!match) return json(res, 404, ERROR_BODY(404, 20404, 'The requested resource was not found'));
      const [, accountSid, collection, callSid] = match;
      if (!authorised(req, accountSid)) return json(res, 401, ERROR_BODY(401, 20003, 'Authenticate'));
      if (collection === 'Calls') return callsApi(req, res, url, accountSid, callSid, new URLSearchParams(Buffer.concat(chunks).toString('utf8')));

      if (collection === 'IncomingPhoneNumbers') {
        const wanted = url.searchParams.get('PhoneNumber');
        const numbers = accounts.get(accountSid)!.numbers.filter((n) => !wanted || n === wanted);
        return json(res, 200, page('incoming_phone_numbers', numbers.map((n, i) => ({ sid: `PN${String(i).padStart(32, '0')}`, account_sid: accountSid, phone_number: n, friendly_name: n })), url.pathname));
      }
      if (req.method === 'GET') {
        const to = url.searchParams.get('To');
        const from = url.searchParams.get('From');
        // Twilio's DateSent> filter (by day) leaves out what has no date_sent yet, a message still queued.
        const sentAfter = url.searchParams.get('DateSent>');
        const found = messages.filter(
          (m) => m.accountSid === accountSid && (!to || m.to === to) && (!from || m.from === from) && (!sentAfter || (m.dateSent !== null && m.dateSent >= new Date(sentAfter))),
        );
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
        dateSent: null,
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
    calls,
    callsTo: (to: string) => calls.filter((c) => c.to === to),
    setCallPlan: (p: CallPlan) => {
      callPlan = p;
    },
    dropCallStatus: (drop: boolean) => {
      dropCallStatus = drop;
    },
    speak,
    /** Nothing was heard: Twilio follows the <Redirect> after the <Gather>. */
    async silence(sid: string): Promise<string[]> {
      const c = calls.find((x) => x.sid === sid);
      if (!c?.redirectUrl) throw new Error(`call ${sid} is not listening`);
      const before = c.said.length;
      const url = c.redirectUrl;
      c.gatherUrl = null;
      c.redirectUrl = null;
      const res = await signedPost(c.accountSid, url, callParams(c));
      await play(c, res.text, res.status, url);
      return c.said.slice(before);
    },
    /** The person hangs up. */
    calleeHangsUp: (sid: string) => finishCall(calls.find((x) => x.sid === sid)!, 'callee'),
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
