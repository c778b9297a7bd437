/**
 * Charts draw one per task (docs/workbench.md#responsiveness): a redraw of every chart at once is
 * one long task during a max-speed replay, and a click that comes meanwhile waits for all of it.
 * Queued one at a time, a click waits for at most one chart, since the browser runs input before
 * the next queued task. A chart queued again before its turn draws once, with what is newest then.
 */
export class DrawQueue {
  private readonly queue = new Set<() => void>();
  private posted = false;

  /** `post` runs its function in a later task */
  constructor(private readonly post: (run: () => void) => void) {}

  add(draw: () => void): void {
    this.queue.add(draw);
    if (this.posted) return;
    this.posted = true;
    this.post(() => this.next());
  }

  /** a chart that went away draws no more */
  remove(draw: () => void): void {
    this.queue.delete(draw);
  }

  get pending(): number {
    return this.queue.size;
  }

  private next(): void {
    const draw = this.queue.values().next().value;
    if (draw) {
      this.queue.delete(draw);
      try {
        draw();
      } finally {
        if (this.queue.size > 0) this.post(() => this.next());
        else this.posted = false;
      }
      return;
    }
    this.posted = false;
  }
}

/** A task after the current one (the page's input, queued meanwhile, goes first). */
export const postTask = (run: () => void): void => {
  setTimeout(run, 0);
};
