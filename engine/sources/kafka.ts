/** Placeholder until the Kafka source lands (issue 4). */
import type { KafkaInputConfig } from '../config/model.js';
import type { LineBatch, Source } from './source.js';

export class KafkaSource implements Source {
  readonly description: string;
  readonly committable = true;
  constructor(cfg: KafkaInputConfig, _opts: { warn(m: string): void; pollMs: number }) {
    this.description = `kafka ${cfg.topic}`;
  }
  async open(): Promise<void> {
    throw new Error('the Kafka source is not available in this build yet');
  }
  async next(): Promise<LineBatch | null> {
    return null;
  }
  progress(): number | null {
    return null;
  }
  async close(): Promise<void> {}
}
