// The connection panel's state (renderer/src/state/connections.svelte.ts) through the real handlers served
// in-process, against a real Kafka broker: a tail's first messages that overtake connection.tailStart's reply
// are kept, a stopped tail ends, and another project ends a running tail.
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../engine/core/clock.js';
import { type TestApp, testApp } from '../unit/renderer/helpers.js';
import { startKafka, type KafkaServer } from './servers/kafka.js';
import { createTopic, kafkaClient } from './live-helpers.js';

const MIN = 60_000;

describe('ConnectionsState against a real Kafka broker', () => {
  let kafka: KafkaServer;
  let t: TestApp;

  beforeAll(async () => {
    kafka = await startKafka();
    await createTopic(kafka.brokers, 'state-tail', 1);
    const producer = kafkaClient(kafka.brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'state-tail', messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: 'k', value: `m${i}` })) });
    await producer.disconnect();
    t = testApp({ clock: systemClock });
    await t.app.wb.init();
    await t.app.wb.openProject(t.sample('sensors'));
  }, 10 * MIN);

  afterAll(async () => {
    await t?.dispose();
    await kafka?.stop();
  }, 2 * MIN);

  it("the 'back' messages that arrive before tailStart's reply are shown, in order", async () => {
    const c = t.app.connections;
    c.brokers = kafka.brokers.join(',');
    c.tailFrom = 'back';
    c.tailBack = 4;
    const held = t.transport.hold('connection.tailStart');
    const first = t.next('connection.tail');
    const starting = c.startTail('state-tail');
    await held.answered;
    const early = await first;
    // the batch went out while the reply was held: nothing is shown yet, nothing is lost
    expect(early.messages.map((m) => m.value)).toEqual(['m6', 'm7', 'm8', 'm9']);
    expect(c.tailMessages).toEqual([]);
    expect(c.tailStarting).toBe(true);
    held.release();
    await starting;
    expect(c.tailRunning).toBe(true);
    expect(c.tailMessages.map((m) => `${m.offset}:${m.value}`)).toEqual(['6:m6', '7:m7', '8:m8', '9:m9']);
    expect(c.tailReceived).toBe(4);
  });

  it('stop ends the tail; events of an earlier tail do not reach a later one', async () => {
    const c = t.app.connections;
    const firstTail = c.tail!.tailId;
    const ended = t.next('connection.tailEnded', (e) => e.tailId === firstTail);
    await c.stopTail();
    await ended;
    expect(c.tailRunning).toBe(false);
    expect(c.tailNote).toBe('stopped');
    c.tailFrom = 'back';
    c.tailBack = 2;
    const batch = t.next('connection.tail', (e) => e.tailId !== firstTail);
    await c.startTail('state-tail');
    await batch;
    expect(c.tail!.tailId).not.toBe(firstTail);
    expect(c.tailMessages.map((m) => m.value)).toEqual(['m8', 'm9']);
  });

  it('opening another project ends the running tail and forgets the filled settings', async () => {
    const c = t.app.connections;
    const tailId = c.tail!.tailId;
    expect(c.tailRunning).toBe(true);
    const ended = t.next('connection.tailEnded', (e) => e.tailId === tailId);
    await t.app.wb.openProject(t.sample('netflow'));
    await ended;
    expect(c.tailRunning).toBe(false);
    expect(c.defaults).toBeNull();
    expect(await t.transport.invoke('connection.tailKeepAlive', { tailId })).toEqual({ alive: false });
  });
});
