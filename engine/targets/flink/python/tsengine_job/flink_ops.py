"""The Flink operators: thin wrappers that keep the core objects in keyed state.

  input ─key_by(0)─▶ RowStageFunction ─timestamps: window end─▶ key_by(aggregation key) ─▶ KeyedMergeFunction
        ─key_by(0)─▶ WindowOrderFunction ─▶ WindowWriterFunction (files, stdout, InfluxDB; Kafka via KafkaSink)
  RowStageFunction ─side output─▶ dead letters

The row stage is one keyed task so that lateness follows ts-engine's single watermark over the
input in arrival order (docs/flink.md explains why); aggregation state, history and analysis are
keyed by the aggregation key and run at the job's parallelism.
"""
import os
import time

from pyflink.common import Types
from pyflink.datastream.functions import KeyedProcessFunction, ProcessFunction
from pyflink.datastream.output_tag import OutputTag
from pyflink.datastream.state import ValueStateDescriptor

from .core import Analyzer, History, RowStage, order_window
from .runtime import Shape
from .sinks import DeadLetterWriter, InfluxHistory, WindowWriter, warn

DEAD_LETTERS = OutputTag('dead-letters', Types.PICKLED_BYTE_ARRAY())
END_OF_INPUT = 2 ** 63 - 1
MARKER_KEY = ('\x00window',)


def now_ms():
    return int(time.time() * 1000)


def read_lines(data, first_line):
    """Lines of a byte chunk as ts-engine's csv source splits them: on \\n, one trailing \\r dropped, blank lines skipped."""
    p = 0
    n = len(data)
    line = first_line
    while p < n:
        nl = data.find(b'\n', p)
        if nl < 0:
            nl = n
        line += 1
        e = nl
        if e > p and data[e - 1] == 13:
            e -= 1
        if e > p:
            yield line, data[p:e].decode('utf-8', 'replace')
        p = nl + 1


def message_lines(value):
    """Lines of one Kafka message value, as ts-engine splits them (trailing newlines dropped, blank lines skipped)."""
    v = value.rstrip('\r\n')
    for part in v.split('\n'):
        if part.endswith('\r'):
            part = part[:-1]
        if part:
            yield part


class RowStageFunction(KeyedProcessFunction):
    """Parse → late check → transform → pre-aggregation; emits partial aggregates of the windows its
    watermark closes, and dead letters on a side output."""

    def __init__(self, gen_module, input_kind, source_name, header, chunks=None):
        self.gen_module = gen_module
        self.input_kind = input_kind
        self.source_name = source_name
        self.header = header
        self.chunks = chunks

    def open(self, ctx):
        import importlib
        self.gen = importlib.import_module(self.gen_module)
        self.state = ctx.get_state(ValueStateDescriptor('row-stage', Types.PICKLED_BYTE_ARRAY()))
        self.stage = None

    def _stage(self, ctx):
        if self.stage is None:
            st = self.state.value()
            if st is None:
                st = RowStage(self.gen, now_ms())
                ctx.timer_service().register_event_time_timer(END_OF_INPUT)
            st.gen = self.gen
            self.stage = st
        return self.stage

    def process_element(self, value, ctx):
        st = self._stage(ctx)
        processing = st.mode == 'processing'
        if self.input_kind == 'replay':
            start, end, first_line = self.chunks[value]
            with open(self.source_name, 'rb') as f:
                f.seek(start)
                data = f.read(end - start)
            for line_no, text in read_lines(data, first_line):
                if self.header and line_no == 1:
                    continue
                st.process(text, {'source': self.source_name, 'line': line_no}, now_ms() if processing else 0)
        else:
            text, partition, offset = value[0], value[1], value[2]
            for line in message_lines(text or ''):
                st.process(line, {'source': self.source_name, 'partition': partition, 'offset': str(offset)}, now_ms() if processing else 0)
        if processing and st.next_start is not None:
            ctx.timer_service().register_processing_time_timer(st.next_start + st.dur)
        yield from self._flush(st)

    def on_timer(self, timestamp, ctx):
        st = self._stage(ctx)
        if timestamp == END_OF_INPUT:
            st.finish(now_ms())
        elif st.mode == 'processing':
            st.advance_to(now_ms())
            if st.next_start is not None:
                ctx.timer_service().register_processing_time_timer(st.next_start + st.dur)
        yield from self._flush(st)

    def _flush(self, st):
        windows, dead = st.drain()
        self.state.update(st)
        for d in dead:
            yield DEAD_LETTERS, d
        norm = self.gen.norm_key
        for w in windows:
            for g in w.groups:
                yield ('g', w.end, w.start, g[0], g[1], norm(g[1]), g[2:])
            yield ('w', w.end, w.start, len(w.groups))


def partial_key(rec):
    return rec[5] if rec[0] == 'g' else MARKER_KEY


