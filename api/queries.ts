/** A user's text with LIKE's own wildcards escaped, so it matches only itself. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A user's search text as a LIKE pattern that matches it anywhere, with LIKE's own wildcards escaped. */
export const likePattern = (text: string) => `%${escapeLike(text)}%`;
