"""Where closed windows, alerts and dead letters go: files and standard output in
ts-engine's formats, and InfluxDB over HTTP (v1 and v2 forms). Kafka targets are
Flink KafkaSinks (flink_ops.py); this module renders their messages.
Pure standard library."""
import base64
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from .runtime import SEPARATOR, alert_json_line, alert_reference_line, dead_letter_json, influx_line, iso_utc


def warn(message):
    sys.stderr.write('warning: %s\n' % message)
    sys.stderr.flush()


class TextTarget(object):
    """A JSONL file (truncated at start) or standard output ('-')."""

    def __init__(self, path):
        self.path = path
        self.f = None

    def open(self):
        if self.path == '-':
            self.f = sys.stdout
        else:
            self.f = open(self.path, 'w', encoding='utf-8', newline='\n')

    def write(self, text):
        if text:
            self.f.write(text)
            self.f.flush()

    def close(self):
        if self.f is not None and self.f is not sys.stdout:
            self.f.close()
        self.f = None


# ---- InfluxDB -----------------------------------------------------------------------------------------


class InfluxError(Exception):
    def __init__(self, message, retriable):
        Exception.__init__(self, message)
        self.retriable = retriable


class InfluxClient(object):
    """The two HTTP forms ts-engine speaks: v1 (host/port/username/password/database) and v2 (url/token/org/bucket)."""

    def __init__(self, conn, timeout_s=15):
        self.conn = conn
        self.url = conn['url']
        self.timeout_s = timeout_s
        self.headers = {}
        if conn['kind'] == 'v1':
            if conn.get('username') is not None:
                token = base64.b64encode(('%s:%s' % (conn['username'], conn.get('password') or '')).encode()).decode()
                self.headers['Authorization'] = 'Basic ' + token
        else:
            self.headers['Authorization'] = 'Token ' + conn['token']

    def _request(self, path, body=None, content_type=None, method='POST'):
        headers = dict(self.headers)
        if content_type:
            headers['Content-Type'] = content_type
        req = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as r:
                return r.status, r.read().decode('utf-8', 'replace')
        except urllib.error.HTTPError as e:
            text = e.read().decode('utf-8', 'replace')
            try:
                j = json.loads(text)
                text = j.get('error') or j.get('message') or text
            except ValueError:
                pass
            raise InfluxError('InfluxDB %s: HTTP %d: %s' % (path.split('?')[0], e.code, text.strip()), e.code >= 500 or e.code in (408, 429))
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, 'reason', e)
            raise InfluxError('cannot reach InfluxDB at %s: %s' % (self.url, reason), True)

    def ping(self):
        self._request('/ping', method='GET')

    def ensure_database(self):
        if self.conn['kind'] != 'v1':
            return
        try:
            self.query_v1('CREATE DATABASE "%s"' % self.conn['database'].replace('\\', '\\\\').replace('"', '\\"'))
        except InfluxError as e:
            if e.retriable:
                raise
            warn('influx output: could not create database %s at %s (%s); assuming it exists' % (self.conn['database'], self.url, e))

    def query_v1(self, q, **params):
        body = urllib.parse.urlencode(dict(q=q, **params)).encode()
        status, text = self._request('/query', body, 'application/x-www-form-urlencoded')
        j = json.loads(text)
        err = j.get('error') or next((r.get('error') for r in j.get('results', []) if r.get('error')), None)
        if err:
            raise InfluxError('InfluxDB query: %s' % err, False)
        return j

    def write(self, lines):
        body = '\n'.join(lines).encode('utf-8')
        c = self.conn
        if c['kind'] == 'v1':
            qs = {'db': c['database'], 'precision': 'ns'}
            if c.get('retentionPolicy'):
                qs['rp'] = c['retentionPolicy']
            path = '/write?' + urllib.parse.urlencode(qs)
        else:
            qs = {'bucket': c['bucket'], 'precision': 'ns'}
            qs['org'] = c.get('org') or '-'
            path = '/api/v2/write?' + urllib.parse.urlencode(qs)
        self._request(path, body, 'text/plain; charset=utf-8')


