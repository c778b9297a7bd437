"""The exported ts-engine pipeline as an Apache Flink job (PyFlink DataStream API).

  python job.py                                   run on the configured Kafka input (local mode)
  python job.py --replay data.csv --sink jsonl:out.jsonl
  flink run -py job.py -pyexec <python> -- --cluster …   on a cluster

See README.md for every option."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

GEN_MODULE = 'tsengine_job.generated'


class UsageError(Exception):
    pass


def parse_target(spec, what, allow):
    kind, sep, rest = spec.partition(':')
    if not sep or kind not in allow or not rest:
        raise UsageError('%s %r: use %s' % (what, spec, ' or '.join(a + ':' + ('<file>|-' if a == 'jsonl' else '<host:port,…>/<topic>') for a in allow)))
    if kind == 'jsonl':
        return {'kind': 'jsonl', 'path': rest if rest == '-' else os.path.abspath(rest)}
    brokers, slash, topic = rest.rpartition('/')
    if not slash or not brokers or not topic:
        raise UsageError('%s %r: a kafka target is kafka:<host:port,…>/<topic>' % (what, spec))
    return {'kind': 'kafka', 'brokers': brokers, 'topic': topic}


def resolve_secrets(value, missing):
    """{"env": NAME} placeholders (the export never writes a secret) → the variable's value."""
    if isinstance(value, dict):
        if set(value) == {'env'}:
            v = os.environ.get(value['env'])
            if v is None:
                missing.append(value['env'])
            return v
        return {k: resolve_secrets(v, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, missing) for v in value]
    return value


def kafka_properties(conn):
    props = {}
    sasl = conn.get('sasl')
    ssl = conn.get('ssl')
    if sasl:
        props['security.protocol'] = 'SASL_SSL' if ssl else 'SASL_PLAINTEXT'
        mech = sasl['mechanism'].upper()
        props['sasl.mechanism'] = mech
        module = 'org.apache.kafka.common.security.plain.PlainLoginModule' if mech == 'PLAIN' else 'org.apache.kafka.common.security.scram.ScramLoginModule'
        props['sasl.jaas.config'] = '%s required username="%s" password="%s";' % (module, sasl['username'], sasl['password'])
    elif ssl:
        props['security.protocol'] = 'SSL'
    return props


def arg_parser(s):
    ap = argparse.ArgumentParser(prog='job.py', description='ts-engine export of %s as a Flink job' % s['configName'])
    ap.add_argument('--replay', metavar='CSV', help='read this recorded file (bounded) instead of the configured input')
    ap.add_argument('--header', action='store_true', default=None, help='the replay file has a header line')
    ap.add_argument('--sink', action='append', default=[], metavar='TARGET', help='jsonl:<file>|jsonl:-|kafka:<brokers>/<topic>; replaces the configured outputs')
    ap.add_argument('--alerts', action='append', default=[], metavar='TARGET', help='jsonl:<file>|jsonl:-|kafka:<brokers>/<topic>; replaces the configured alert sinks')
    ap.add_argument('--dead-letters', metavar='TARGET', help='jsonl:<file>|kafka:<brokers>/<topic>: where row errors and late rows go')
    ap.add_argument('--parallelism', type=int, default=None, help='parallelism of the keyed stages and the Kafka source')
    ap.add_argument('--until-end', action='store_true', help='Kafka input: stop at the end offsets the topic has when the job starts')
    ap.add_argument('--jars', default=os.path.join(HERE, 'jars'), help='folder with the Kafka connector jars (README.md)')
    ap.add_argument('--checkpoint-interval', type=int, default=None, metavar='MS', help='enable checkpoints every MS milliseconds')
    ap.add_argument('--cluster', action='store_true', help='submitted with flink run: keep the cluster\'s python executable and jars')
    return ap


