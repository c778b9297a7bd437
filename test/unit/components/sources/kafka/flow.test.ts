// Back-pressure of the Kafka input without a broker: a full partition is paused, resumed at half;
// the workbench's pause stops all; pauses are renewed after a re-join (the consumer forgets them);
// a bounded read's partition at its end stays paused.
import { describe, expect, it } from 'vitest';
import { FlowControl } from '../../../../../engine/components/sources/kafka/flow.js';

function recorder() {
  const calls: string[] = [];
  return { calls, consumer: { pause: (p: number[]) => calls.push(`pause ${p.join(',')}`), resume: (p: number[]) => calls.push(`resume ${p.join(',')}`) } };
}

describe('FlowControl', () => {
  it('pauses a partition when its queue is full, resumes it once half of it was handed on', () => {
    const { calls, consumer } = recorder();
    const f = new FlowControl(consumer, 100);
    f.filled(0, 99);
    f.filled(0, 100);
    f.filled(0, 150); // already paused
    f.drained(0, 51);
    f.drained(0, 50);
    expect(calls).toEqual(['pause 0', 'resume 0']);
    expect(f.pausedPartitions()).toEqual([]);
  });

  it('the workbench pause stops every partition; resume restarts those that are not full', () => {
    const { calls, consumer } = recorder();
    const f = new FlowControl(consumer, 100);
    f.filled(1, 100);
    f.pauseAll([0, 1, 2]);
    f.drained(1, 10); // a user pause holds a drained partition too
    f.resumeAll([0, 1, 2]);
    expect(calls).toEqual(['pause 1', 'pause 0,1,2', 'resume 0,2']);
    expect(f.pausedPartitions()).toEqual([1]);
  });

  it('after a re-join: full partitions are paused again, revoked ones forgotten, everything paused while the user paused', () => {
    const { calls, consumer } = recorder();
    const f = new FlowControl(consumer, 10);
    f.filled(0, 10);
    f.filled(3, 10);
    calls.length = 0;
    f.rejoined([0, 1], [3], (p) => (p === 1 ? 12 : 10));
    expect(calls).toEqual(['pause 0', 'pause 1']);
    expect(f.pausedPartitions()).toEqual([0, 1]);
    f.pauseAll([0, 1]);
    calls.length = 0;
    f.rejoined([0, 1, 2], [], () => 0);
    expect(calls).toEqual(['pause 0', 'pause 1', 'pause 0,1,2']);
  });

  it('a partition a bounded read finished stays paused: not resumed when drained or by the user, paused again after a re-join unless it was revoked', () => {
    const { calls, consumer } = recorder();
    const f = new FlowControl(consumer, 10);
    f.filled(0, 10);
    f.reachedEnd(0);
    f.reachedEnd(0);
    f.drained(0, 0);
    f.pauseAll([0, 1]);
    f.resumeAll([0, 1]);
    f.rejoined([0, 1], [], () => 0);
    expect(calls).toEqual(['pause 0', 'pause 0', 'pause 0,1', 'resume 1', 'pause 0']);
    calls.length = 0;
    f.rejoined([1], [0], () => 0);
    f.rejoined([0, 1], [], () => 0);
    expect(calls).toEqual([]);
  });
});
