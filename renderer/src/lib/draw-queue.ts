/**
 * Chart redraws, one per animation frame: six charts redrawn in one task during a max-speed
 * replay block a click for as long as all six take; one per frame lets the click in between.
 * A chart queued again before its turn is drawn once, with its latest data.
 */
const queued = new Map<object, () => void>();
let scheduled = false;

function drawNext(): void {
  const first = queued.entries().next();
  if (first.done) {
    scheduled = false;
    return;
  }
  const [owner, draw] = first.value;
  queued.delete(owner);
  draw();
  requestAnimationFrame(drawNext);
}

export function queueDraw(owner: object, draw: () => void): void {
  queued.set(owner, draw);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(drawNext);
  }
}

/** A chart that goes away draws nothing more. */
export function forgetDraw(owner: object): void {
  queued.delete(owner);
}
