/**
 * A small lexicon sentiment score: enough to tell a furious complaint from a thank-you
 * note without a model. Pure.
 */

const POSITIVE = new Set([
  'thanks', 'thank', 'great', 'love', 'loved', 'excellent', 'happy', 'appreciate', 'appreciated', 'good', 'awesome',
  'wonderful', 'pleased', 'amazing', 'fantastic', 'perfect', 'glad', 'helpful', 'nice', 'excited', 'interested',
  'gracias', 'danke', 'merci', 'genial', 'super', 'excelente',
]);

const NEGATIVE = new Set([
  'angry', 'terrible', 'worst', 'unacceptable', 'bad', 'broken', 'disappointed', 'disappointing', 'hate', 'awful',
  'horrible', 'frustrated', 'frustrating', 'annoyed', 'poor', 'useless', 'ridiculous', 'furious', 'rude', 'scam',
  'problem', 'error', 'fail', 'failed', 'failing', 'wrong', 'slow', 'never', 'complaint', 'sucks', 'disgusting',
  'schlecht', 'mal', 'nul', 'pésimo', 'furieux', 'enfadado', 'wütend',
]);

const NEGATORS = new Set(['not', "don't", 'dont', "isn't", "wasn't", 'no', 'never', "didn't", "doesn't", 'hardly']);

/**
 * Sentiment in [-1, 1]. Each lexicon hit counts ±1 (flipped after a negator such as "not
 * happy"); the sum is squashed with s/√(s²+4) so a few hits move it a lot and many hits
 * approach but never pass ±1. Rounded to two decimals for stable output.
 */
export function scoreSentiment(text: string): number {
  let sum = 0;
  // Negation reaches two words back ("not very happy") but not across punctuation ("no problem, thanks").
  for (const clause of text.toLowerCase().split(/[,.;:!?\n]+/)) {
    const words = clause.match(/[\p{L}']+/gu) ?? [];
    words.forEach((word, i) => {
      const polarity = POSITIVE.has(word) ? 1 : NEGATIVE.has(word) ? -1 : 0;
      if (polarity === 0) return;
      const negated = NEGATORS.has(words[i - 1] ?? '') || NEGATORS.has(words[i - 2] ?? '');
      // "never" is itself negative; do not let it flip the next word into a positive.
      sum += negated && word !== 'never' ? -polarity : polarity;
    });
  }
  const squashed = sum / Math.sqrt(sum * sum + 4);
  return Math.max(-1, Math.min(1, Math.round(squashed * 100) / 100));
}
