import { describe, expect, it } from '@jest/globals';
import { calibrateCosine, passageSimilarity, reciprocalRankFusion } from '../../lib/knowledge/rankFusion.ts';

const list = (...keys: string[]) => keys.map((key) => ({ key, item: key.toUpperCase() }));

describe('reciprocalRankFusion', () => {
  it('puts what both lists rank high first, and scores by 1/(k + rank)', () => {
    const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('b', 'c', 'd')]);
    expect(fused.map((f) => f.key)).toEqual(['b', 'c', 'a', 'd']);
    expect(fused[0]).toEqual({ key: 'b', item: 'B', score: 1 / 62 + 1 / 61, ranks: [2, 1] });
    expect(fused.find((f) => f.key === 'd')).toMatchObject({ score: 1 / 63, ranks: [null, 3] });
  });

  it('breaks ties by key, and counts a key twice in one list once', () => {
    expect(reciprocalRankFusion([list('y'), list('x')]).map((f) => f.key)).toEqual(['x', 'y']);
    expect(reciprocalRankFusion([list('a', 'a')])[0].score).toBeCloseTo(1 / 61, 12);
  });

  it('honours k', () => {
    expect(reciprocalRankFusion([list('a')], 0)[0].score).toBe(1);
  });

  it('answers nothing for no lists or empty ones, and a rank slot for every list', () => {
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
    expect(reciprocalRankFusion([[], list('a'), []])).toEqual([{ key: 'a', item: 'A', score: 1 / 61, ranks: [null, 1, null] }]);
  });

  it('keeps the first list\'s item for a key both lists hold', () => {
    const fused = reciprocalRankFusion([[{ key: 'k', item: 'lexical' }], [{ key: 'k', item: 'semantic' }]]);
    expect(fused).toEqual([{ key: 'k', item: 'lexical', score: 2 / 61, ranks: [1, 1] }]);
  });
});

describe('similarity', () => {
  const calibration = { floor: 0.2, ceiling: 0.7 };

  it('maps the calibration band onto [0, 1], clamped', () => {
    expect(calibrateCosine(0.2, calibration)).toBe(0);
    expect(calibrateCosine(0.45, calibration)).toBeCloseTo(0.5, 12);
    expect(calibrateCosine(0.9, calibration)).toBe(1);
    expect(calibrateCosine(-0.5, calibration)).toBe(0);
  });

  it('treats a band of no width as a step instead of dividing by zero', () => {
    expect(calibrateCosine(0.5, { floor: 0.5, ceiling: 0.5 })).toBe(1);
    expect(calibrateCosine(0.49, { floor: 0.5, ceiling: 0.5 })).toBe(0);
  });

  it('stays in [0, 1] whatever it is given', () => {
    expect(passageSimilarity({ coverage: 1.5, cosine: null, calibration })).toBe(1);
    expect(passageSimilarity({ coverage: -1, cosine: -1, calibration })).toBe(0);
    expect(passageSimilarity({ coverage: Number.NaN, cosine: Number.NaN, calibration })).toBe(0);
    expect(passageSimilarity({ coverage: 0, cosine: 0.2 + 0.5 * 0.123456, calibration })).toBe(0.1235);
  });

  it('is the larger of word coverage and calibrated cosine', () => {
    expect(passageSimilarity({ coverage: 1, cosine: 0.1, calibration })).toBe(1);
    expect(passageSimilarity({ coverage: 0.25, cosine: 0.6, calibration })).toBe(0.8);
    expect(passageSimilarity({ coverage: 0.5, cosine: null, calibration })).toBe(0.5);
    expect(passageSimilarity({ coverage: 1 / 3, cosine: 0, calibration })).toBe(0.3333);
  });
});
