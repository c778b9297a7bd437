"""The job's semantics without Flink: the row stage (parse → late check →
transform → pre-aggregation, windows closed by ts-engine's per-row watermark),
the keyed merge with history and analysis, and the per-window ordering of
results. The Flink operators in flink_ops.py hold these objects in keyed
state; the unit tests drive them directly.
"""
import importlib.util
import math
import os

from .runtime import INF, Alert, RowError, iso_utc, js_number

# ---- the row stage -------------------------------------------------------------------------------


class WindowOut(object):
    """A window closed by the row stage: its groups in first-seen order, each [first_seq, key, acc…]."""
    __slots__ = ('start', 'end', 'groups')

    def __init__(self, start, end, groups):
        self.start = start
        self.end = end
        self.groups = groups


class RowStage(object):
    """ts-engine's Processor for one input stream: every row in arrival order, one watermark.

    mode 'event': windows [floor(t/d)·d, +d) of the event time; a window closes when the
    watermark (largest event time − allowed lateness, raised only by rows that were
    accepted) reaches its end; a row of a closed window is late.
    mode 'processing': the same windows over the time a row is read (ingestion time);
    windows close on the clock, empty ones included.
    mode 'whole': one window for the whole input.
    """

    def __init__(self, gen, now_ms=0):
        s = gen.SETTINGS
        self.gen = gen
        self.mode = s['mode']
        self.dur = s['durMs']
        self.lateness = s['latenessMs']
        self.watermark = -INF
        self.max_event = -INF
        self.open = {}
        self.min_open_end = INF
        self.next_start = None
        self.seq = 0
        self.run_start = now_ms
        self.out_windows = []
        self.out_dead = []

    # Flink keeps this object in keyed state: only plain data is pickled, the generated code is not
    def __getstate__(self):
        d = dict(self.__dict__)
        del d['gen']
        d['out_windows'] = []
        d['out_dead'] = []
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        self.gen = None

    def _dead(self, position, reason, message, raw):
        if reason != 'late' and self.gen.SETTINGS.get('onError') == 'fail':
            where = position.get('source', '') + (':%d' % position['line'] if 'line' in position else ' offset %s' % position.get('offset'))
            raise RuntimeError('row error at %s: %s (processing.on_error is "fail")' % (where, message))
        self.out_dead.append((position, reason, message, raw))

    def process(self, text, position, now_ms=0):
        """One input line. Closed windows and dead letters collect in out_windows / out_dead."""
        gen = self.gen
        self.seq += 1
        try:
            r = gen.parse(text)
        except RowError as e:
            self._dead(position, e.reason, e.message, text)
            return
        mode = self.mode
        if mode == 'event':
            t = gen.event_ms(r)
            if t != t or t == INF or t == -INF:
                v = r[gen.TIME_SLOT]
                self._dead(position, 'bad event time', 'event time %s is not a finite number' % (js_number(v) if type(v) is float else str(v)), text)
                return
            dur = self.dur
            start = math.floor(t / dur) * dur
            if start + dur <= self.watermark:
                self._dead(position, 'late', 'late row: its window [%s, %s) closed at watermark %s' % (
                    iso_utc(start), iso_utc(start + dur), iso_utc(int(self.watermark))), text)
                return
            if not self._evaluate(r, start, position, text):
                return
            if t > self.max_event:
                self.max_event = t
                wm = t - self.lateness
                if wm > self.watermark:
                    self.watermark = wm
                    if wm >= self.min_open_end:
                        self._close_up_to(wm)
            return
        if mode == 'processing':
            start = math.floor(now_ms / self.dur) * self.dur
            if self.next_start is None:
                self.next_start = start
            elif start > self.next_start:
                self.advance_to(now_ms)
            elif start < self.next_start:
                start = self.next_start
            self._evaluate(r, start, position, text)
            return
        self._evaluate(r, 0, position, text)

    def _evaluate(self, r, start, position, text):
        try:
            o = self.gen.transform(r)
        except RowError as e:
            self._dead(position, e.reason, e.message, text)
            return False
        groups = self.open.get(start)
        if groups is None:
            groups = self.open[start] = {}
            end = start + self.dur
            if end < self.min_open_end:
                self.min_open_end = end
        self.gen.group_add(groups, o, self.seq)
        return True

    def _close_up_to(self, wm):
        min_end = INF
        for s in sorted(self.open):
            end = s + self.dur
            if end <= wm:
                self._emit(s, end)
            elif end < min_end:
                min_end = end
        self.min_open_end = min_end

    def _emit(self, start, end):
        groups = self.open.pop(start, None)
        self.out_windows.append(WindowOut(start, end, list(groups.values()) if groups else []))

    def advance_to(self, now_ms):
        """Processing time: close every window that ended at or before now, empty ones included."""
        if self.mode != 'processing':
            return
        if self.next_start is None:
            self.next_start = math.floor(now_ms / self.dur) * self.dur
            return
        while self.next_start + self.dur <= now_ms:
            self._emit(self.next_start, self.next_start + self.dur)
            self.next_start += self.dur

    def finish(self, now_ms=0):
        """End of a finite input: every open window closes, in time order."""
        if self.mode == 'whole':
            groups = self.open.pop(0, None)
            if groups:
                self.out_windows.append(WindowOut(self.run_start, now_ms, list(groups.values())))
            return
        for s in sorted(self.open):
            self._emit(s, s + self.dur)
        self.min_open_end = INF

    def drain(self):
        w, d = self.out_windows, self.out_dead
        self.out_windows, self.out_dead = [], []
        return w, d


