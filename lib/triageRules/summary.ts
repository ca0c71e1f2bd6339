/**
 * A one-line summary for inbox lists when no model writes one: the first sentence that
 * says something, without the greeting. Pure.
 */

const GREETING_ONLY = /^(?:hi|hello|hey|dear\b[^,!.]*|good (?:morning|afternoon|evening)|greetings|hola|hallo|guten tag|bonjour|salut)\b[^\p{L}]*(?:\p{L}+[^\p{L}]*){0,2}$/iu;
const LEADING_GREETING = /^(?:hi|hello|hey|good (?:morning|afternoon|evening)|hola|hallo|bonjour)(?:\s+there)?\s*[,!.]\s*/i;

/** First meaningful sentence of `content` (greeting stripped), else the subject; at most `maxLength` characters. */
export function summarize(content: string, subject?: string | null, maxLength = 200): string {
  const sentences = content
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s !== '');
  const meaningful = sentences.find((s) => !GREETING_ONLY.test(s)) ?? sentences[0] ?? '';
  const stripped = meaningful.replace(LEADING_GREETING, '') || meaningful;
  const sentence = stripped.charAt(0).toUpperCase() + stripped.slice(1);
  const summary = sentence || subject?.trim() || '';
  if (summary.length <= maxLength) return summary;
  const cut = summary.slice(0, maxLength - 1);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > maxLength / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}
