import { createHash } from 'node:crypto';

/** A UUID-shaped key made from any text (a webhook delivery id, a workflow ID): the same text, the same key. */
export function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a rendered field or an event's data holds an id (they hold whatever they were given). */
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);