def main(argv):
    import importlib
    gen = importlib.import_module(GEN_MODULE)
    ap = arg_parser(gen.SETTINGS)
    args = ap.parse_args(argv)
    from pyflink.datastream import CheckpointingMode, StreamExecutionEnvironment
    env = StreamExecutionEnvironment.get_execution_environment()
    # operators PyFlink adds (side outputs, timestamp extraction) run at the default parallelism: 1 keeps
    # dead letters and windows in order; the keyed stage and the Kafka source get --parallelism explicitly
    env.set_parallelism(1)
    if args.checkpoint_interval:
        env.enable_checkpointing(args.checkpoint_interval, CheckpointingMode.EXACTLY_ONCE)
    env.add_python_file(os.path.join(HERE, 'tsengine_job'))
    if not args.cluster:
        env.set_python_executable(sys.executable)
        if needs_kafka(gen.SETTINGS, args):
            # before the graph is built: the Kafka table source is planned while building
            jars = sorted(os.path.join(args.jars, f) for f in os.listdir(args.jars) if f.endswith('.jar')) if os.path.isdir(args.jars) else []
            if not any('flink-connector-kafka' in os.path.basename(j) for j in jars):
                sys.stderr.write('error: Kafka needs the connector jars in %s; fetch them with:\n  mvn -q -f %s dependency:copy-dependencies -DoutputDirectory=%s\n' % (
                    args.jars, os.path.join(HERE, 'pom.xml'), args.jars))
                return 2
            env.add_jars(*['file://' + j for j in jars])
    try:
        build_job(env, GEN_MODULE, args)
    except UsageError as e:
        ap.error(str(e))
    except SetupError as e:
        sys.stderr.write('error: %s\n' % e)
        return 2
    env.execute('ts-engine %s' % gen.SETTINGS['configName'])
    return 0


class SetupError(Exception):
    pass


def needs_kafka(s, args):
    targets = list(args.sink) + list(args.alerts) + ([args.dead_letters] if args.dead_letters else [])
    configured_alerts = [] if args.alerts else [a for a in s['alerts'] if a['method'] == 'kafka']
    return (args.replay is None and s['input'] is not None) or any(t.startswith('kafka:') for t in targets) or bool(configured_alerts)


