// The charts' draw queue (renderer/src/lib/draw-queue.ts): one draw per task, a chart queued twice draws once, a chart
// removed draws no more, and a draw that throws does not stop the others.
import { describe, expect, it } from 'vitest';
import { DrawQueue } from '../../../../renderer/src/lib/draw-queue.js';

/** tasks posted, run when the test says */
function tasks() {
  const posted: (() => void)[] = [];
  return { post: (run: () => void) => posted.push(run), runOne: () => posted.shift()?.(), posted };
}

describe('DrawQueue', () => {
  it('draws one chart per task, in the order queued; a chart queued again before its turn draws once', () => {
    const t = tasks();
    const q = new DrawQueue(t.post);
    const drawn: string[] = [];
    const a = () => drawn.push('a');
    const b = () => drawn.push('b');
    const c = () => drawn.push('c');
    q.add(a);
    q.add(b);
    q.add(a);
    q.add(c);
    expect(t.posted).toHaveLength(1);
    t.runOne();
    expect(drawn).toEqual(['a']);
    t.runOne();
    t.runOne();
    expect(drawn).toEqual(['a', 'b', 'c']);
    expect(t.posted).toHaveLength(0);
    expect(q.pending).toBe(0);
    // queued again after its draw: it draws again
    q.add(a);
    t.runOne();
    expect(drawn).toEqual(['a', 'b', 'c', 'a']);
  });

  it('a removed chart draws no more; a draw that throws leaves the others their turn', () => {
    const t = tasks();
    const q = new DrawQueue(t.post);
    const drawn: string[] = [];
    const failing = () => {
      throw new Error('no canvas');
    };
    const gone = () => drawn.push('gone');
    const kept = () => drawn.push('kept');
    q.add(failing);
    q.add(gone);
    q.add(kept);
    q.remove(gone);
    expect(() => t.runOne()).toThrow('no canvas');
    t.runOne();
    expect(drawn).toEqual(['kept']);
    expect(t.posted).toHaveLength(0);
  });
});
