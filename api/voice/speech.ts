import { AppError, serviceUnavailable, validationError } from '../../lib/errors.ts';
import { ProviderError } from '../../providers/errors.ts';
import type { Speech } from '../../providers/llm/speech.ts';
import type { Logger } from 'pino';

/** Base64, optionally as a data URL (`data:audio/wav;base64,…`), as browsers record it. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

type Settings = Record<string, unknown>;

/** The ISO-639-1 part of a call's language (`en-US` → `en`), Whisper's hint. */
const languageOf = (s: Settings) => (typeof s.language === 'string' && /^[a-z]{2}(-[A-Za-z]{2})?$/.test(s.language) ? s.language.slice(0, 2) : undefined);

/** The bytes of base64 audio (`field` names it in the 422 when it is not base64). */
export function decodeAudio(base64: string, field: string): Buffer {
  const data = base64.replace(/^data:[\w/+.-]+;base64,/, '').replace(/\s+/g, '');
  if (!BASE64.test(data) || data.length % 4 === 1) throw validationError('Invalid audio', [{ field, message: 'must be base64-encoded audio' }]);
  return Buffer.from(data, 'base64');
}

/**
 * What the person said in a clip: a clip the speech API cannot read is the caller's (422,
 * on `field`); an API that cannot be reached is a 503.
 */
export async function hear(speech: Speech, clip: Buffer, settings: Settings, field: string): Promise<string> {
  let words: string;
  try {
    words = await speech.transcribe(clip, { language: languageOf(settings) });
  } catch (err) {
    if (err instanceof ProviderError && (err.kind === 'rejected' || err.status === 400)) throw validationError('Invalid audio', [{ field, message: `could not be transcribed: ${err.message}` }]);
    if (err instanceof ProviderError) throw serviceUnavailable('The speech service is not answering; send the words as text, or try again');
    throw err;
  }
  if (!words) throw validationError('Invalid audio', [{ field, message: 'held no speech' }]);
  return words;
}

/** The agent's line spoken (base64 MP3) in the call's voice; null when speech is off or fails (the words still go back). */
export async function spoken(speech: Speech | null, text: string, settings: Settings, log: Logger): Promise<string | null> {
  if (!speech) return null;
  try {
    const audio = await speech.speak(text, { voice: typeof settings.voice_id === 'string' ? settings.voice_id : undefined, speed: typeof settings.speed === 'number' ? settings.speed : undefined });
    return audio.toString('base64');
  } catch (err) {
    log.warn({ err: err instanceof AppError || err instanceof Error ? err.message : String(err) }, 'the agent’s line was not spoken; text only');
    return null;
  }
}
