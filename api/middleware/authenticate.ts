import { createSecretKey } from 'node:crypto';
import jwt from 'koa-jwt';
import type { Middleware } from 'koa';
import type { Config } from '../../lib/config.ts';
import { JWT_ALGORITHM } from '../auth/tokens.ts';
import type { AppContextExtras, AppState } from '../context.ts';

/**
 * Verifies a Bearer access token when one is sent (koa-jwt, passthrough). Routes decide
 * whether they need a caller (routing.ts `route` vs `publicRoute`), so public routes and
 * provider webhooks pass through while a missing or bad token on a private route is a 401.
 */
export function authenticate(auth: Config['auth']): Middleware<AppState, AppContextExtras> {
  // A key object made once: given a string, jsonwebtoken tries it as a PEM public key
  // (and fails) and then makes a secret key, on every request.
  const secret = createSecretKey(Buffer.from(auth.jwtSecret)) as unknown as string;
  return jwt({ secret, algorithms: [JWT_ALGORITHM], passthrough: true, key: 'user' }) as unknown as Middleware<
    AppState,
    AppContextExtras
  >;
}
