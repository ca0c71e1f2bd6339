import { pino, type DestinationStream, type Logger } from 'pino';

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

/**
 * JSON lines by default (for log shippers); LOG_PRETTY=true (set by `npm start` on a
 * terminal) renders them for people with pino-pretty, a dev dependency.
 */
export function createLogger(
  level: string,
  name: string,
  { pretty = process.env.LOG_PRETTY === 'true', destination }: { pretty?: boolean; destination?: DestinationStream } = {},
): Logger {
  const options = { level, name, redact: { paths: redact, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  const transport = pretty ? { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } : undefined;
  return pino({ ...options, transport });
}

export type { Logger };
