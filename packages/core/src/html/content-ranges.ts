/**
 * Which stretches of a page each content list covers, as a page is tokenized: `[start, end)` offsets in
 * pairs, per list, in document order (a change inside them is an edit of the post). Contiguous tokens
 * extend one range, so a post is usually one range however long.
 */
export class ContentRanges {
  /** Per content list, its ranges. */
  readonly lists: number[][] = [];
  private readonly mask: number;
  /** The lists in `runBits` end their last range at `runEnd`, not yet written: a token inside the same lists as the one before only moves `runEnd`. */
  private runBits = 0;
  private runEnd = 0;

  constructor(count: number) {
    for (let l = 0; l < count; l++) this.lists.push([]);
    this.mask = (1 << count) - 1;
  }

  /** `[from, to)` of the page lies inside the lists whose bits `inside` has (other bits are ignored). */
  cover(inside: number, from: number, to: number): void {
    const lists = inside & this.mask;
    if (lists === this.runBits && from === this.runEnd) {
      this.runEnd = to;
      return;
    }
    this.settle();
    for (let bits = lists, l = 0; bits !== 0; bits >>>= 1, l++) {
      if ((bits & 1) === 0) continue;
      const list = this.lists[l]!;
      if (list.length > 0 && list[list.length - 1] === from) list[list.length - 1] = to;
      else list.push(from, to);
    }
    this.runBits = lists;
    this.runEnd = to;
  }

  /** Writes the run's end into the lists' last ranges: call before reading `lists`. */
  settle(): void {
    for (let bits = this.runBits, l = 0; bits !== 0; bits >>>= 1, l++) {
      if ((bits & 1) === 0) continue;
      const list = this.lists[l]!;
      list[list.length - 1] = this.runEnd;
    }
  }
}
