"""Value semantics shared by every exported job: row-level parsing helpers,
Python/JavaScript number rendering, ISO times, and the text formats ts-engine
writes (JSON lines, the reference stdout format, alert lines, InfluxDB line
protocol). Pure standard library: the unit tests import it without Flink.

Everything here mirrors a ts-engine function byte for byte; the docstrings name
the rule, docs/flink.md explains the choices.
"""
import json
import re

INF = float('inf')
NAN = float('nan')

# ---- row errors -------------------------------------------------------------------------


class RowError(Exception):
    """A row that cannot be parsed or evaluated: counted and dead-lettered, never fatal."""

    def __init__(self, reason, message):
        Exception.__init__(self, message)
        self.reason = reason
        self.message = message


def zero_division(op):
    raise RowError('division by zero', op + ': division by zero')


# ---- parsing (input cells and casts) --------------------------------------------------------

# JavaScript's WhiteSpace and LineTerminator: what String#trim and Number() strip.
JS_WS = '\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'
_ASCII_WS = ' \t\n\x0b\x0c\r'
_INT_RE = re.compile(r'[ \t\n\x0b\x0c\r]*([+-]?[0-9]+)[ \t\n\x0b\x0c\r]*\Z')
_DEC_RE = re.compile(r'[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z')
_SPECIAL_FLOATS = {
    'inf': INF, '+inf': INF, '-inf': -INF,
    'infinity': INF, '+infinity': INF, '-infinity': -INF,
    'nan': NAN, '+nan': NAN, '-nan': NAN,
}


def parse_int(s):
    """int(text) as ts-engine reads it: ASCII whitespace around, an optional sign, ASCII digits."""
    if s.isdigit() and s.isascii():
        return int(s)
    m = _INT_RE.match(s)
    return int(m.group(1)) if m else None


def parse_float(s):
    """float(text) as ts-engine reads it: JavaScript's decimal forms and whitespace, plus inf/nan spellings."""
    t = s.strip(JS_WS)
    if _DEC_RE.match(t) or t in ('Infinity', '+Infinity', '-Infinity'):
        return float(t)
    return _SPECIAL_FLOATS.get(t.lower())


def parse_bool(s):
    t = s.strip(JS_WS).lower()
    if t in ('true', '1', 'yes'):
        return True
    if t in ('false', '0', 'no'):
        return False
    return None


def bad_cell(name, index, type_name, text):
    raise RowError('bad ' + type_name, "field '%s' (column %d): %s is not a valid %s" % (name, index + 1, repr(text), type_name))


def too_few(max_index, got):
    raise RowError('too few columns', 'expected at least %d columns, got %d' % (max_index + 1, got))


def str_to_int(s, fn):
    v = parse_int(s)
    if v is None:
        raise RowError('bad cast', '%s: invalid literal for int() with base 10: %s' % (fn, repr(s)))
    return v


def str_to_float(s, fn):
    v = parse_float(s)
    if v is None:
        raise RowError('bad cast', '%s: could not convert string to float: %s' % (fn, repr(s)))
    return v


def float_to_int(x, fn):
    if x != x:
        raise RowError('bad cast', '%s: cannot convert float NaN to integer' % fn)
    if x == INF or x == -INF:
        raise RowError('bad cast', '%s: cannot convert float infinity to integer' % fn)
    return int(x)


# ---- arithmetic ---------------------------------------------------------------------------


def to_float(v, fn=None):
    """An integer, boolean or double as a double. Where a function converts (fn), an integer beyond the
    double range is Python's OverflowError, a row error; elsewhere (time fields) it becomes ±inf."""
    try:
        return float(v)
    except OverflowError:
        if fn is not None:
            raise RowError('overflow', '%s: OverflowError: int too large to convert to float' % fn)
        return INF if v > 0 else -INF


def imod(a, b):
    if b == 0:
        zero_division('modulo')
    return int(a) % int(b)


def fmod(a, b):
    if b == 0:
        zero_division('modulo')
    return a % b


def ifloordiv(a, b):
    if b == 0:
        zero_division('floor division')
    return int(a) // int(b)


def ffloordiv(a, b):
    if b == 0:
        zero_division('floor division')
    return a // b


