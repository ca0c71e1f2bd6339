import { pino, type Logger } from 'pino';

/**
 * Paths that may carry secrets. pino removes them before a line is written, so no
 * token or password reaches the logs whatever a caller passes in.
 */
const redact = [
  'password',
  '*.password',
  'token',
  '*.token',
  'access_token',
  'refresh_token',
  '*.access_token',
  '*.refresh_token',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'config.*',
  '*.apiKey',
  '*.secret',
];

export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, redact: { paths: redact, censor: '[redacted]' } });
}

export type { Logger };
