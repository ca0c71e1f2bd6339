import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';

/**
 * Requests Node rejects before the app sees them (headers over 16 KB, malformed HTTP)
 * still get the error envelope and a request id, not a bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const requestId = randomUUID();
    const body = JSON.stringify({
      error: {
        code: 'VALIDATION_ERROR',
        message: tooLarge ? 'Request headers are too large' : 'Malformed HTTP request',
        details: null,
        request_id: requestId,
      },
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