def with_retries(fn, max_retries, what):
    delay = 0.5
    for attempt in range(max_retries + 1):
        try:
            return fn()
        except InfluxError as e:
            if not e.retriable or attempt == max_retries:
                raise
            warn('%s: %s; retry %d/%d in %.1f s' % (what, e, attempt + 1, max_retries, delay))
            time.sleep(delay)
            delay = min(delay * 2, 30)


class InfluxTarget(object):
    """The `influx` output: one point per aggregate row, stamped with the window end (9.2, D-28, D-29)."""

    def __init__(self, output, shape):
        self.conn = output['connection']
        self.batch_size = output.get('batchSize', 5000)
        self.max_retries = output.get('maxRetries', 10)
        self.shape = shape
        self.client = None

    def open(self):
        self.client = InfluxClient(self.conn)
        with_retries(self.client.ping, min(3, self.max_retries), 'influx output')
        self.client.ensure_database()

    def write_window(self, w):
        lines = []
        rejected = []
        for key, acc in w.groups:
            line, why = influx_line(self.conn['measurement'], self.shape, key, acc, w.end)
            if line is None:
                rejected.append(why)
            else:
                lines.append(line)
        if rejected:
            warn('influx output: %d aggregate row(s) of the window ending %s not written (row error), e.g. %s' % (len(rejected), iso_utc(w.end), rejected[0]))
        for i in range(0, len(lines), self.batch_size):
            batch = lines[i:i + self.batch_size]
            with_retries(lambda: self.client.write(batch), self.max_retries, 'influx output')

    def close(self):
        self.client = None


class InfluxHistory(object):
    """History lookups in InfluxDB for points this job did not write itself (earlier runs, another writer)."""

    def __init__(self, conn):
        self.conn = conn
        self.client = InfluxClient(conn)

    def lookup(self, key_fields, key, target_ms, tolerance_ms):
        target = target_ms * 1000000
        tol = tolerance_ms * 1000000
        rows = self._rows(key_fields, key, target - tol, target + tol)
        best = None
        for r in rows:
            t = r['time']
            d = abs(t - target)
            if best is None or d < best[0] or (d == best[0] and t > best[1]['time']):
                best = (d, r)
        return best[1] if best else None

    def _tag_filters(self, key_fields, key):
        out = []
        for name, v in zip(key_fields, key or ()):
            if type(v) is int and abs(v) < 10 ** 16:
                out.append((name, [str(v), '%d.0' % v]))
            elif type(v) is float and v.is_integer() and abs(v) < 1e16:
                out.append((name, [str(int(v)), repr(v)]))
            elif v is True or v is False:
                out.append((name, ['True' if v else 'False']))
            else:
                out.append((name, [v if type(v) is str else repr(v)]))
        return out

    def _rows(self, key_fields, key, from_ns, to_ns):
        c = self.conn
        tags = self._tag_filters(key_fields, key) if key is not None else []
        ident = lambda s: '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'
        lit = lambda s: "'" + s.replace('\\', '\\\\').replace("'", "\\'") + "'"
        if c['kind'] == 'v1':
            src = ident(c['measurement'])
            if c.get('retentionPolicy'):
                src = '%s.%s.%s' % (ident(c['database']), ident(c['retentionPolicy']), src)
            q = 'SELECT * FROM %s WHERE time >= %d AND time <= %d' % (src, from_ns, to_ns)
            for name, alts in tags:
                conds = ['%s = %s' % (ident(name), lit(a)) for a in alts]
                q += ' AND ' + (conds[0] if len(conds) == 1 else '(' + ' OR '.join(conds) + ')')
            params = {'db': c['database'], 'epoch': 'ns'}
            if c.get('retentionPolicy'):
                params['rp'] = c['retentionPolicy']
            j = with_retries(lambda: self.client.query_v1(q, **params), 2, 'influx history')
            rows = []
            for res in j.get('results', [])[:1]:
                for s in res.get('series', []) or []:
                    for v in s['values']:
                        rows.append({col: x for col, x in zip(s['columns'], v) if x is not None})
            return rows
        flux_str = lambda s: json.dumps(s)
        filt = 'r._measurement == %s' % flux_str(c['measurement'])
        for name, alts in tags:
            filt += ' and (' + ' or '.join('r[%s] == %s' % (flux_str(name), flux_str(a)) for a in alts) + ')'
        q = ('from(bucket: %s) |> range(start: time(v: %d), stop: time(v: %d)) |> filter(fn: (r) => %s) '
             '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> map(fn: (r) => ({r with _tsengine_ns: int(v: r._time)}))'
             % (flux_str(c['bucket']), from_ns, to_ns + 1, filt))
        body = json.dumps({'query': q, 'type': 'flux', 'dialect': {'annotations': ['datatype'], 'header': True}}).encode()
        path = '/api/v2/query?' + urllib.parse.urlencode({'org': c.get('org') or '-'})
        _, text = with_retries(lambda: self.client._request(path, body, 'application/json'), 2, 'influx history')
        return _flux_rows(text)