def truediv(a, b, op):
    """Python `a / b`: correctly rounded for two integers, through doubles otherwise."""
    if b == 0:
        zero_division(op)
    if type(a) is float or type(b) is float:
        return to_float(a, op) / to_float(b, op)
    try:
        return int(a) / int(b)
    except OverflowError:
        raise RowError('overflow', '%s: OverflowError: integer division result too large for a float' % op)


def float_div(a, b, op):
    """`a / float(b)` (mathdiv): both operands as doubles."""
    y = to_float(b, op)
    if y == 0:
        zero_division(op)
    return to_float(a, op) / y


# ---- rendering: Python ----------------------------------------------------------------------

INTEGER_TYPES = ('ByteType', 'ShortType', 'IntegerType', 'LongType')
FLOAT_TYPES = ('FloatType', 'DoubleType')


def py_repr(v, t):
    """Python repr of a value whose static type is t (Section 8)."""
    if v is True:
        return 'True'
    if v is False:
        return 'False'
    if v is None:
        return 'None'
    if type(v) is float and t in INTEGER_TYPES:
        return str(int(v))
    return repr(v)


def py_tuple(values, types):
    if len(values) == 1:
        return '(' + py_repr(values[0], types[0]) + ',)'
    return '(' + ', '.join(py_repr(v, t) for v, t in zip(values, types)) + ')'


# ---- rendering: JavaScript numbers and JSON ---------------------------------------------------

_REPR_RE = re.compile(r'(-?)([0-9]+)(?:\.([0-9]+))?(?:e([+-][0-9]+))?\Z')


def js_number(x):
    """JavaScript's Number#toString of a double (the InfluxDB client writes floats this way)."""
    if x != x:
        return 'NaN'
    if x == INF:
        return 'Infinity'
    if x == -INF:
        return '-Infinity'
    if x == 0:
        return '0'
    sign, whole, frac, exp = _REPR_RE.match(repr(x)).groups()
    digits = whole + (frac or '')
    n = len(whole) + (int(exp) if exp else 0)
    stripped = digits.lstrip('0')
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip('0') or '0'
    k = len(digits)
    if k <= n <= 21:
        out = digits + '0' * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + '.' + digits[n:]
    elif -6 < n <= 0:
        out = '0.' + '0' * (-n) + digits
    else:
        e = n - 1
        out = digits[0] + ('.' + digits[1:] if k > 1 else '') + 'e' + ('+' if e >= 0 else '-') + str(abs(e))
    return sign + out


def json_string(s):
    """JSON.stringify of a string (non-ASCII kept, control characters escaped)."""
    return json.dumps(s, ensure_ascii=False)


def _json_scalar(v, t, text, integral):
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if v is None:
        return 'null'
    if type(v) is str:
        return text(v)
    if type(v) is float:
        if v != v or v == INF or v == -INF:
            return 'null'
        return str(int(v)) if integral(t) else repr(v)
    return str(v)


def json_value(v, t):
    """A value as JSON text: integers with all their digits, doubles in Python repr, non-finite → null."""
    return _json_scalar(v, t, json_string, lambda t: t not in FLOAT_TYPES)


