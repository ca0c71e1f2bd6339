/**
 * Checks shared by the providers that get vectors from elsewhere (a server, a model file),
 * so a bad vector fails loudly here instead of silently skewing every similarity later.
 */
import { ProviderError } from '../errors.ts';

/**
 * `vector` scaled to unit length. Providers normalise even when the model claims to,
 * because stored vectors are compared by dot product and a model swap must not change that.
 */
export function l2Normalise(vector: ArrayLike<number>, provider: string, expectedDimension: number): number[] {
  if (vector.length !== expectedDimension) {
    // Wrong length means the configured dimension or model is wrong; retrying cannot fix it.
    throw new ProviderError(provider, 'rejected', `${provider} returned a ${vector.length}-dimensional vector, expected ${expectedDimension}`);
  }
  let sumOfSquares = 0;
  for (let i = 0; i < vector.length; i += 1) {
    const value = vector[i];
    if (!Number.isFinite(value)) throw new ProviderError(provider, 'malformed_response', `${provider} returned a vector with a non-finite value`);
    sumOfSquares += value * value;
  }
  if (sumOfSquares === 0) throw new ProviderError(provider, 'malformed_response', `${provider} returned an all-zero vector`);
  const norm = Math.sqrt(sumOfSquares);
  return Array.from(vector, (value) => value / norm);
}
