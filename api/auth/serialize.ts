import type { User } from '../../entities/User.ts';

export function userDto(user: User) {
  const fullName = [user.firstName, user.lastName].filter(Boolean).join(' ') || null;
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName ?? null,
    last_name: user.lastName ?? null,
    full_name: fullName,
    phone: user.phone ?? null,
    role: user.role,
    is_active: user.isActive,
    tenant_id: user.tenant.id,
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
    created_at: user.createdAt.toISOString(),
  };
}

/** "Ada Lovelace" → first/last; explicit first/last names win. */
export function splitName(full?: string, first?: string, last?: string): { firstName: string | null; lastName: string | null } {
  if (first || last) return { firstName: first ?? null, lastName: last ?? null };
  if (!full) return { firstName: null, lastName: null };
  const [head, ...rest] = full.trim().split(/\s+/);
  return { firstName: head ?? null, lastName: rest.join(' ') || null };
}
