/**
 * Guesses a message's language from common function words. Short messages are often
 * ambiguous, so anything without a clear lead falls back to English. Pure.
 */

const STOPWORDS: Record<string, readonly string[]> = {
  en: ['the', 'and', 'is', 'are', 'you', 'to', 'of', 'for', 'with', 'my', 'we', 'can', 'this', 'have', 'please', 'i', 'it', 'your', 'in', 'on', 'at', 'be'],
  es: ['el', 'la', 'los', 'las', 'de', 'que', 'y', 'en', 'un', 'una', 'por', 'para', 'con', 'es', 'mi', 'hola', 'gracias', 'quiero', 'necesito', 'usted', 'está', 'pero', 'del', 'muy'],
  de: ['der', 'die', 'das', 'und', 'ist', 'ich', 'nicht', 'mit', 'sie', 'ein', 'eine', 'für', 'auf', 'wir', 'hallo', 'bitte', 'danke', 'mein', 'meine', 'haben', 'können', 'gibt', 'es', 'zu'],
  fr: ['le', 'la', 'les', 'et', 'est', 'je', 'vous', 'pour', 'avec', 'une', 'un', 'des', 'du', 'bonjour', 'merci', 'mon', 'ma', 'nous', 'pas', 'que', 'qui', 'sur', 'voudrais', 'pouvez'],
};

/** ISO 639-1 code ("en", "es", "de", "fr") of the language with the most stopword hits; "en" unless another leads with at least two. */
export function detectLanguage(text: string): string {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  let best = 'en';
  let bestHits = 0;
  const counts: Record<string, number> = {};
  for (const [language, stopwords] of Object.entries(STOPWORDS)) {
    const set = new Set(stopwords);
    counts[language] = words.filter((w) => set.has(w)).length;
    if (counts[language] > bestHits) {
      best = language;
      bestHits = counts[language];
    }
  }
  if (best === 'en') return 'en';
  return bestHits >= 2 && bestHits > (counts.en ?? 0) ? best : 'en';
}
