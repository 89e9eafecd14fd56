// Append-only list that keeps the newest `capacity` items, dropping the oldest in O(1) amortised.
export class BoundedList<T> {
  private items: T[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length - this.start > this.capacity) this.start++;
    // Compact once the dropped prefix is as large as the live part.
    if (this.start > 1024 && this.start >= this.items.length / 2) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  get length(): number {
    return this.items.length - this.start;
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.items.slice(this.start);
  }
}
