import { createHash } from 'node:crypto';

/**
 * A multipart/form-data body's SHA-256 with its boundary taken out: a client retrying the
 * same form may frame it with a new boundary (fetch makes one per request from a FormData),
 * and it is still the same request. Every other byte counts: the parts' headers (field
 * names, file names) and their contents, in order.
 */
export function multipartDigest(body: Buffer, boundary: string): string {
  const hash = createHash('sha256');
  if (!boundary) return hash.update(body).digest('hex');
  const marker = Buffer.from(`--${boundary}`, 'latin1');
  let from = 0;
  for (let at = body.indexOf(marker, from); at !== -1; at = body.indexOf(marker, from)) {
    // A fixed token where the boundary was, so moving one byte across it changes the digest.
    hash.update(body.subarray(from, at)).update('\u0000boundary\u0000');
    from = at + marker.length;
  }
  return hash.update(body.subarray(from)).digest('hex');
}
