import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * An error in the API's envelope written straight to a socket, for requests the app never
 * sees: ones Node's parser refuses, and WebSocket upgrades refused before they happen.
 */
export function writeRawError(socket: Duplex, status: number, reason: string, code: string, message: string): void {
  const requestId = randomUUID();
  const body = JSON.stringify({ error: { code, message, details: null, request_id: requestId } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Requests Node rejects before the app sees them (headers over 16 KB, malformed HTTP)
 * still get the error envelope and a request id, not a bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    if (tooLarge) return writeRawError(socket, 431, 'Request Header Fields Too Large', 'VALIDATION_ERROR', 'Request headers are too large');
    writeRawError(socket, 400, 'Bad Request', 'VALIDATION_ERROR', 'Malformed HTTP request');
  });
}
