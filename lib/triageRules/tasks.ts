/**
 * Finds requests addressed to the business ("please send me the quote", "can you call me
 * back", "remind me to renew") and turns each into a task title. Pure.
 */

export interface TaskPhrase {
  /** "Send me the quote for 20 seats": the request, starting at its verb. */
  title: string;
  /** Offset of the request in the text, so a date inside it can become the due date. */
  index: number;
  /** Length of the request's text. */
  length: number;
}

const VERBS = 'send|call|ring|phone|email|e-mail|text|forward|remind me to|confirm|share|provide|update|check|contact|reply|get back to me|let me know|prepare|review';
const MAX_TITLE = 200;

/** A request runs to the end of its sentence ("a.m." is not one), or until "and"/"then" starts another request. */
const UNTIL_NEXT_REQUEST = `(?:[ap]\\.m\\.|[^.!?\\n])*?(?=\\s*,?\\s+(?:and|then|also)\\s+(?:please\\s+)?(?:${VERBS})\\b|[.!?\\n]|$)`;
const REQUEST_BODY = `(?:${VERBS})\\b${UNTIL_NEXT_REQUEST}`;

const REQUEST_PATTERNS: readonly RegExp[] = [
  new RegExp(`\\b(?:please|pls|kindly)\\s+(?:(?:can|could|would) you\\s+)?(${REQUEST_BODY})`, 'gi'),
  new RegExp(`\\b(?:can|could|would|will) you(?: please)?\\s+(${REQUEST_BODY})`, 'gi'),
  new RegExp(`\\b(remind me to\\b${UNTIL_NEXT_REQUEST})`, 'gi'),
];
/** "…, and call me back": only a continuation of a request already found, since "and check" alone is often narration. */
const CONTINUATION = new RegExp(`^\\s*,?\\s+(?:and|then|also)\\s+(?:please\\s+)?(${REQUEST_BODY})`, 'i');

function toTitle(request: string): string {
  const clean = request.replace(/\s+/g, ' ').replace(/[\s,;:?]+$/, '').replace(/\s+please$/i, '').trim();
  const titled = clean.charAt(0).toUpperCase() + clean.slice(1);
  return titled.length > MAX_TITLE ? `${titled.slice(0, MAX_TITLE - 1).trimEnd()}…` : titled;
}

function add(found: TaskPhrase[], request: string, index: number): void {
  const overlaps = found.some((t) => index < t.index + t.length && t.index < index + request.length);
  if (!overlaps && request.trim()) found.push({ title: toTitle(request), index, length: request.length });
}

/** Requests in `text`, in order; overlapping matches of different phrasings count once. */
export function extractTaskPhrases(text: string): TaskPhrase[] {
  const found: TaskPhrase[] = [];
  for (const pattern of REQUEST_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const request = match[1];
      const index = match.index + match[0].length - request.length;
      add(found, request, index);
      // Follow a chain of "… and call me … then send …" from the end of this request.
      let end = index + request.length;
      for (let next = CONTINUATION.exec(text.slice(end)); next; next = CONTINUATION.exec(text.slice(end))) {
        const nextIndex = end + next[0].length - next[1].length;
        add(found, next[1], nextIndex);
        end = nextIndex + next[1].length;
      }
    }
  }
  return found.sort((a, b) => a.index - b.index);
}
