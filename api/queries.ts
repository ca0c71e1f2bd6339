/** A user's search text as a LIKE pattern that matches it anywhere, with LIKE's own wildcards escaped. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
