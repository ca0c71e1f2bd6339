import { pgArray } from '../pgArray.ts';

/**
 * A campaign's segment as SQL over `contact` (pure): every condition given must hold;
 * archived contacts are never in a segment. Parameters are `?` placeholders, in order.
 */
export interface Segment {
  tags?: string[];
  has_phone?: boolean;
  has_email?: boolean;
  organization?: string;
  created_after?: string;
  created_before?: string;
}

export function segmentWhere(s: Segment): { sql: string; params: unknown[] } {
  const parts = ['c.archived_at is null'];
  const params: unknown[] = [];
  if (s.tags?.length) {
    parts.push('c.tags && ?::text[]');
    params.push(pgArray(s.tags));
  }
  if (s.has_phone !== undefined) parts.push(s.has_phone ? 'c.phone is not null' : 'c.phone is null');
  if (s.has_email !== undefined) parts.push(s.has_email ? 'c.email is not null' : 'c.email is null');
  if (s.organization) {
    parts.push('lower(c.organization) = lower(?)');
    params.push(s.organization);
  }
  if (s.created_after) {
    parts.push('c.created_at >= ?');
    params.push(s.created_after);
  }
  if (s.created_before) {
    parts.push('c.created_at < ?');
    params.push(s.created_before);
  }
  return { sql: parts.join(' and '), params };
}

/** Campaign steps: each contact's straight line of actions (waits and branches need a run of their own: an event trigger). */
export const CAMPAIGN_ACTIONS = ['send_sms', 'send_email', 'add_tag', 'create_task', 'update_contact'] as const;

/** Why an automation's steps cannot run as a campaign, or null. */
export function campaignProblem(steps: Array<{ id: string; type: string; next?: string }>): string | null {
  for (const s of steps) {
    if (!(CAMPAIGN_ACTIONS as readonly string[]).includes(s.type)) return `step ${s.id} is ${s.type}: a campaign runs ${CAMPAIGN_ACTIONS.join(', ')} for each contact, in order`;
    if (s.next !== undefined) return `step ${s.id} jumps (next): a campaign runs its steps in order`;
  }
  return null;
}
