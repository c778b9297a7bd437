/**
 * A run started before its producer (docs/live.md): the `kafka` input waits for a topic that does
 * not exist yet instead of failing, and the consumer never creates it (that would hide a misspelt
 * name behind an empty topic).
 */
import { logLevel } from 'kafkajs';
import type { Clock } from '../../../core/clock.js';
import { Throttle } from '../../../connectors/backoff.js';
import { createKafka, kafkaCause, type KafkaConnection } from '../../../connectors/kafka-client.js';

export interface TopicWait {
  clock: Clock;
  warn(m: string): void;
  /** true once the run is being stopped: give up */
  stopping(): boolean;
  /** what the wait is at, for the connection status */
  status(detail: string): void;
}

/**
 * Polls the brokers until `topic` exists with a leader for every partition (true), or the run is
 * stopped (false). Brokers that stop answering meanwhile are waited for too (a throttled warning).
 */
export async function waitForTopic(conn: KafkaConnection, topic: string, o: TopicWait): Promise<boolean> {
  const kafka = createKafka(conn, { warn: o.warn, level: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const throttle = new Throttle(o.warn, 30_000, () => o.clock.now());
  let delay = 250;
  let connected = false;
  try {
    while (!o.stopping()) {
      try {
        if (!connected) {
          await admin.connect();
          connected = true;
        }
        if ((await admin.listTopics()).includes(topic)) {
          const meta = await admin.fetchTopicMetadata({ topics: [topic] });
          const parts = meta.topics[0]?.partitions ?? [];
          if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return true;
        }
        o.status(`waiting for topic ${topic}`);
      } catch (e) {
        connected = false;
        await admin.disconnect().catch(() => undefined);
        o.status(`waiting for topic ${topic}: ${kafkaCause(e)}`);
        throttle.say('unreachable', `kafka: still waiting for topic '${topic}': ${kafkaCause(e)}`);
      }
      // short sleeps so a stop is seen quickly
      for (const end = o.clock.now() + delay; o.clock.now() < end && !o.stopping(); ) await o.clock.sleep(Math.min(100, end - o.clock.now()));
      delay = Math.min(2000, delay * 1.5);
    }
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
