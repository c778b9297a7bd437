/**
 * Connection checks of the components that talk to a server (`ts-engine check --connect`, the
 * workbench): the connectors' probes, worded as one line each. The probes (and kafkajs or the
 * InfluxDB client) load only when a check runs.
 */
import type { ConnectionTarget, HealthContext, HealthReport } from './descriptor.js';

export async function checkConnection(target: ConnectionTarget, ctx: HealthContext): Promise<HealthReport> {
  const t0 = ctx.clock.now();
  const report = (ok: boolean, what: string, detail: string, warnings: string[] = []): HealthReport => ({
    ok,
    target: what,
    detail,
    warnings,
    elapsedMs: ctx.clock.now() - t0,
  });
  if (target.kind === 'kafka') {
    const { testKafka, listTopics } = await import('../connectors/kafka-admin.js');
    const args = { brokers: target.brokers, clientId: target.clientId, ssl: target.ssl, sasl: target.sasl as never, timeoutMs: ctx.timeoutMs };
    const r = await testKafka(args, ctx.clock);
    const what = `kafka ${r.address}`;
    if (!r.ok) return report(false, what, r.error ?? 'failed');
    const cluster = `${r.brokers.length} broker${r.brokers.length === 1 ? '' : 's'}, ${r.topicCount ?? 0} topics`;
    if (!target.topic) return report(true, what, cluster);
    try {
      const topics = await listTopics(args, ctx.clock);
      const t = topics.topics.find((x) => x.name === target.topic);
      if (!t)
        return report(true, what, cluster, [
          `topic ${target.topic} does not exist yet (the broker creates it on first use if auto.create.topics.enable is on)`,
        ]);
      const messages = t.messages !== undefined ? `, ${t.messages} messages` : '';
      return report(true, what, `${cluster}; topic ${t.name}: ${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}${messages}`);
    } catch (e) {
      return report(false, what, (e as Error).message);
    }
  }
  if (target.kind === 'cassandra') {
    const { testCassandra } = await import('../connectors/cassandra/probe.js');
    const { kind: _, ...args } = target;
    const r = await testCassandra({ ...args, timeoutMs: ctx.timeoutMs }, ctx.clock);
    const what = `cassandra ${r.address}`;
    if (!r.ok) return report(false, what, r.error ?? 'failed', r.warnings);
    const nodes = `${r.hosts.length} node${r.hosts.length === 1 ? '' : 's'}`;
    const table = r.table?.exists ? `, table ${r.keyspace!.name}.${r.table.name} present` : '';
    return report(
      true,
      what,
      `Cassandra ${r.version ?? '(version unknown)'}, cluster ${r.clusterName ?? '?'}, ${nodes}, ${r.keyspaceCount ?? 0} keyspaces${table}`,
      r.warnings,
    );
  }
  const { testInflux } = await import('../connectors/influx/probe.js');
  const { kind: _, measurement, ...args } = target;
  const r = await testInflux({ ...args, timeoutMs: ctx.timeoutMs }, ctx.clock);
  const what = `influx ${r.url}`;
  if (!r.ok) return report(false, what, r.error ?? 'failed', r.warnings);
  const where = r.api === 'v1' ? (args.database ? `database ${args.database}` : `${r.databases?.length ?? 0} databases`) : `bucket ${args.bucket}`;
  const has =
    measurement && r.measurements
      ? r.measurements.includes(measurement)
        ? `, measurement ${measurement} present`
        : `, measurement ${measurement} not written yet`
      : '';
  return report(true, what, `InfluxDB ${r.version ?? '(version unknown)'}, ${where}${has}`, r.warnings);
}
