import { createSecretKey } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import jwt from 'jsonwebtoken';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { JWT_ALGORITHM } from '../auth/tokens.ts';
import { writeRawError } from '../httpServer.ts';
import type { AccessClaims, AppDeps } from '../context.ts';
import { readStoredCaller } from '../storedCaller.ts';
import { callWorkflowId, endCallUpdate, respondUpdate } from '../../workflows/placeCall.client.ts';
import { AppError } from '../../lib/errors.ts';
import { decodeAudio, hear, spoken } from './speech.ts';

const PATH = /^\/api\/v1\/voice\/calls\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/realtime\/?$/i;
/** One message at most this large (a chunk of audio, base64). */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** One utterance sent in pieces, at most this much audio. */
const MAX_UTTERANCE_BYTES = 4 * 1024 * 1024;

/** An upgrade refused before it becomes a WebSocket: the API's error envelope over plain HTTP. */
const refuse = (socket: Duplex, status: 401 | 404, code: string, message: string) => writeRawError(socket, status, status === 401 ? 'Unauthorized' : 'Not Found', code, message);

/** The access token of an upgrade: the Authorization header, else `access_token` in the query (browsers cannot set headers on a WebSocket). */
function tokenOf(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return url.searchParams.get('access_token') ?? url.searchParams.get('token');
}

const send = (ws: WebSocket, message: Record<string, unknown>) => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
};

/**
 * `ws://…/api/v1/voice/calls/{id}/realtime` (seed 004): `text_input` messages reach the
 * call's run as `respond` Updates, one at a time, and come back as `ai_response`;
 * `end` ends the call and answers `call_ended` with its summary. The access token is
 * checked on upgrade (signature, expiry, the user's token version), and a call of another
 * tenant is a 404 then, before any WebSocket exists.
 */
