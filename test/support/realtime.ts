import WebSocket from 'ws';
import { eventually } from './factories.ts';

/** A WebSocket to a call's realtime endpoint on `base` (the API's http URL), its messages queued as they come. */
export async function realtime(base: string, callId: string, token: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/voice/calls/${callId}/realtime?access_token=${token}`);
  const inbox: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => inbox.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = () => eventually(async () => inbox.shift(), { what: 'a WebSocket message' });
  return { ws, next, send: (m: Record<string, unknown>) => ws.send(JSON.stringify(m)) };
}
