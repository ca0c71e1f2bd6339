/**
 * The drafted reply when no model is configured: the best passage, quoted, naming the
 * document it comes from, so the person sending it sees exactly what it rests on.
 * Long passages are cut at a sentence end near `maxChars` rather than mid-word.
 */
export function quotedPassageReply(passage: { title: string; content: string }, maxChars = 700): string {
  let text = passage.content.trim().replace(/\n{3,}/g, '\n\n');
  if (text.length > maxChars) {
    const cut = text.slice(0, maxChars);
    const sentenceEnd = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.\n'), cut.lastIndexOf('? '), cut.lastIndexOf('! '));
    text = sentenceEnd > maxChars / 2 ? cut.slice(0, sentenceEnd + 1) : `${cut.slice(0, cut.lastIndexOf(' ') > 0 ? cut.lastIndexOf(' ') : maxChars)}…`;
  }
  const quoted = text.split('\n').map((line) => (line ? `> ${line}` : '>')).join('\n');
  return `Thanks for your message. From "${passage.title}":\n\n${quoted}`;
}
