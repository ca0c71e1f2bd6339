/**
 * Whether a message Twilio lists is the text we asked it to send (pure). Twilio may change
 * a body on the way: Smart Encoding swaps typographic characters for plain GSM ones (curly
 * quotes, dashes, ellipses, unusual spaces) to fit more in a segment, and a trial account
 * prefixes every text. The "already sent?" check after a crash compares bodies, and an
 * exact comparison would miss such a message and send it again.
 */
const TRIAL_PREFIX = 'Sent from your Twilio trial account - ';

const SMART: Array<[RegExp, string]> = [
  [/[\u2018\u2019\u201A\u201B\u2032\u02BC]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, ' '],
];

function plain(text: string): string {
  let out = text.normalize('NFKC');
  for (const [from, to] of SMART) out = out.replace(from, to);
  return out;
}

export function isSameSentBody(listed: string, ours: string): boolean {
  const body = listed.startsWith(TRIAL_PREFIX) ? listed.slice(TRIAL_PREFIX.length) : listed;
  return body === ours || plain(body) === plain(ours);
}