# ---- history and analysis ---------------------------------------------------------------------------


def _num(v):
    if v is None or type(v) is str or type(v) is list or type(v) is tuple:
        return None
    return float(v)


def _bounds(base, pct):
    a = base * (1 - pct / 100)
    b = base * (1 + pct / 100)
    return (a, b) if a <= b else (b, a)


class History(object):
    """The windows of one key this job has closed (the store ts-engine reads its history from):
    entries (window_end, record) ascending, kept as far back as any lookup can reach."""

    def __init__(self, entries=None):
        self.entries = entries or []

    def add(self, end, record, keep_ms):
        self.entries.append((end, record))
        horizon = end - keep_ms
        while self.entries and self.entries[0][0] < horizon:
            self.entries.pop(0)

    def lookup(self, target, tolerance):
        """The stored point closest to target within ± tolerance; a tie goes to the later one."""
        best = None
        best_d = None
        for end, rec in self.entries:
            d = abs(end - target)
            if d > tolerance:
                continue
            if best is None or d < best_d or (d == best_d and end > best[0]):
                best = (end, rec)
                best_d = d
        return best[1] if best else None


class RecordHistory(object):
    """history[n] of one aggregate row (10.2): n windows before this window's end, cached per record."""

    def __init__(self, values, key, history, end_ms, dur_ms, accuracy_ms, fallback=None, key_fields=()):
        self.values = values
        self.key = key
        self.history = history
        self.end_ms = end_ms
        self.dur_ms = dur_ms
        self.accuracy_ms = accuracy_ms
        self.fallback = fallback
        self.key_fields = key_fields
        self.cache = {}

    def current(self):
        d = dict(self.values)
        d['key'] = self.key
        return d

    def get(self, n):
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError('history index must be a non-negative integer, got %r' % (n,))
        if n == 0:
            return self.current()
        return self.at(n * self.dur_ms)

    def at(self, offset_ms):
        hit = self.cache.get(offset_ms)
        if hit is None:
            target = self.end_ms - offset_ms
            rec = self.history.lookup(target, self.accuracy_ms)
            if rec is None and self.fallback is not None:
                rec = self.fallback.lookup(self.key_fields, self.key, target, self.accuracy_ms)
            hit = {} if rec is None else dict(rec, key=self.key)
            self.cache[offset_ms] = hit
        return hit


class AlertSender(object):
    def __init__(self, sink):
        self.sink = sink

    def send(self, message):
        self.sink(message)


class SimpleAnalysis(object):
    def __init__(self, options, name):
        self.name = name
        self.deviation = list(options['deviation'].items())
        self.batch_number = options['batch_number']

    def analysis(self, history, alerts):
        for field, pct in self.deviation:
            h = history.get(self.batch_number)
            base = _num(h.get(field))
            if base is None:
                continue
            _check(self.name, history, alerts, field, base, pct)


class AverageAnalysis(object):
    def __init__(self, options, name):
        self.name = name
        self.deviation = list(options['deviation'].items())
        self.num_average = options['num_average']

    def analysis(self, history, alerts):
        past = [history.get(n) for n in range(1, self.num_average + 1)]
        for field, pct in self.deviation:
            total = 0
            count = 0
            for h in past:
                x = _num(h.get(field))
                if x is None:
                    continue
                total += x
                count += 1
            if count == 0:
                continue
            _check(self.name, history, alerts, field, total / count, pct)


class TimeDeltaAnalysis(object):
    """10.7: compares with the point time_delta seconds before the window end; reports as module "Analysis"."""

    def __init__(self, options, name):
        self.name = name
        self.deviation = list(options['deviation'].items())
        self.offset_ms = options['offsetMs']

    def analysis(self, history, alerts):
        h = history.at(self.offset_ms)
        for field, pct in self.deviation:
            base = _num(h.get(field))
            if base is None:
                continue
            _check('Analysis', history, alerts, field, base, pct)