def build_job(env, gen_module, args):
    """Adds the pipeline of one generated module to env (the Kafka jars, when needs_kafka, are already added)."""
    import importlib
    gen = importlib.import_module(gen_module)
    s = gen.SETTINGS
    sinks = [parse_target(t, '--sink', ('jsonl', 'kafka')) for t in args.sink]
    alert_targets = [parse_target(t, '--alerts', ('jsonl', 'kafka')) for t in args.alerts]
    dead = parse_target(args.dead_letters, '--dead-letters', ('jsonl', 'kafka')) if args.dead_letters else None
    replay = args.replay
    if replay is None and s['input'] is None:
        if not s['defaultReplay']:
            raise UsageError('the config reads standard input; give the file with --replay <file>')
        replay = s['defaultReplay']

    missing = []
    outputs = resolve_secrets(s['outputs'], missing)
    alerts_cfg = resolve_secrets(s['alerts'], missing)
    inp = resolve_secrets(s['input'], missing) if replay is None else None
    history = resolve_secrets(s['analysis']['history'], missing) if s.get('analysis') else None
    if missing:
        raise SetupError('set the environment variable(s) %s (secrets are not stored in the export)' % ', '.join(sorted(set(missing))))

    if sinks:
        outputs = [{'method': 'stdout', 'format': 'jsonl', 'path': t['path']} for t in sinks if t['kind'] == 'jsonl']
    kafka_sinks = [t for t in sinks if t['kind'] == 'kafka']
    if alert_targets:
        alerts_cfg = [{'method': 'stdout', 'format': 'jsonl', 'path': t['path']} for t in alert_targets if t['kind'] == 'jsonl'] + \
                     [{'method': 'kafka', 'brokers': t['brokers'].split(','), 'topic': t['topic']} for t in alert_targets if t['kind'] == 'kafka']
    text_alerts = [a for a in alerts_cfg if a['method'] == 'stdout']
    kafka_alerts = [a for a in alerts_cfg if a['method'] == 'kafka']

    from pyflink.common import Types, WatermarkStrategy
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.common.watermark_strategy import TimestampAssigner
    from pyflink.datastream.connectors.base import DeliveryGuarantee
    from pyflink.datastream.connectors.kafka import KafkaRecordSerializationSchema, KafkaSink
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource
    from pyflink.datastream.output_tag import OutputTag

    from tsengine_job import flink_ops as ops

    parallelism = args.parallelism or 1
    for n in s.get('notes', []):
        sys.stderr.write('note: %s\n' % n)

    # ---- input -----------------------------------------------------------------------------------------
    if replay is not None:
        path = os.path.abspath(replay)
        if not os.path.isfile(path):
            raise SetupError('cannot open input file %s: no such file' % path)
        chunks = ops.chunk_plan(path) or [(0, 0, 0)]
        header = s['replayHeader'] if args.header is None else args.header
        lines = env.from_source(NumberSequenceSource(0, len(chunks) - 1), WatermarkStrategy.no_watermarks(), 'replay ' + os.path.basename(path)).set_parallelism(1)
        stage_fn = ops.RowStageFunction(gen_module, 'replay', path, header, chunks)
    else:
        from pyflink.table import StreamTableEnvironment
        t_env = StreamTableEnvironment.create(env)
        opts = {
            'connector': 'kafka',
            'topic': inp['topic'],
            'properties.bootstrap.servers': ','.join(inp['brokers']),
            'properties.group.id': inp['consumerGroup'],
            'properties.client.id.prefix': inp['clientId'],
            'scan.startup.mode': 'group-offsets',
            'properties.auto.offset.reset': 'earliest' if inp['fromBeginning'] else 'latest',
            'format': 'raw',
        }
        if args.until_end:
            opts['scan.bounded.mode'] = 'latest-offset'
        opts['scan.parallelism'] = str(parallelism)
        for k, v in kafka_properties(inp).items():
            opts['properties.' + k] = v
        with_clause = ', '.join("'%s' = '%s'" % (k, str(v).replace("'", "''")) for k, v in opts.items())
        table = 'tsengine_input_%s' % gen_module.rsplit('.', 1)[-1]
        t_env.execute_sql('CREATE TEMPORARY TABLE %s (`line` STRING, `partition` INT METADATA VIRTUAL, `offset` BIGINT METADATA VIRTUAL) WITH (%s)' % (table, with_clause))
        lines = t_env.to_data_stream(t_env.from_path(table))
        stage_fn = ops.RowStageFunction(gen_module, 'kafka', inp['topic'], False)

    class WindowEnd(TimestampAssigner):
        def extract_timestamp(self, value, record_timestamp):
            return value[1]

    staged = lines.key_by(lambda _: 0, key_type=Types.INT()).process(stage_fn).name('rows: parse, late check, transform, pre-aggregate').set_parallelism(1)
    dead_letters = staged.get_side_output(ops.DEAD_LETTERS)
    partials = staged.assign_timestamps_and_watermarks(
        WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(WindowEnd())).set_parallelism(1)
    merged = partials.key_by(ops.partial_key).process(ops.KeyedMergeFunction(gen_module, HERE, history)).name('aggregate by key, history, analysis').set_parallelism(parallelism)
    ordered = merged.key_by(lambda _: 0, key_type=Types.INT()).process(ops.WindowOrderFunction(gen_module)).name('windows in order').set_parallelism(1)

    def kafka_sink(brokers, topic, props=None):
        b = KafkaSink.builder().set_bootstrap_servers(brokers).set_record_serializer(
            KafkaRecordSerializationSchema.builder().set_topic(topic).set_value_serialization_schema(SimpleStringSchema()).build()
        ).set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        for k, v in (props or {}).items():
            b = b.set_property(k, v)
        return b.build()

    output_tags = [OutputTag('kafka-output-%d' % i, Types.STRING()) for i in range(len(kafka_sinks))]
    alert_tags = [OutputTag('kafka-alerts-%d' % i, Types.STRING()) for i in range(len(kafka_alerts))]
    written = ordered.process(ops.WindowWriterFunction(gen_module, outputs, text_alerts, output_tags, alert_tags)).name('write outputs and alerts').set_parallelism(1)
    for tag, t in zip(output_tags, kafka_sinks):
        written.get_side_output(tag).sink_to(kafka_sink(t['brokers'], t['topic'])).name('kafka ' + t['topic']).set_parallelism(1)
    for tag, a in zip(alert_tags, kafka_alerts):
        written.get_side_output(tag).sink_to(kafka_sink(','.join(a['brokers']), a['topic'], kafka_properties(a))).name('alerts to kafka ' + a['topic']).set_parallelism(1)
    dead_tag = OutputTag('kafka-dead-letters', Types.STRING()) if dead and dead['kind'] == 'kafka' else None
    dl = dead_letters.process(ops.DeadLetterFunction(dead['path'] if dead and dead['kind'] == 'jsonl' else None, dead_tag)).name('dead letters').set_parallelism(1)
    if dead_tag is not None:
        dl.get_side_output(dead_tag).sink_to(kafka_sink(dead['brokers'], dead['topic'])).name('dead letters to kafka').set_parallelism(1)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
