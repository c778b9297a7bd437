/**
 * The helpers that live INSIDE the user realm (docs/sandbox.md). The sandbox
 * evaluates this function's source in the realm before any user module, so it
 * must stay self-contained plain JavaScript: no imports, no outer references.
 *
 * The host never hands the realm an object of its own and the realm never calls
 * a host function: the host calls these helpers with primitives and gets back
 * primitives (JSON text) or realm functions it calls with primitives. Events
 * of asynchronous analyses wait in an outbox that the host empties.
 */
export interface RealmHelpers {
  addFile(name: string, text: string): void;
  /** the exports of the bundle just evaluated (its IIFE assigned them to a global) */
  takeExports(globalName: string): number;
  /** JSON of ModuleShape */
  describe(moduleIndex: number): string;
  transformFn(moduleIndex: number, index: number): unknown;
  aggregateFn(moduleIndex: number, index: number): unknown;
  /** JSON of { type } or { error } */
  resultType(moduleIndex: number, index: number, typesJson: string): string;
  describeError(e: unknown): string;
  analysisNew(moduleIndex: number, from: 'export' | 'analyses', name: string, optionsJson: string, ruleName: string): number;
  /**
   * The run's analyses, tagged JSON of {@link AnalysisSetup}: calls are numbered row × rules + rule, rows in the
   * window's order and rules in the config's.
   */
  analysisSetup(setupJson: string): void;
  /**
   * Queues a slice of calls, from `from`, one after the other: until every call is done, a call waits for the host (a
   * history point the realm does not hold), or `sliceMs` have passed (`oneCall`: after one call). Calls are numbered
   * across the windows queued, each window's row × rules + rule. `windowsJson` is the windows (tagged JSON of
   * {@link AnalysisWindow}[]), or '' for those queued last. It runs no user code and looks up nothing user code could
   * have changed, so it needs no time limit: the work runs in the promise jobs the host then drains under its limit.
   */
  analysisQueue(windowsJson: string, from: number, sliceMs: number, oneCall: boolean): void;
  /** a finished or paused slice's report (JSON of {@link AnalysisReport}), made as the slice ended; '' when there is none */
  analysisPrepared(): string;
  /** JSON of {@link AnalysisReport} now, the outbox emptied */
  analysisReport(): string;
  /** the points a 'prefetch' event asked for (tagged JSON of [row, n, …] and of the points, null where the lookup failed) */
  answerPrefetch(wantsJson: string, pointsJson: string): void;
  /** answers a history request with a point (tagged JSON); the waiting call goes on, and no other starts */
  answer(request: number, pointJson: string): void;
  /** tagged JSON of the events since the last call: [kind, call, …] */
  takeOutbox(): string;
}

export interface AnalysisSetup {
  /** the instance of each rule run here, in the config's order */
  rules: number[];
  /** per rule: whether it reads evaluations within bounds; a rule that does not drops them here (docs/alerts.md#observe) */
  observations: boolean[];
  valueNames: string[];
  keyFields: string[];
  batchMs: number;
  /**
   * whether the history source answers a lookup at exactly an analysed window's end with that window's row
   * (HistorySource.answersAnalysedWindows): then such lookups are answered here, without asking the engine
   */
  remember: boolean;
}

export interface AnalysisWindow {
  startMs: number;
  endMs: number;
  /** per aggregate row: its values in the output's order, and its key */
  rows: [unknown[], unknown[] | null][];
}

/** A window analysed here, kept for history lookups: its rows, and its keys as text (made when first asked). */
interface Remembered {
  w: AnalysisWindow;
  byKey: Record<string, number> | undefined;
  keyTexts: (string | undefined)[];
}

export interface AnalysisReport {
  /** [kind, call, …]: done, error, alert, history */
  events: [string, number, ...unknown[]][];
  state: AnalysisRunState;
}

export interface AnalysisRunState {
  /**
   * finished: every call is done; paused: the slice ended; waiting: the running call awaits the host; prefetch: the
   * next window's calls wait for the history points its rows will likely ask for (a 'prefetch' event)
   */
  state: 'finished' | 'paused' | 'waiting' | 'prefetch';
  /** the call running (−1: none) and when it started (Date.now) */
  current: number;
  startedAt: number;
  /** calls before this are done */
  next: number;
  /** history lookups answered here since the last report (once per row and index) */
  localLookups: number;
}

