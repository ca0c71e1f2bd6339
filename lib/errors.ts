/** Stable error codes of the API envelope (API.md). Clients switch on these, never on messages. */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'INVALID_TOKEN'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'DUPLICATE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMIT_EXCEEDED'
  | 'SERVICE_UNAVAILABLE'
  | 'NOT_IMPLEMENTED'
  | 'INTERNAL_ERROR';

export interface FieldIssue {
  field: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, status: number, message: string, details: unknown = null, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = details;
    this.headers = headers;
  }
}

export const validationError = (message: string, issues: FieldIssue[] = []) =>
  new AppError('VALIDATION_ERROR', 422, message, issues.length ? { fields: issues } : null);
export const badRequest = (message: string, details: unknown = null) => new AppError('VALIDATION_ERROR', 400, message, details);
export const unauthorized = (message = 'Authentication required') => new AppError('UNAUTHORIZED', 401, message);
export const invalidToken = (message = 'Token is invalid or expired') => new AppError('INVALID_TOKEN', 401, message);
export const forbidden = (message = 'You do not have permission to do this') => new AppError('FORBIDDEN', 403, message);
export const notFound = (resource = 'Resource') => new AppError('NOT_FOUND', 404, `${resource} not found`);
export const conflict = (message: string, details: unknown = null) => new AppError('CONFLICT', 409, message, details);
export const duplicate = (message: string, details: unknown = null) => new AppError('DUPLICATE', 409, message, details);
export const payloadTooLarge = (message = 'Request body is too large') => new AppError('PAYLOAD_TOO_LARGE', 413, message);
export const unsupportedMediaType = (message: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', 415, message);
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('RATE_LIMIT_EXCEEDED', 429, 'Too many requests, slow down', { retry_after: retryAfterSeconds }, {
    'Retry-After': String(retryAfterSeconds),
  });
export const serviceUnavailable = (message: string) => new AppError('SERVICE_UNAVAILABLE', 503, message);
export const notImplemented = (message: string) => new AppError('NOT_IMPLEMENTED', 501, message);

/** A text to a number that opted out (STOP), refused on `field`. */
export const optedOut = (to: string, field: string) =>
  validationError(`${to} opted out of texts (STOP); it can be texted again after it sends START`, [{ field, message: 'the recipient opted out (STOP)', code: 'opted_out' }]);