def _days_to_civil(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def _civil(ms):
    ms = int(ms)
    days, rem = divmod(ms, 86400000)
    y, mo, d = _days_to_civil(days)
    h, rem = divmod(rem, 3600000)
    mi, rem = divmod(rem, 60000)
    s, milli = divmod(rem, 1000)
    return y, mo, d, h, mi, s, milli


def iso_utc(ms):
    """Date#toISOString of an epoch-millisecond time (fractions truncated toward zero, as Date does)."""
    y, mo, d, h, mi, s, milli = _civil(ms)
    ys = '%04d' % y if 0 <= y <= 9999 else ('-%06d' % -y if y < 0 else '+%06d' % y)
    return '%s-%02d-%02dT%02d:%02d:%02d.%03dZ' % (ys, mo, d, h, mi, s, milli)


def alert_time_utc(ms):
    """`YYYY-MM-DD HH:MM:SS` of the alert time, truncated to whole seconds (10.6, UTC)."""
    y, mo, d, h, mi, s, _ = _civil((ms // 1000) * 1000)
    return '%d-%02d-%02d %02d:%02d:%02d' % (y, mo, d, h, mi, s)


def js_string_key(s):
    """Sort key ordering strings as JavaScript's `<` does (by UTF-16 code unit)."""
    return s.encode('utf-16-be', 'surrogatepass')


# ---- output formats -----------------------------------------------------------------------------

SEPARATOR = '-' * 27


class Shape(object):
    """Names and types of an aggregate row: key fields (declaration order), then aggregated columns."""

    def __init__(self, key_names, key_types, value_names, value_types):
        self.key_names = key_names
        self.key_types = key_types
        self.value_names = value_names
        self.value_types = value_types
        self.key_order = sorted(range(len(key_names)), key=lambda i: key_names[i])
        self.value_order = sorted(range(len(value_names)), key=lambda i: value_names[i])
        self.keyed = len(key_names) > 0
        self.value_type_of = dict(zip(value_names, value_types))

    def sort_key(self, key):
        """Groups of a window in key order, as ts-engine's outputs list them."""
        return tuple(js_string_key(v) if type(v) is str else v for v in key)

    def json_line(self, start_ms, end_ms, key, values):
        if key is None:
            key_json = 'null'
        else:
            key_json = '{' + ', '.join(json_string(self.key_names[i]) + ': ' + json_value(key[i], self.key_types[i]) for i in self.key_order) + '}'
        values_json = '{' + ', '.join(json_string(self.value_names[i]) + ': ' + json_value(values[i], self.value_types[i]) for i in self.value_order) + '}'
        return '{"window_start": "%s", "window_end": "%s", "key": %s, "values": %s}' % (iso_utc(start_ms), iso_utc(end_ms), key_json, values_json)

    def reference_line(self, key, values):
        if key is None:
            return py_tuple(values, self.value_types)
        parts = [py_tuple(key, self.key_types)] + [py_repr(v, t) for v, t in zip(values, self.value_types)]
        return '(' + parts[0] + ',)' if len(parts) == 1 else '(' + ', '.join(parts) + ')'


class Alert(object):
    __slots__ = ('module', 'time_ms', 'key', 'field', 'value', 'value_type', 'lower', 'upper')

    def __init__(self, module, time_ms, key, field, value, value_type, lower, upper):
        self.module = module
        self.time_ms = time_ms
        self.key = key
        self.field = field
        self.value = value
        self.value_type = value_type
        self.lower = lower
        self.upper = upper


def _finite_repr(x):
    return repr(float(x)) if x == x and x not in (INF, -INF) else 'null'


def alert_json_line(a, key_types):
    key = 'null' if a.key is None else '[' + ', '.join(json_value(v, t) for v, t in zip(a.key, key_types)) + ']'
    return '{"module": %s, "time": "%s", "key": %s, "field": %s, "value": %s, "lower_bound": %s, "upper_bound": %s}' % (
        json_string(a.module), iso_utc(a.time_ms), key, json_string(a.field), json_value(a.value, a.value_type or 'DoubleType'),
        _finite_repr(a.lower), _finite_repr(a.upper))


def alert_reference_line(a, key_types):
    key_part = ' for key=' + py_tuple(a.key, key_types) if a.key else ''
    return "%s: Time: %s. Parameter '%s'%s out of range [%s,%s] and equal %s" % (
        a.module, alert_time_utc(a.time_ms), a.field, key_part, repr(float(a.lower)), repr(float(a.upper)), py_repr(a.value, a.value_type))


_PY_JSON_ESC = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f'}


def py_json_string(s):
    """Python json.dumps of a str as the reference's Kafka alerts carry it (everything outside 0x20–0x7e escaped)."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        esc = _PY_JSON_ESC.get(ch)
        if esc is not None:
            out.append(esc)
        elif c < 0x20 or c > 0x7e:
            for unit in (ch.encode('utf-16-be', 'surrogatepass')[i:i + 2] for i in range(0, 2 if c < 0x10000 else 4, 2)):
                out.append('\\u%04x' % int.from_bytes(unit, 'big'))
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def _py_json_value(v, t):
    return _json_scalar(v, t, py_json_string, lambda t: t in INTEGER_TYPES)


def alert_kafka_key(a, key_types):
    return None if a.key is None else '[' + ', '.join(_py_json_value(v, t) for v, t in zip(a.key, key_types)) + ']'


def alert_kafka_value(a, key_types):
    key = 'null' if a.key is None else alert_kafka_key(a, key_types)
    param = '{"key": %s, "field": %s, "lower_bound": %s, "upper_bound": %s, "value": %s}' % (
        key, py_json_string(a.field), _finite_repr(a.lower), _finite_repr(a.upper), _py_json_value(a.value, a.value_type))
    return '{"AnalysisModule": %s, "timestamp": %s, "param": %s}' % (py_json_string(a.module), repr(a.time_ms / 1000), param)


# ---- InfluxDB line protocol ------------------------------------------------------------------------

_MEASUREMENT_ESC = {',': '\\,', ' ': '\\ ', '\n': '\\n', '\r': '\\r', '\t': '\\t'}
_TAG_ESC = dict(_MEASUREMENT_ESC, **{'=': '\\='})
I64_MIN = -(2 ** 63)
I64_MAX = 2 ** 63 - 1


def _escape(s, table):
    return ''.join(table.get(ch, ch) for ch in s)


def _py_str(v, t):
    return v if type(v) is str else py_repr(v, t)


def influx_line(measurement, shape, key, values, end_ms):
    """One point: key fields as tags, aggregated columns as fields, the window end (ns) as time.
    Returns (line, None) or (None, reason) for a row InfluxDB cannot store."""
    tags = []
    if key is not None:
        for name, v, t in zip(shape.key_names, key, shape.key_types):
            text = _py_str(v, t)
            if text != '':
                tags.append((name, text))
    fields = []
    for name, v, t in zip(shape.value_names, values, shape.value_types):
        if v is None:
            continue
        if v is True or v is False:
            fields.append((name, 'T' if v else 'F'))
        elif type(v) is str:
            fields.append((name, '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"'))
        elif type(v) is int or t in INTEGER_TYPES:
            iv = int(v)
            if iv < I64_MIN or iv > I64_MAX:
                return None, '%s = %d is outside the signed 64-bit range of InfluxDB integers' % (name, iv)
            fields.append((name, '%di' % iv))
        else:
            if v != v or v in (INF, -INF):
                return None, '%s = %s cannot be stored in InfluxDB (not a finite number)' % (name, js_number(v))
            fields.append((name, js_number(v)))
    if not fields:
        return None, 'no field to write (every value is null)'
    fields.sort(key=lambda f: js_string_key(f[0]))
    tags.sort(key=lambda f: js_string_key(f[0]))
    head = _escape(measurement, _MEASUREMENT_ESC) + ''.join(',' + _escape(k, _TAG_ESC) + '=' + _escape(v, _TAG_ESC) for k, v in tags)
    body = ','.join(_escape(k, _TAG_ESC) + '=' + v for k, v in fields)
    return '%s %s %d' % (head, body, int(end_ms) * 1000000), None


def dead_letter_json(position, reason, message, raw):
    """One dead letter as ts-engine's --dead-letter file holds it (JSON.stringify, no spaces)."""
    d = dict(position)
    d['reason'] = reason
    d['message'] = message
    d['raw'] = raw
    return json.dumps(d, ensure_ascii=False, separators=(',', ':'))


# ---- grouping and user functions -------------------------------------------------------------------------


def norm_float_key(x):
    """A double key as grouping sees it: 0.0 and -0.0 are one key, every NaN is one key (as a JavaScript Map)."""
    if x != x:
        return NAN
    return 0.0 if x == 0 else x


def norm_result(v, t, fn):
    """A user function's result in the representation its declared type implies."""
    if t in INTEGER_TYPES:
        if v is True or v is False:
            return 1 if v else 0
        if type(v) is int:
            return v
        if type(v) is float and v == v and v not in (INF, -INF) and v == int(v):
            return int(v)
    elif t in FLOAT_TYPES:
        if v is True or v is False:
            return 1.0 if v else 0.0
        if type(v) is int or type(v) is float:
            return to_float(v)
    elif t == 'BooleanType':
        if v is True or v is False:
            return v
    elif type(v) is str:
        return v
    raise RowError('bad result', '%s returned %s, which is not a %s' % (fn, repr(v), t))


def call_twin(fn, name, result_type, *args):
    """A Python twin of a JavaScript extension function: its errors are row errors, its result is normalised."""
    try:
        v = fn(*args)
    except RowError:
        raise
    except Exception as e:
        raise RowError('user function error', '%s: %s' % (name, e))
    return norm_result(v, result_type, name)