export function attachVoiceRealtime(server: Server, deps: Pick<AppDeps, 'config' | 'temporal' | 'sql' | 'log' | 'speech'>): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const secret = createSecretKey(Buffer.from(deps.config.auth.jwtSecret));

  async function admit(req: IncomingMessage, url: URL, callId: string): Promise<{ tenantId: string; settings: Record<string, unknown> } | { status: 401 | 404; code: string; message: string }> {
    const token = tokenOf(req, url);
    if (!token) return { status: 401, code: 'UNAUTHORIZED', message: 'Authentication required: a Bearer token or access_token' };
    let claims: AccessClaims;
    try {
      claims = jwt.verify(token, secret, { algorithms: [JWT_ALGORITHM] }) as AccessClaims;
    } catch {
      return { status: 401, code: 'INVALID_TOKEN', message: 'Token is invalid or expired' };
    }
    const user = await readStoredCaller(deps.sql, claims);
    if (!user || !user.is_active || user.token_version !== (claims.ver ?? 0)) return { status: 401, code: 'INVALID_TOKEN', message: 'Token is no longer valid: sign in again' };
    const rows = await deps.sql<{ voice_settings: Record<string, unknown> }>('select voice_settings from voice_calls where tenant_id = $1 and id = $2', [claims.tenant_id, callId]);
    if (!rows.length) return { status: 404, code: 'NOT_FOUND', message: 'Call not found' };
    return { tenantId: claims.tenant_id, settings: rows[0].voice_settings ?? {} };
  }

  function session(ws: WebSocket, callId: string, settings: Record<string, unknown>): void {
    const handle = deps.temporal.workflow.getHandle(callWorkflowId(callId));
    // Utterances are answered in the order they were said.
    let queue: Promise<void> = Promise.resolve();
    const refused = (err: unknown) => {
      if (err instanceof WorkflowUpdateFailedError) return send(ws, { type: 'error', code: 'CONFLICT', message: `The call refused this: ${err.cause?.message ?? err.message}` });
      if (err instanceof WorkflowNotFoundError) return send(ws, { type: 'error', code: 'CONFLICT', message: 'The call is not running' });
      deps.log.warn({ callId, err: err instanceof Error ? err.message : String(err) }, 'voice realtime message failed');
      send(ws, { type: 'error', code: 'INTERNAL_ERROR', message: 'The message could not be handled; try again' });
    };
    /** The audio of an utterance still coming in pieces. */
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const answer = async (text: string) => {
      const said = await handle.executeUpdate(respondUpdate, { args: [{ text }] });
      const audio = await spoken(deps.speech, said.ai_response, settings, deps.log);
      send(ws, { type: 'ai_response', text: said.ai_response, audio, analysis: said.analysis, conversation_state: said.conversation_state, should_continue: said.should_continue });
      if (!said.should_continue) ws.close(1000, 'call ended');
    };
    ws.on('message', (raw: RawData) => {
      let message: { type?: unknown; text?: unknown; reason?: unknown; data?: unknown; final?: unknown };
      try {
        message = JSON.parse(raw.toString()) as typeof message;
      } catch {
        return send(ws, { type: 'error', code: 'VALIDATION_ERROR', message: 'Messages are JSON: {"type": "text_input", "text": "…"}' });
      }
      if (message.type === 'audio_chunk') {
        const speech = deps.speech;
        if (!speech) return send(ws, { type: 'error', code: 'AUDIO_UNSUPPORTED', message: 'Audio needs a speech API on this server: send text_input' });
        if (typeof message.data !== 'string' || !message.data) return send(ws, { type: 'error', code: 'VALIDATION_ERROR', message: 'audio_chunk needs base64 audio in data' });
        let piece: Buffer;
        try {
          piece = decodeAudio(message.data, 'data');
        } catch {
          return send(ws, { type: 'error', code: 'VALIDATION_ERROR', message: 'audio_chunk data must be base64-encoded audio' });
        }
        // An utterance may come in pieces (`final: false` on all but the last); a piece alone is one utterance otherwise.
        pending.push(piece);
        pendingBytes += piece.length;
        if (pendingBytes > MAX_UTTERANCE_BYTES) {
          pending = [];
          pendingBytes = 0;
          return send(ws, { type: 'error', code: 'PAYLOAD_TOO_LARGE', message: 'An utterance is at most 4 MB of audio' });
        }
        if (message.final === false) return;
        const clip = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        queue = queue.then(async () => {
          try {
            const text = await hear(speech, clip, settings, 'data');
            send(ws, { type: 'transcript', text });
            await answer(text);
          } catch (err) {
            if (err instanceof AppError) return send(ws, { type: 'error', code: err.code, message: err.details ? `${err.message}: ${JSON.stringify(err.details)}` : err.message });
            refused(err);
          }
        });
        return;
      }
      if (message.type === 'text_input') {
        const text = typeof message.text === 'string' ? message.text.trim().slice(0, 4_000) : '';
        if (!text) return send(ws, { type: 'error', code: 'VALIDATION_ERROR', message: 'text_input needs a non-empty text' });
        queue = queue.then(async () => {
          try {
            await answer(text);
          } catch (err) {
            refused(err);
          }
        });
        return;
      }
      if (message.type === 'end') {
        queue = queue.then(async () => {
          try {
            const ended = await handle.executeUpdate(endCallUpdate, { args: [{ reason: typeof message.reason === 'string' ? message.reason.slice(0, 100) : 'completed' }] });
            send(ws, { type: 'call_ended', status: ended.status, summary: ended.summary, analytics: ended.analytics });
            ws.close(1000, 'call ended');
          } catch (err) {
            refused(err);
          }
        });
        return;
      }
      send(ws, { type: 'error', code: 'VALIDATION_ERROR', message: 'type must be text_input, audio_chunk or end' });
    });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = PATH.exec(url.pathname);
    if (!match) return refuse(socket, 404, 'NOT_FOUND', 'No WebSocket here');
    admit(req, url, match[1].toLowerCase()).then(
      (admitted) => {
        if ('status' in admitted) return refuse(socket, admitted.status, admitted.code, admitted.message);
        wss.handleUpgrade(req, socket, head, (ws) => session(ws, match[1].toLowerCase(), admitted.settings));
      },
      (err: unknown) => {
        deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'voice realtime upgrade failed');
        socket.destroy();
      },
    );
  });
  return {
    /** Closes every open session (shutdown: an upgraded socket no longer holds the HTTP server open). */
    close() {
      for (const client of wss.clients) client.close(1001, 'server stopping');
      wss.close();
    },
  };
}
