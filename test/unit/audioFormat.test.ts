import { describe, expect, it } from '@jest/globals';
import { sniffAudioFormat } from '../../lib/voice/audioFormat.ts';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('sniffAudioFormat', () => {
  it('knows the common containers by their first bytes', () => {
    expect(sniffAudioFormat(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '))).toBe('wav');
    expect(sniffAudioFormat(bytes('ID3', [4, 0, 0]))).toBe('mp3');
    expect(sniffAudioFormat(bytes([0xff, 0xfb, 0x90, 0x00]))).toBe('mp3');
    expect(sniffAudioFormat(bytes('OggS', [0, 2]))).toBe('ogg');
    expect(sniffAudioFormat(bytes('fLaC', [0, 0, 0, 34]))).toBe('flac');
    expect(sniffAudioFormat(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]))).toBe('webm');
    expect(sniffAudioFormat(bytes([0, 0, 0, 32], 'ftypM4A '))).toBe('m4a');
  });

  it('calls anything else WAV, even a clip too short to tell', () => {
    expect(sniffAudioFormat(bytes('RIFF', [0, 0, 0, 0], 'AVI '))).toBe('wav');
    expect(sniffAudioFormat(Buffer.alloc(0))).toBe('wav');
    expect(sniffAudioFormat(bytes([0xff]))).toBe('wav');
  });
});
