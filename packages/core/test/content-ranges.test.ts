import { describe, expect, it } from 'vitest';
import { ContentRanges } from '../src/html/content-ranges.ts';

describe('ContentRanges', () => {
  it('extends one range while the tokens stay inside the same lists', () => {
    const ranges = new ContentRanges(2);
    ranges.cover(0b01, 0, 10);
    ranges.cover(0b01, 10, 25);
    ranges.cover(0b01, 25, 40);
    ranges.settle();
    expect(ranges.lists).toEqual([[0, 40], []]);
  });

  it('starts a new range after a gap, and keeps each list apart', () => {
    const ranges = new ContentRanges(2);
    ranges.cover(0b11, 0, 10);
    ranges.cover(0b01, 10, 20);
    ranges.cover(0b00, 20, 30);
    ranges.cover(0b11, 30, 35);
    ranges.settle();
    expect(ranges.lists).toEqual([
      [0, 20, 30, 35],
      [0, 10, 30, 35],
    ]);
  });

  it('ignores bits beyond its lists (the exclude list shares the bit field)', () => {
    const ranges = new ContentRanges(1);
    ranges.cover(0b11, 0, 5);
    ranges.cover(0b10, 5, 9);
    ranges.settle();
    expect(ranges.lists).toEqual([[0, 5]]);
  });

  it('writes the open run only when settled', () => {
    const ranges = new ContentRanges(1);
    ranges.cover(1, 0, 5);
    ranges.cover(1, 5, 12);
    expect(ranges.lists).toEqual([[0, 5]]);
    ranges.settle();
    expect(ranges.lists).toEqual([[0, 12]]);
  });
});
