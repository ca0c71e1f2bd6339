/**
 * How hybrid search orders and filters. Two different numbers, on purpose:
 *
 * - Order: reciprocal rank fusion of the full-text ranking and the vector ranking
 *   (Σ 1/(k + rank), k = 60). It needs no common scale between the two, but its value
 *   depends on the query and on how many candidates there are: the top result of any
 *   query scores about the same, relevant or not, so it is never compared with a
 *   threshold.
 * - Threshold: `similarity`, an absolute score in [0, 1] for each passage on its own: the
 *   share of the query's content words the passage contains, or the embedding cosine
 *   mapped onto [0, 1] by the model's calibration band, whichever is larger. A passage
 *   with every word of the question scores 1; one sharing nothing but close in meaning
 *   scores by its cosine. `min_similarity` keeps passages at or above it (0 keeps all).
 */

export interface Calibration {
  /** Cosine of unrelated texts for this model: maps to 0. */
  floor: number;
  /** Cosine of near-duplicates: maps to 1. */
  ceiling: number;
}

export interface Fused<T> {
  key: string;
  item: T;
  score: number;
  /** The item's 1-based rank in each input list, null where it was absent. */
  ranks: (number | null)[];
}

export const RRF_K = 60;

/**
 * Merges ranked lists (best first) by reciprocal rank; ties go to the smaller key, so the
 * order is deterministic. An item listed by several lists is the first list's.
 */
export function reciprocalRankFusion<T>(lists: Array<Array<{ key: string; item: T }>>, k = RRF_K): Array<Fused<T>> {
  const fused = new Map<string, Fused<T>>();
  lists.forEach((list, l) => {
    list.forEach(({ key, item }, index) => {
      let entry = fused.get(key);
      if (!entry) {
        entry = { key, item, score: 0, ranks: lists.map(() => null) };
        fused.set(key, entry);
      }
      // A key listed twice in one list counts at its best rank only.
      if (entry.ranks[l] !== null) return;
      entry.ranks[l] = index + 1;
      entry.score += 1 / (k + index + 1);
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** A model's cosine on [0, 1]: its floor to 0, its ceiling to 1, linear between, clamped. */
export function calibrateCosine(cosine: number, calibration: Calibration): number {
  // A band of no width is a step, not a division by zero.
  if (calibration.ceiling <= calibration.floor) return cosine >= calibration.ceiling ? 1 : 0;
  return clamp01((cosine - calibration.floor) / (calibration.ceiling - calibration.floor));
}

/** The passage's similarity to the query (see above), to 4 decimals. */
export function passageSimilarity(input: { coverage: number; cosine: number | null; calibration: Calibration }): number {
  const semantic = input.cosine === null ? 0 : calibrateCosine(input.cosine, input.calibration);
  return Math.round(Math.max(clamp01(input.coverage), semantic) * 10_000) / 10_000;
}