class KeyedMergeFunction(KeyedProcessFunction):
    """Keyed by the aggregation key: merges the partial aggregates of a window (a monoid, in first-row
    order), then, when the watermark passes the window's end, keeps it in the key's history and
    runs the analyses on it."""

    def __init__(self, gen_module, base_dir, history=None):
        self.gen_module = gen_module
        self.base_dir = base_dir
        self.history_settings = history

    def open(self, ctx):
        import importlib
        self.gen = importlib.import_module(self.gen_module)
        self.pending = ctx.get_state(ValueStateDescriptor('pending', Types.PICKLED_BYTE_ARRAY()))
        self.history = ctx.get_state(ValueStateDescriptor('history', Types.PICKLED_BYTE_ARRAY()))
        an = self.gen.SETTINGS.get('analysis')
        fallback = None
        self.own_history = True
        h = self.history_settings
        if an and h and h['method'] == 'influx':
            fallback = InfluxHistory(h['connection'])
            self.own_history = h['own']
        self.analyzer = Analyzer(self.gen, self.base_dir, warn, fallback) if an else None

    def process_element(self, rec, ctx):
        if rec[0] == 'w':
            yield rec
            return
        _, end, start, first_seq, key, _, acc = rec
        pending = self.pending.value() or {}
        cur = pending.get(end)
        if cur is None:
            pending[end] = [first_seq, key, start, list(acc)]
            ctx.timer_service().register_event_time_timer(end - 1)
        else:
            if first_seq < cur[0]:
                merged = list(acc)
                self.gen.merge_acc(merged, cur[3])
                pending[end] = [first_seq, key, start, merged]
            else:
                self.gen.merge_acc(cur[3], acc)
        self.pending.update(pending)

    def on_timer(self, timestamp, ctx):
        end = timestamp + 1
        pending = self.pending.value() or {}
        g = pending.pop(end, None)
        if pending:
            self.pending.update(pending)
        else:
            self.pending.clear()
        if g is None:
            return
        first_seq, key, start, acc = g
        alerts = []
        if self.analyzer is not None:
            hist = self.history.value() or History()
            if self.own_history:
                hist.add(end, self.analyzer.stored(key, acc, start, end), self.analyzer.keep_ms)
                self.history.update(hist)
            alerts = self.analyzer.analyze(hist, key, acc, start, end)
        yield ('r', end, start, first_seq, key, acc, alerts)


class WindowOrderFunction(KeyedProcessFunction):
    """One task: gathers every group of a window and emits the window once the watermark passes its end."""

    def __init__(self, gen_module):
        self.gen_module = gen_module

    def open(self, ctx):
        import importlib
        gen = importlib.import_module(self.gen_module)
        self.shape = Shape(gen.KEY_NAMES, gen.KEY_TYPES, gen.VALUE_NAMES, gen.VALUE_TYPES)
        self.windows = ctx.get_state(ValueStateDescriptor('windows', Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, rec, ctx):
        windows = self.windows.value() or {}
        end = rec[1]
        w = windows.get(end)
        if w is None:
            w = windows[end] = [rec[2], []]
            ctx.timer_service().register_event_time_timer(end - 1)
        if rec[0] == 'r':
            w[1].append((rec[3], rec[4], rec[5], rec[6]))
        self.windows.update(windows)

    def on_timer(self, timestamp, ctx):
        end = timestamp + 1
        windows = self.windows.value() or {}
        w = windows.pop(end, None)
        self.windows.update(windows)
        if w is not None:
            yield order_window(self.shape, w[0], end, w[1])


class WindowWriterFunction(ProcessFunction):
    """Writes windows and alerts in order (files, stdout, InfluxDB); Kafka targets get their messages on side outputs."""

    def __init__(self, gen_module, outputs, alert_targets, kafka_outputs, kafka_alerts):
        self.gen_module = gen_module
        self.outputs = outputs
        self.alert_targets = alert_targets
        self.kafka_outputs = kafka_outputs
        self.kafka_alerts = kafka_alerts

    def open(self, ctx):
        import importlib
        gen = importlib.import_module(self.gen_module)
        self.shape = Shape(gen.KEY_NAMES, gen.KEY_TYPES, gen.VALUE_NAMES, gen.VALUE_TYPES)
        self.writer = WindowWriter(self.shape, self.outputs, self.alert_targets)
        self.writer.open()

    def close(self):
        self.writer.close()

    def process_element(self, w, ctx):
        from .runtime import alert_kafka_value
        self.writer.write(w)
        for tag in self.kafka_outputs:
            for key, acc in w.groups:
                yield tag, self.shape.json_line(w.start, w.end, key, acc)
        for tag in self.kafka_alerts:
            for a in w.alerts:
                yield tag, alert_kafka_value(a, self.shape.key_types)


class DeadLetterFunction(ProcessFunction):
    def __init__(self, path, kafka_tag=None):
        self.path = path
        self.kafka_tag = kafka_tag

    def open(self, ctx):
        self.writer = DeadLetterWriter(self.path)
        self.writer.open()

    def close(self):
        self.writer.close()

    def process_element(self, d, ctx):
        from .runtime import dead_letter_json
        self.writer.write(d)
        if self.kafka_tag is not None:
            yield self.kafka_tag, dead_letter_json(*d)


def chunk_plan(path, chunk_bytes=1 << 16):
    """Byte ranges of the replay file, cut at line ends, with the number of lines before each."""
    size = os.path.getsize(path)
    chunks = []
    with open(path, 'rb') as f:
        p = 0
        line = 0
        while p < size:
            f.seek(p)
            data = f.read(chunk_bytes)
            e = p + len(data)
            if e < size:
                nl = data.rfind(b'\n')
                if nl >= 0:
                    e = p + nl + 1
                    data = data[:nl + 1]
                else:
                    rest = b''
                    while True:
                        more = f.read(chunk_bytes)
                        if not more:
                            break
                        k = more.find(b'\n')
                        if k >= 0:
                            rest += more[:k + 1]
                            break
                        rest += more
                    data += rest
                    e = p + len(data)
            chunks.append((p, e, line))
            line += data.count(b'\n')
            p = e
    return chunks