def _check(name, history, alerts, field, base, pct):
    current = history.current()
    v = current.get(field)
    x = _num(v)
    if x is None:
        return
    lower, upper = _bounds(base, pct)
    if x < lower or x > upper:
        alerts.send({'module': name, 'timestamp': 0, 'param': {'key': current['key'], 'field': field, 'lower_bound': lower, 'upper_bound': upper, 'value': v}})


BUILTIN_ANALYSES = {'SimpleAnalysis': SimpleAnalysis, 'AverageAnalysis': AverageAnalysis, 'Analysis': TimeDeltaAnalysis}


def load_python_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def analysis_objects(settings, base_dir):
    """One object per analysis rule, in rule order: built-ins, or the Python twin the export copied."""
    out = []
    an = settings.get('analysis')
    if not an:
        return out
    for rule in an['rules']:
        if rule['builtin']:
            out.append((rule, BUILTIN_ANALYSES[rule['module']](rule['options'], rule['name'])))
            continue
        path = os.path.join(base_dir, rule['python'])
        mod = load_python_module(path, 'tsengine_user_analysis_%d' % rule['index'])
        cls = (getattr(mod, 'analyses', None) or {}).get(rule['className']) if rule.get('fromModule') else getattr(mod, rule['className'], None)
        if cls is None:
            raise ImportError('analysis twin %s has no class %s' % (path, rule['className']))
        out.append((rule, cls(rule['options'], rule['name'])))
    return out


class Analyzer(object):
    """Runs every analysis rule on one aggregate row, collecting its alerts (failures are reported, never fatal)."""

    def __init__(self, gen, base_dir, warn, fallback=None):
        s = gen.SETTINGS
        an = s.get('analysis') or {}
        self.rules = analysis_objects(s, base_dir)
        self.dur_ms = s['durMs']
        self.accuracy_ms = an.get('accuracyMs', 0)
        self.keep_ms = an.get('keepMs', 0)
        self.value_names = gen.VALUE_NAMES
        self.value_types = dict(zip(gen.VALUE_NAMES, gen.VALUE_TYPES))
        self.key_names = gen.KEY_NAMES
        self.warn = warn
        self.fallback = fallback

    def stored(self, key, acc, start_ms, end_ms):
        """The record as ts-engine's store gives it back: window bounds, key fields, values (booleans as 0/1), time in ns."""
        rec = {'window_start': start_ms, 'window_end': end_ms}
        if key is not None:
            for name, v in zip(self.key_names, key):
                rec[name] = (1 if v else 0) if v is True or v is False else v
        for name, v in zip(self.value_names, acc):
            rec[name] = (1 if v else 0) if v is True or v is False else v
        rec['time'] = end_ms * 1000000
        return rec

    def analyze(self, history, key, acc, start_ms, end_ms):
        """history already holds this window; returns the alerts, in rule order."""
        values = dict(zip(self.value_names, acc))
        record = RecordHistory(values, list(key) if key is not None else None, history, end_ms, self.dur_ms, self.accuracy_ms, self.fallback, self.key_names)
        alerts = []

        def sink(m):
            p = m['param']
            k = p.get('key')
            alerts.append(Alert(m['module'], end_ms, tuple(k) if k is not None else None, p['field'], p['value'],
                                self.value_types.get(p['field']), float(p['lower_bound']), float(p['upper_bound'])))

        sender = AlertSender(sink)
        for rule, obj in self.rules:
            before = len(alerts)
            try:
                obj.analysis(record, sender)
            except Exception as e:  # a failing analysis loses its alerts for this row, loudly
                del alerts[before:]
                key_text = '' if key is None else ' key=%r' % (tuple(key),)
                self.warn('analysis %s (%s) failed for window ending %s%s: %s; its alerts for this row are lost' % (
                    rule['name'], rule['module'], iso_utc(end_ms), key_text, str(e).split('\n')[0]))
        return alerts


# ---- per-window ordering --------------------------------------------------------------------------------


class WindowResult(object):
    """Everything one closed window produced: groups in key order, alerts in ts-engine's order."""
    __slots__ = ('start', 'end', 'groups', 'alerts')

    def __init__(self, start, end, groups, alerts):
        self.start = start
        self.end = end
        self.groups = groups
        self.alerts = alerts


def order_window(shape, start, end, results):
    """results: (first_seq, key, acc, alerts) per group. Outputs list groups by key; analysis ran
    in first-seen order, so alerts follow the groups' first rows."""
    groups = sorted(results, key=lambda r: shape.sort_key(r[1])) if shape.keyed else list(results)
    alerts = []
    for r in sorted(results, key=lambda r: r[0]):
        alerts.extend(r[3])
    return WindowResult(start, end, [(r[1], r[2]) for r in groups], alerts)