/** Points the engine gave ahead, by history index and row (its place after the first row asked); `given` marks those handed out once already. */
type PrefetchedPoints = Record<number, { points: Record<number, unknown>; given: Record<number, true> }>;

export function realmBootstrap(codec: { encode(v: unknown): string; decode(text: string): unknown }): RealmHelpers {
  const g = globalThis as Record<string, unknown>;
  const isArray = Array.isArray;
  const keys = Object.keys;
  const freeze = Object.freeze;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const bind = Function.prototype.bind;
  const push = Array.prototype.push;
  const create = Object.create;
  const TYPES = ['BooleanType', 'ByteType', 'ShortType', 'IntegerType', 'LongType', 'FloatType', 'DoubleType', 'StringType'];

  // callbacks that V8 would run outside the host's time limits: garbage-collection finalisers
  delete g.FinalizationRegistry;
  delete g.WebAssembly;
  const noop = () => undefined;
  g.console = freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop });
  const files: Record<string, string> = Object.create(null);
  g.tsEngine = freeze({
    /** a project file the config grants in sandbox.files (read by the host before start-up) */
    readFile(name: unknown): string {
      const key = String(name).replace(/^\.\//, '');
      if (!(key in files)) throw new Error(`tsEngine.readFile(${JSON.stringify(String(name))}): not granted; list it in the config's sandbox.files`);
      return files[key]!;
    },
  });

  const modules: Record<string, unknown>[] = [];
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const describeError = (e: unknown): string => {
    try {
      if (typeof e === 'object' && e !== null) {
        const m = (e as { message?: unknown }).message;
        if (typeof m === 'string' && m.length > 0) return m;
        const n = (e as { name?: unknown }).name;
        return typeof n === 'string' ? n : 'an exception without a message';
      }
      return typeof e === 'symbol' ? e.toString() : String(e);
    } catch {
      return 'an exception whose message cannot be read';
    }
  };
  const list = (mod: Record<string, unknown>, key: string): unknown[] | undefined => {
    const v = mod[key];
    return isArray(v) ? v : undefined;
  };
  const isClass = (c: unknown) => typeof c === 'function' && typeof (c as { prototype?: { analysis?: unknown } }).prototype?.analysis === 'function';

  const instances: { analysis(h: unknown, a: unknown): unknown }[] = [];
  let outbox: unknown[] = [];
  const pending: Record<number, (v: unknown) => void> = Object.create(null);
  let nextRequest = 0;
  const primitive = (v: unknown, what: string) => {
    if (v === null || v === undefined) return null;
    const t = typeof v;
    if (t === 'number' || t === 'bigint' || t === 'string' || t === 'boolean') return v;
    throw new TypeError(`${what} must be a number, string, boolean or null, got ${t}`);
  };
  const sanitize = (m: unknown) => {
    if (typeof m !== 'object' || m === null) throw new TypeError('alerts.send takes {module, timestamp, param: {key, field, lower_bound, upper_bound, value}}');
    const msg = m as { module?: unknown; timestamp?: unknown; param?: unknown };
    const p = (typeof msg.param === 'object' && msg.param !== null ? msg.param : {}) as Record<string, unknown>;
    const key = p.key;
    const keyOut: unknown[] | null = isArray(key) ? [] : null;
    if (keyOut) for (let i = 0; i < (key as unknown[]).length; i++) keyOut[i] = primitive((key as unknown[])[i], 'param.key[i]');
    return {
      module: String(msg.module ?? ''),
      timestamp: Number(msg.timestamp ?? 0),
      param: {
        key: keyOut,
        field: String(p.field ?? ''),
        lower_bound: Number(p.lower_bound),
        upper_bound: Number(p.upper_bound),
        value: primitive(p.value, 'param.value'),
      },
    };
  };

  // ---- analyses: a window's calls run one after the other in this realm (docs/sandbox.md#analyses)
  const now = Date.now;
  const isInteger = Number.isInteger;
  const floor = Math.floor;
  const min = Math.min;
  const big = BigInt;
  const resolved = (v: unknown) => Promise.resolve(v);
  const then = Promise.prototype.then;
  const slice = Array.prototype.slice;
  /** windows kept for history at most (lookups further back ask the engine) */
  const MAX_REMEMBERED = 64;
  let analyses: AnalysisSetup | undefined;
  /** the windows queued last, the first call of each (calls are numbered across them), and the one the calls are in */
  let queued: AnalysisWindow[] = [];
  let bases: number[] = [0];
  let entered = -1;
  let win: AnalysisWindow | undefined;
  /** per row of the window: its values by name (history.current() copies it), made when a call first needs it */
  let rowValues: (Record<string, unknown> | undefined)[] = [];
  /** the row the history index below is for */
  let rowIndex: number | undefined;
  /** history indices this row was answered here (a lookup counts once per row, as the engine counts its own) */
  let rowLooked: Record<number, true> = Object.create(null);
  let localLookups = 0;
  /** windows analysed here, by end: their rows and, made at their first lookup, the row of each key */
  let remembered: Remembered[] = [];
  /** how many windows back the rules have asked so far (what `remember` keeps) */
  let reach = 1;
  let generation = 0;
  let cursor = 0;
  let current = -1;
  let startedAt = 0;
  let state: AnalysisRunState['state'] = 'finished';
  let sliceEnd = 0;
  let ran = 0;
  let runOne = false;
  /** set by answer(): the call that waited goes on, then the run pauses */
  let hold = false;

  /** the report of the slice that just ended, made inside the host's time limit (encoding may meet user code) */
  let prepared = '';
  const report = (): string => {
    const r = codec.encode({
      events: outbox as AnalysisReport['events'],
      state: { state, current, startedAt, next: cursor, localLookups },
    } satisfies AnalysisReport);
    outbox = [];
    localLookups = 0;
    return r;
  };
  const prepareReport = () => {
    try {
      prepared = report();
    } catch {
      // user code made the encoding throw (a toJSON of its own): the host asks for the report itself
      prepared = '';
    }
  };
  /** an async function: its first await queues a job without looking up anything user code may have replaced */
  const startSlice = async (g: number, windowJson: string, from: number, sliceMs: number, oneCall: boolean) => {
    await undefined;
    if (g !== generation) return;
    sliceEnd = now() + sliceMs;
    if (windowJson !== '') {
      queued = codec.decode(windowJson) as AnalysisWindow[];
      bases = [0];
      const nRules = analyses!.rules.length;
      for (let i = 0; i < queued.length; i++) apply(push, bases, [bases[i]! + queued[i]!.rows.length * nRules]);
      entered = -1;
      // the calls of a slice start within its first sliceMs: reading large windows may take that
      if (now() >= sliceEnd) {
        cursor = from;
        prepareReport();
        return;
      }
    }
    cursor = from;
    ran = 0;
    hold = false;
    runOne = oneCall;
    runCalls(g);
  };
  const remember = (w: AnalysisWindow) => {
    apply(push, remembered, [{ w, byKey: undefined, keyTexts: [] }]);
    const oldest = w.endMs - reach * analyses!.batchMs;
    let drop = 0;
    while (drop < remembered.length && remembered[drop]!.w.endMs < oldest) drop++;
    if (drop > 0) {
      const kept: Remembered[] = [];
      for (let i = drop; i < remembered.length; i++) apply(push, kept, [remembered[i]]);
      remembered = kept;
    }
  };
  const toText = String;
  /**
   * A key as text, equal for keys the engine's groups hold as one (0 and −0, NaN and NaN: SameValueZero), different
   * otherwise: each value's type, and a string's length before it.
   */
  const keyText = (key: unknown[] | null): string => {
    if (key === null) return '';
    let t = '';
    for (let i = 0; i < key.length; i++) {
      const v = key[i];
      t += typeof v === 'string' ? `s${v.length}:${v};` : `${typeof v}:${toText(v)};`;
    }
    return t;
  };
  const sameKey = (a: unknown[] | null, b: unknown[] | null): boolean => {
    if (a === null || b === null) return a === b;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      // NaN is one key, as in the engine's groups
      if (x !== y && (x === x || y === y)) return false;
    }
    return true;
  };
  const keyTextOf = (r: Remembered, row: number) => (r.keyTexts[row] ??= keyText(r.w.rows[row]![1]));
  /** the remembered window ending at `endMs` (windows come in time order: n windows back is most often n places back) */
  const rememberedAt = (endMs: number, n: number): Remembered | undefined => {
    const guess = remembered[remembered.length - 1 - n];
    if (guess && guess.w.endMs === endMs) return guess;
    for (let i = remembered.length - 1; i >= 0; i--) if (remembered[i]!.w.endMs === endMs) return remembered[i];
    return undefined;
  };
  const stored = (v: unknown) => (v === true ? 1 : v === false ? 0 : v);
  /**
   * The point the engine's history gives for a lookup at exactly a remembered window's end (engine/analysis/
   * history-recent.ts, storedPointMaker): window bounds, key fields and values as stored (booleans as 0/1), the time
   * in ns, the key. A name given twice keeps its first place and its last value; `__proto__` is never a field there.
   */
  const pointOf = (w: AnalysisWindow, row: [unknown[], unknown[] | null]) => {
    const s = analyses!;
    const [values, key] = row;
    const p: Record<string, unknown> = { window_start: w.startMs, window_end: w.endMs };
    if (key !== null) for (let i = 0; i < s.keyFields.length; i++) if (s.keyFields[i] !== '__proto__') p[s.keyFields[i]!] = stored(key[i]);
    for (let i = 0; i < s.valueNames.length; i++) if (s.valueNames[i] !== '__proto__') p[s.valueNames[i]!] = stored(values[i]);
    p.time = big(w.endMs) * 1000000n;
    p.key = key === null ? null : apply(slice, key, []);
    return p;
  };
  /** history[n] of a row when this realm holds it: an analysed window ending exactly n windows back, with the row's key */
  /** the window and row holding history[n] of a row in this realm, if any */
  const localRow = (row: number, n: number): [AnalysisWindow, number] | undefined => {
    const here = remembered[remembered.length - 1]!;
    const at = rememberedAt(here.w.endMs - n * analyses!.batchMs, n);
    if (!at) return undefined;
    // windows mostly list their keys in the same order: the same place first, compared value by value as the
    // key texts below would (SameValueZero, types apart), before a text and a lookup among every key of the window
    const key = here.w.rows[row]![1];
    const there = at.w.rows[row];
    if (there !== undefined && sameKey(key, there[1])) return [at.w, row];
    if (!at.byKey) {
      const byKey: Record<string, number> = Object.create(null);
      for (let i = 0; i < at.w.rows.length; i++) byKey[keyTextOf(at, i)] = i;
      at.byKey = byKey;
    }
    const i = at.byKey[keyTextOf(here, row)];
    return i === undefined ? undefined : [at.w, i];
  };
  const localPoint = (row: number, n: number) => {
    const hit = localRow(row, n);
    return hit ? pointOf(hit[0], hit[0].rows[hit[1]]!) : undefined;
  };
  /**
   * Points the engine gave for the entered window before its calls ran, by row and index: those its rows' calls will
   * likely ask (the indices asked before) and the realm does not hold. Handed out once as they came, then as copies:
   * a call never sees what another did to its point.
   */
  let prefetched: PrefetchedPoints | undefined;
  /** the first row of those prefetched: rows are kept by their place after it, so that they are dense elements */
  let prefetchedFrom = 0;
  /** history indices asked so far, by any rule (what the next windows prefetch), at most MAX_LEARNED */
  const learned: number[] = [];
  const MAX_LEARNED = 16;
  /** a loop, not indexOf: every lookup asks, and indexOf's argument list was an array made per lookup */
  const isLearned = (n: number): boolean => {
    for (let k = 0; k < learned.length; k++) if (learned[k] === n) return true;
    return false;
  };
  /** points were asked for and have not come yet */
  let prefetchPending = false;
  /** the rows of the entered window before this had their points asked for */
  let prefetchEnd = 0;
  /** rows per prefetch: the points of a window of 100 000 keys would not all fit the sandbox's memory at once */
  const PREFETCH_ROWS = 4096;
  const fromPrefetch = (row: number, n: number): unknown => {
    const of = prefetched?.[n];
    if (of === undefined) return undefined;
    const at = row - prefetchedFrom;
    const point = of.points[at];
    if (point === undefined) return undefined;
    if (of.given[at] === undefined) {
      of.given[at] = true;
      return point;
    }
    return codec.decode(codec.encode(point));
  };
  const valuesOf = (row: number) => {
    let o = rowValues[row];
    if (!o) {
      const names = analyses!.valueNames;
      const values = win!.rows[row]![0];
      o = {};
      // as the engine's record: a value named "key" is the key's place, and `__proto__` no field
      for (let i = 0; i < names.length; i++) if (names[i] !== 'key' && names[i] !== '__proto__') o[names[i]!] = values[i];
      rowValues[row] = o;
    }
    return o;
  };
  /** the window of a call, entered (its rows current, remembered for history) when the calls first reach it */
  const windowOf = (call: number): number => {
    let i = entered < 0 || call < bases[entered]! ? 0 : entered;
    while (call >= bases[i + 1]!) i++;
    if (i !== entered) {
      entered = i;
      win = queued[i]!;
      rowIndex = undefined;
      rowValues = [];
      prefetched = undefined;
      prefetchEnd = 0;
      if (analyses!.remember) remember(win);
    }
    return i;
  };
  /**
   * Before the calls of a row past those prefetched: asks the engine, in one event, for the points the next
   * PREFETCH_ROWS rows will likely ask and this realm does not hold. True when the calls must wait for them.
   */
  const prefetchFor = (call: number): boolean => {
    if (learned.length === 0) return false;
    const i = windowOf(call);
    const nRules = analyses!.rules.length;
    const first = floor((call - bases[i]!) / nRules);
    if (first < prefetchEnd) return false;
    const w = win!;
    prefetchEnd = min(first + PREFETCH_ROWS, w.rows.length);
    const wants: number[] = [];
    for (let row = first; row < prefetchEnd; row++) {
      for (let k = 0; k < learned.length; k++) {
        const n = learned[k]!;
        if (!analyses!.remember || !localRow(row, n)) apply(push, wants, [row, n]);
      }
    }
    if (wants.length === 0) return false;
    prefetchPending = true;
    apply(push, outbox, [['prefetch', bases[i]! + first * nRules, wants]]);
    return true;
  };
  const invoke = (globalCall: number): unknown => {
    const s = analyses!;
    const call = globalCall - bases[windowOf(globalCall)]!;
    const w = win!;
    const nRules = s.rules.length;
    const row = floor(call / nRules);
    if (rowIndex !== row) {
      if (rowIndex !== undefined && row < rowIndex) rowValues = [];
      rowIndex = row;
      rowLooked = Object.create(null);
    }
    const key = w.rows[row]![1];
    const observes = s.observations[call % nRules]!;
    const currentPoint = () => {
      const values = valuesOf(row);
      const o: Record<string, unknown> = {};
      const names = keys(values);
      for (let i = 0; i < names.length; i++) o[names[i]!] = values[names[i]!];
      o.key = key === null ? null : apply(slice, key, []);
      return o;
    };
    const cache: Record<number, Promise<unknown>> = Object.create(null);
    const history = freeze({
      current: currentPoint,
      get(n: unknown) {
        const i = Number(n);
        if (i === 0) return resolved(currentPoint());
        let p = cache[i];
        if (!p) {
          let point: unknown;
          if (isInteger(i) && i > 0) {
            if (i + 1 > reach) reach = min(i + 1, MAX_REMEMBERED);
            if (learned.length < MAX_LEARNED && !isLearned(i)) apply(push, learned, [i]);
            // a prefetched point the engine counted as its lookup; one this realm holds, it counts
            point = fromPrefetch(row, i);
            if (point === undefined && s.remember) {
              point = localPoint(row, i);
              if (point !== undefined && !rowLooked[i]) {
                rowLooked[i] = true;
                localLookups++;
              }
            }
          }
          if (point !== undefined) {
            p = resolved(point);
          } else {
            const req = nextRequest++;
            p = new Promise((resolve) => {
              pending[req] = resolve;
            });
            apply(push, outbox, [['history', globalCall, req, i]]);
          }
          cache[i] = p;
        }
        return p;
      },
    });
    const send = (m: unknown) => {
      apply(push, outbox, [['alert', globalCall, sanitize(m)]]);
      return resolved(undefined);
    };
    const alerts = freeze({
      send,
      // an evaluation that did not deviate (docs/alerts.md#observe)
      observe: (m: unknown) => {
        const observed = sanitize(m) as Record<string, unknown>;
        // checked all the same: a message that is no message fails the call whether or not the rule reads it
        if (!observes) return resolved(undefined);
        observed.observed = true;
        apply(push, outbox, [['alert', globalCall, observed]]);
        return resolved(undefined);
      },
      // the reference's keyword form: send_message(AnalysisModule=…, timestamp=…, param={…})
      send_message: (kw: { AnalysisModule?: unknown; timestamp?: unknown; param?: unknown }) =>
        send({ module: kw?.AnalysisModule, timestamp: kw?.timestamp, param: kw?.param }),
    });
    return instances[s.rules[call % nRules]!]!.analysis(history, alerts);
  };
  /** Ends `call` (false when it is no longer the one running: a later run abandoned it). */
  const settle = (g: number, call: number, failed: boolean, e: unknown): boolean => {
    if (g !== generation || current !== call) return false;
    apply(push, outbox, [failed ? ['error', call, describeError(e)] : ['done', call]]);
    cursor = call + 1;
    current = -1;
    return true;
  };
  const runCalls = (g: number): void => {
    const total = bases[queued.length]!;
    while (g === generation) {
      if (cursor >= total) {
        state = 'finished';
        prepareReport();
        return;
      }
      if (ran > 0 && (hold || runOne || now() >= sliceEnd)) {
        state = 'paused';
        prepareReport();
        return;
      }
      const call = cursor;
      if (prefetchPending || prefetchFor(call)) {
        state = 'prefetch';
        prepareReport();
        return;
      }
      current = call;
      startedAt = now();
      ran++;
      let result: unknown;
      try {
        result = invoke(call);
      } catch (e) {
        settle(g, call, true, e);
        continue;
      }
      if ((typeof result !== 'object' && typeof result !== 'function') || result === null) {
        settle(g, call, false, undefined);
        continue;
      }
      state = 'waiting';
      apply(then, resolved(result), [
        () => {
          if (settle(g, call, false, undefined)) runCalls(g);
        },
        (e: unknown) => {
          if (settle(g, call, true, e)) runCalls(g);
        },
      ]);
      return;
    }
  };

  return freeze({
    addFile(name: string, text: string) {
      files[name] = text;
    },
    takeExports(globalName: string) {
      const e = g[globalName];
      // the bundle declared it with `var`: not deletable, so cleared for the next module
      g[globalName] = undefined;
      // CommonJS `module.exports = class …` is the module's default export, as when Node imports it
      apply(push, modules, [typeof e === 'object' && e !== null ? e : typeof e === 'function' ? { default: e } : {}]);
      return modules.length - 1;
    },
    describe(m: number) {
      const mod = modules[m]!;
      const shape: Record<string, unknown> = {};
      const tf = mod.transformFunctions;
      if (tf !== undefined && !isArray(tf)) shape.transformError = 'transformFunctions must be an array';
      shape.transform = (list(mod, 'transformFunctions') ?? []).map((f) => {
        if (typeof f !== 'object' || f === null) return { problem: 'is not an object' };
        const o = f as Record<string, unknown>;
        return {
          name: str(o.name) ?? (o.name === undefined ? undefined : String(o.name)),
          arity: typeof o.arity === 'number' ? o.arity : undefined,
          params: isArray(o.params) ? o.params.map((p) => (typeof p === 'string' ? p : String(p))) : o.params === undefined ? undefined : 'invalid',
          returns: o.returns === undefined ? undefined : String(o.returns),
          doc: str(o.doc),
          hasResultType: typeof o.resultType === 'function',
          hasApply: typeof o.apply === 'function',
        };
      });
      const af = mod.aggregateFunctions;
      if (af !== undefined && !isArray(af)) shape.aggregateError = 'aggregateFunctions must be an array';
      shape.aggregate = (list(mod, 'aggregateFunctions') ?? []).map((f) => {
        if (typeof f !== 'object' || f === null) return { problem: 'is not an object' };
        const o = f as Record<string, unknown>;
        let resultTypes: Record<string, unknown> | undefined;
        if (typeof o.resultType === 'function') {
          resultTypes = {};
          for (const t of TYPES) {
            try {
              const r = apply(o.resultType as () => unknown, o, [t]);
              resultTypes[t] = typeof r === 'string' ? { type: r } : { error: `resultType returned ${typeof r}, not a type name` };
            } catch (e) {
              resultTypes[t] = { error: describeError(e) };
            }
          }
        }
        return {
          name: str(o.name) ?? (o.name === undefined ? undefined : String(o.name)),
          accepts: isArray(o.accepts) ? o.accepts.map((p) => (typeof p === 'string' ? p : String(p))) : undefined,
          doc: str(o.doc),
          hasCombine: typeof o.combine === 'function',
          resultTypes,
        };
      });
      const exportsShape: Record<string, boolean> = {};
      for (const k of keys(mod)) exportsShape[k] = isClass(mod[k]);
      const an = mod.analyses;
      const analysesShape: Record<string, boolean> = {};
      if (typeof an === 'object' && an !== null && !isArray(an)) for (const k of keys(an)) analysesShape[k] = isClass((an as Record<string, unknown>)[k]);
      shape.exports = exportsShape;
      shape.analyses = analysesShape;
      return codec.encode(shape);
    },
    transformFn(m: number, i: number) {
      const o = (list(modules[m]!, 'transformFunctions') ?? [])[i] as { apply?: unknown } | undefined;
      return o && typeof o.apply === 'function' ? apply(bind, o.apply, [o]) : undefined;
    },
    aggregateFn(m: number, i: number) {
      const o = (list(modules[m]!, 'aggregateFunctions') ?? [])[i] as { combine?: unknown } | undefined;
      return o && typeof o.combine === 'function' ? apply(bind, o.combine, [o]) : undefined;
    },
    resultType(m: number, i: number, typesJson: string) {
      const o = (list(modules[m]!, 'transformFunctions') ?? [])[i] as { resultType?: unknown } | undefined;
      try {
        if (!o || typeof o.resultType !== 'function') return codec.encode({ error: 'has no resultType function' });
        const r = apply(o.resultType as () => unknown, o, [codec.decode(typesJson)]);
        return codec.encode(typeof r === 'string' ? { type: r } : { error: `resultType returned ${typeof r}, not a type name` });
      } catch (e) {
        return codec.encode({ error: describeError(e) });
      }
    },
    describeError,
    analysisNew(m: number, from: 'export' | 'analyses', name: string, optionsJson: string, ruleName: string) {
      const mod = modules[m]!;
      const Cls = (from === 'export' ? mod[name] : (mod.analyses as Record<string, unknown>)[name]) as new (
        ...a: unknown[]
      ) => { analysis(h: unknown, a: unknown): unknown };
      const inst = construct(Cls, [codec.decode(optionsJson), ruleName]);
      apply(push, instances, [inst]);
      return instances.length - 1;
    },
    analysisSetup(setupJson: string) {
      analyses = codec.decode(setupJson) as AnalysisSetup;
    },
    analysisQueue(windowJson: string, from: number, sliceMs: number, oneCall: boolean) {
      const g = ++generation;
      current = -1;
      prepared = '';
      state = 'paused';
      void startSlice(g, windowJson, from, sliceMs, oneCall);
    },
    analysisPrepared() {
      const r = prepared;
      prepared = '';
      return r;
    },
    analysisReport: report,
    answerPrefetch(wantsJson: string, pointsJson: string) {
      const wants = codec.decode(wantsJson) as number[];
      const points = codec.decode(pointsJson) as unknown[];
      // by index, then row: objects without a prototype keyed by integers, read as elements (a text key per point
      // cost more than the lookups themselves with 100 000 keys), and never through anything user code can replace
      const byIndex: PrefetchedPoints = create(null);
      // the wants are in row order
      const from = wants.length > 0 ? wants[0]! : 0;
      for (let j = 0; j < points.length; j++) {
        // a lookup that failed is left to the call that asks for it (it fails with it)
        if (points[j] === null) continue;
        const n = wants[2 * j + 1]!;
        const of = (byIndex[n] ??= { points: create(null), given: create(null) });
        of.points[wants[2 * j]! - from] = points[j];
      }
      prefetched = byIndex;
      prefetchedFrom = from;
      prefetchPending = false;
    },
    answer(req: number, pointJson: string) {
      const resolve = pending[req];
      delete pending[req];
      // the call goes on within what is left of its own limit: no new call may start in this evaluation
      hold = true;
      resolve?.(codec.decode(pointJson));
    },
    takeOutbox() {
      const out = outbox;
      outbox = [];
      return codec.encode(out);
    },
  });
}
