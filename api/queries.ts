/** A user's search text as a LIKE pattern that matches it anywhere, with LIKE's own wildcards escaped. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export const sortOrder = (order: 'asc' | 'desc') => (order === 'asc' ? 'asc' : 'desc') as 'asc' | 'desc';
