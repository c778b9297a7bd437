/** Placeholder until the InfluxDB output lands (issue 4). */
import type { OutputConfig } from '../config/model.js';
import type { ClosedWindow } from '../pipeline/processor.js';
import type { Sink, SinkContext } from './sink.js';

export class InfluxSink implements Sink {
  readonly description = 'influx';
  constructor(_ctx: SinkContext, _out: Extract<OutputConfig, { method: 'influx' }>) {}
  async open(): Promise<void> {
    throw new Error('the InfluxDB output is not available in this build yet');
  }
  async write(_w: ClosedWindow): Promise<void> {}
  async close(): Promise<void> {}
}