def _flux_rows(text):
    import csv
    rows = []
    types = None
    header = None
    for rec in csv.reader(text.splitlines()):
        if not rec or all(x == '' for x in rec):
            types = header = None
            continue
        if rec[0] == '#datatype':
            types, header = rec, None
            continue
        if header is None:
            header = rec
            continue
        row = {}
        for name, t, raw in zip(header, types or [''] * len(rec), rec):
            if name in ('', 'result', 'table', '_start', '_stop', '_measurement', '_time') or raw == '':
                continue
            if name == '_tsengine_ns':
                row['time'] = int(raw)
            elif t in ('long', 'unsignedLong'):
                row[name] = int(raw)
            elif t == 'double':
                row[name] = float(raw.replace('+Inf', 'inf').replace('-Inf', '-inf'))
            elif t == 'boolean':
                row[name] = raw == 'true'
            else:
                row[name] = raw
        if 'time' in row:
            rows.append(row)
    return rows


# ---- the writers -----------------------------------------------------------------------------------------


class WindowWriter(object):
    """Writes each closed window to every output in order, then its alerts: the order ts-engine's runner keeps."""

    def __init__(self, shape, outputs, alert_targets):
        self.shape = shape
        self.outputs = []
        for o in outputs:
            if o['method'] == 'influx':
                self.outputs.append(('influx', InfluxTarget(o, shape)))
            else:
                self.outputs.append((o['format'], TextTarget(o.get('path', '-'))))
        self.alerts = [(a['format'], TextTarget(a.get('path', '-'))) for a in alert_targets]
        self.windows = 0
        self.rows = 0
        self.alert_count = 0

    def open(self):
        for _, t in self.outputs + self.alerts:
            t.open()

    def write(self, w):
        shape = self.shape
        for fmt, t in self.outputs:
            if fmt == 'influx':
                if w.groups:
                    t.write_window(w)
            elif fmt == 'jsonl':
                t.write(''.join(shape.json_line(w.start, w.end, k, acc) + '\n' for k, acc in w.groups))
            else:
                t.write(SEPARATOR + '\n' + ''.join(shape.reference_line(k, acc) + '\n' for k, acc in w.groups))
        for a in w.alerts:
            for fmt, t in self.alerts:
                t.write((alert_json_line(a, shape.key_types) if fmt == 'jsonl' else alert_reference_line(a, shape.key_types)) + '\n')
        self.windows += 1
        self.rows += len(w.groups)
        self.alert_count += len(w.alerts)

    def close(self):
        for _, t in self.outputs + self.alerts:
            t.close()


class DeadLetterWriter(object):
    def __init__(self, path):
        self.target = TextTarget(path) if path else None
        self.by_reason = {}

    def open(self):
        if self.target:
            self.target.open()

    def write(self, d):
        position, reason, message, raw = d
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
        if self.target:
            self.target.write(dead_letter_json(position, reason, message, raw) + '\n')

    def close(self):
        if self.by_reason:
            summary = ', '.join('%s %d' % (r, n) for r, n in sorted(self.by_reason.items()))
            sys.stderr.write('row errors: %s%s\n' % (summary, '' if self.target else ' (not kept: pass --dead-letters jsonl:<file>)'))
        if self.target:
            self.target.close()
