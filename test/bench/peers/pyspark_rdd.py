#!/usr/bin/env python3
"""Benchmark peer "pyspark": the reference implementation's approach, as a PySpark RDD pipeline.

sc.textFile -> map(parse) -> map(transform) -> map(to (key, values)) -> reduceByKey -> collect,
with key = (window start, sensor_id, sensor_type) and the value columns of samples/sensors/config.json
(counter, rpm_min, rpm_max, rpm_sum, speed_lt, speed_gt), combined with sum/min/max/sum/sum/sum
exactly like the reference's per-column combine function. Parsing converts every column of the data
structure (int / str / float), as the reference does. There is no streaming here: the whole file is
one Spark job and windows come from the event time (the reference used processing-time
micro-batches), so there are no late rows.

usage: python test/bench/peers/pyspark_rdd.py --file <csv> [--threads N | --master local[N]|local[*]]
                                              [--out <result.json>] [--driver-memory 2g] [--batch 10]
Run it with the interpreter of test/bench/.venv (see setup-pyspark.sh).

Prints one JSON line on stdout (same format as the Node peers). `seconds` is the wall time from the
start of this script (JVM start-up included) to the collected result; `startupSeconds` is the part
spent creating the SparkContext. `peakRssMB` is the peak of the summed RSS of this process and all
its descendants (the JVM and the Python workers), sampled from /proc every 100 ms;
`driverPeakRssMB` is the Python driver alone (getrusage).
"""

import time

T0 = time.monotonic()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from decimal import Decimal  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


# ----------------------------------------------------------------------------- peak RSS of the tree
def _children(pid):
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return kids


def tree_rss_bytes(root):
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            continue
        stack.extend(_children(pid))
    return total


class TreeSampler(threading.Thread):
    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop_evt = threading.Event()

    def sample(self):
        self.peak = max(self.peak, tree_rss_bytes(self.pid))

    def run(self):
        while not self._stop_evt.is_set():
            self.sample()
            self._stop_evt.wait(self.interval)

    def stop(self):
        self._stop_evt.set()
        self.sample()
        return self.peak / (1024 * 1024)


# ----------------------------------------------------------------------------- checksum (= checksum.mjs)
def canon(x):
    """Shortest round-trip decimal in exponent form, identical to JS Number.prototype.toExponential()."""
    if x != x:
        return "nan"
    if x == float("inf"):
        return "inf"
    if x == float("-inf"):
        return "-inf"
    if x == 0:
        return "0e+0"
    sign, digits, exp = Decimal(repr(float(x))).normalize().as_tuple()
    mant = "".join(map(str, digits))
    e = exp + len(digits) - 1
    s = mant[0] + ("." + mant[1:] if len(mant) > 1 else "")
    return ("-" if sign else "") + s + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def fnv1a32(s):
    h = 0x811C9DC5
    for ch in s:
        h ^= ord(ch)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def checksum(rows):
    """rows: iterable of (window_end_ms, sensor_id, sensor_type, counter, min, max, sum, lt, gt)."""
    windows = {}
    for r in rows:
        windows.setdefault(int(r[0]), []).append(
            (int(r[1]), str(r[2]), int(r[3]), float(r[4]), float(r[5]), float(r[6]), int(r[7]), int(r[8]))
        )
    total = hashlib.sha1()
    per_window = []
    groups = nrows = 0
    rpm_sum = rpm_wsum = 0.0
    for end in sorted(windows):
        lst = windows[end]
        lst.sort(key=lambda g: (g[0], g[1]))
        parts = [f"{end}\n"]
        wrows, s, ws = 0, 0.0, 0.0
        for g in lst:
            parts.append(f"{g[0]}\t{g[1]}\t{g[2]}\t{canon(g[3])}\t{canon(g[4])}\t{g[6]}\t{g[7]}\n")
            wrows += g[2]
            s += g[5]
            ws += g[5] * (1 + (fnv1a32(f"{g[0]}\t{g[1]}") % 1021) / 1021)
        h = hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()[:16]
        total.update(f"{end}:{h}\n".encode("utf-8"))
        per_window.append({"end": end, "groups": len(lst), "rows": wrows, "hash": h, "sum": s, "wsum": ws})
        groups += len(lst)
        nrows += wrows
        rpm_sum += s
        rpm_wsum += ws
    return {
        "windows": len(per_window),
        "groups": groups,
        "rows": nrows,
        "hash": total.hexdigest()[:16],
        "rpmSum": rpm_sum,
        "rpmWSum": rpm_wsum,
        "perWindow": per_window,
    }


