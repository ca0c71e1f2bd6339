import { describe, expect, it } from '@jest/globals';
import { pgArray } from '../../lib/pgArray.ts';

describe('pgArray', () => {
  it('quotes every element, escaping quotes and backslashes', () => {
    expect(pgArray([])).toBe('{}');
    expect(pgArray(['a', 'b,c', 'say "hi"', 'back\\slash', 'NULL'])).toBe('{"a","b,c","say \\"hi\\"","back\\\\slash","NULL"}');
    expect(pgArray([1, 2.5])).toBe('{"1","2.5"}');
  });
});
