/**
 * The container of an audio clip from its first bytes (pure), so a speech API that goes by
 * the file name (Whisper does) is told the truth. Unknown clips are sent as WAV.
 */
export type AudioFormat = 'wav' | 'mp3' | 'ogg' | 'flac' | 'webm' | 'm4a';

export function sniffAudioFormat(clip: Buffer): AudioFormat {
  const ascii = (from: number, to: number) => clip.subarray(from, to).toString('latin1');
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 3) === 'ID3' || (clip[0] === 0xff && clip.length > 1 && (clip[1] & 0xe0) === 0xe0)) return 'mp3';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (clip.length >= 4 && clip.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (ascii(4, 8) === 'ftyp') return 'm4a';
  return 'wav';
}
