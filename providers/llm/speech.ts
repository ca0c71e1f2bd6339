/**
 * Speech for AI calls through an OpenAI-compatible audio API (the real `openai` client):
 * what the person said, transcribed, and the agent's line, spoken. Only with a key
 * (OPENAI_API_KEY, OPENAI_BASE_URL for another server); without one calls are text only.
 */
import OpenAI, { toFile } from 'openai';
import { sniffAudioFormat } from '../../lib/voice/audioFormat.ts';
import { toProviderError } from './openaiErrors.ts';

/** The voices OpenAI's speech models have; any other voice_id (seed 004's `bella`) falls back to the configured one. */
export const OPENAI_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse'] as const;
type Voice = (typeof OPENAI_VOICES)[number];

export interface Speech {
  readonly name: string;
  /** The words in a clip (WAV, MP3, OGG, FLAC, WebM or M4A); `language` an ISO-639-1 hint. */
  transcribe(clip: Buffer, opts?: { language?: string }): Promise<string>;
  /** The line as MP3. */
  speak(text: string, opts?: { voice?: string; speed?: number }): Promise<Buffer>;
}

export interface SpeechOptions {
  apiKey?: string | null;
  baseURL?: string | null;
  timeoutMs: number;
  transcribeModel: string;
  speechModel: string;
  voice: string;
}

export function createSpeech(o: SpeechOptions): Speech | null {
  if (!o.apiKey) return null;
  const client = new OpenAI({ apiKey: o.apiKey, baseURL: o.baseURL ?? undefined, maxRetries: 1, timeout: o.timeoutMs });
  const secrets = [o.apiKey];
  const isVoice = (v: unknown): v is Voice => typeof v === 'string' && (OPENAI_VOICES as readonly string[]).includes(v);
  return {
    name: `openai:${o.transcribeModel}+${o.speechModel}`,
    async transcribe(clip, opts = {}) {
      try {
        const file = await toFile(clip, `utterance.${sniffAudioFormat(clip)}`);
        const heard = await client.audio.transcriptions.create({ file, model: o.transcribeModel, ...(opts.language ? { language: opts.language } : {}) });
        return heard.text.trim();
      } catch (err) {
        throw toProviderError(err, 'openai-audio', secrets);
      }
    },
    async speak(text, opts = {}) {
      try {
        const voice = isVoice(opts.voice) ? opts.voice : o.voice;
        const speed = typeof opts.speed === 'number' && opts.speed >= 0.25 && opts.speed <= 4 ? opts.speed : undefined;
        const audio = await client.audio.speech.create({ model: o.speechModel, voice, input: text.slice(0, 4_096), response_format: 'mp3', ...(speed ? { speed } : {}) });
        return Buffer.from(await audio.arrayBuffer());
      } catch (err) {
        throw toProviderError(err, 'openai-audio', secrets);
      }
    },
  };
}