# ----------------------------------------------------------------------------- the pipeline
SCHEMA = [  # samples/sensors/data_structure.json, sorted by index
    ("timestamp", int),
    ("sensor_id", int),
    ("sensor_type", str),
    ("pressure", float),
    ("temperature", float),
    ("rotation_speed", float),
    ("torque", float),
]


def parse(line):
    cells = line.split(",")
    return [conv(cells[i]) for i, (_, conv) in enumerate(SCHEMA)]


def transform(row):
    # counter: one(timestamp), sensor_id, sensor_type, rpm_min/rpm_max/rpm_sum: rotation_speed,
    # speed_lt: lt(rotation_speed, 1000), speed_gt: gt(rotation_speed, 4000); plus the timestamp
    # for the event-time window
    rs = row[5]
    return (row[0], 1, row[1], row[2], rs, rs, rs, rs < 1000, rs > 4000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", required=True)
    ap.add_argument("--threads", type=int, help="shorthand for --master local[N]")
    ap.add_argument("--master", help="Spark master, e.g. local[1] or local[*] (default local[*])")
    ap.add_argument("--out")
    ap.add_argument("--driver-memory", default="2g")
    ap.add_argument("--batch", type=int, default=10)
    args = ap.parse_args()
    master = args.master or (f"local[{args.threads}]" if args.threads else "local[*]")
    B = args.batch

    sampler = TreeSampler(os.getpid())
    sampler.start()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark import SparkConf, SparkContext

    conf = (
        SparkConf()
        .setMaster(master)
        .setAppName("ts-engine-bench")
        .set("spark.driver.memory", args.driver_memory)
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.sql.shuffle.partitions", "8")
    )
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    t_ctx = time.monotonic()

    def to_pair(t):
        ts = t[0]
        ws = ts - ts % B  # Python % is floored: same as floor(ts / B) * B
        return ((ws, t[2], t[3]), (t[1], t[4], t[5], t[6], t[7], t[8]))

    def combine(x, y):
        # column functions in transformation order: sum, min, max, sum, sum, sum (reference style:
        # max is "y if x < y else x", min is "y if x > y else x")
        return (
            x[0] + y[0],
            y[1] if x[1] > y[1] else x[1],
            y[2] if x[2] < y[2] else x[2],
            x[3] + y[3],
            x[4] + y[4],
            x[5] + y[5],
        )

    result = (
        sc.textFile(os.path.abspath(args.file))
        .filter(lambda line: line != "")
        .map(parse)
        .map(transform)
        .map(to_pair)
        .reduceByKey(combine)
        .collect()
    )
    seconds = time.monotonic() - T0
    job_seconds = time.monotonic() - t_ctx
    peak_mb = sampler.stop()
    threads = sc.defaultParallelism
    version = sc.version
    sc.stop()

    cs = checksum(
        ((k[0] + B) * 1000, k[1], k[2], v[0], v[1], v[2], v[3], v[4], v[5]) for k, v in result
    )
    line = {
        "peer": "pyspark",
        "rows": cs["rows"],
        "seconds": round(seconds, 4),
        "rowsPerSec": round(cs["rows"] / seconds),
        "peakRssMB": round(peak_mb, 1),
        "windows": cs["windows"],
        "groups": cs["groups"],
        "driverPeakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "startupSeconds": round(t_ctx - T0, 4),
        "jobSeconds": round(job_seconds, 4),
        "master": master,
        "threads": threads,
        "sparkVersion": version,
        "checksum": {k: v for k, v in cs.items() if k != "perWindow"},
    }
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({**line, "checksum": cs}, f)
            f.write("\n")
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
