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
  /** starts instance.analysis(history, alerts) on a record (tagged JSON of its values and key) */
  analysisStart(instance: number, call: number, recordJson: string): void;
  /** answers a history request with a point (tagged JSON) */
  answer(request: number, pointJson: string): void;
  /** tagged JSON of the events since the last call: [kind, call, …] */
  takeOutbox(): string;
}

export function realmBootstrap(codec: { encode(v: unknown): string; decode(text: string): unknown }): RealmHelpers {
  const g = globalThis as Record<string, unknown>;
  const isArray = Array.isArray;
  const keys = Object.keys;
  const freeze = Object.freeze;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const bind = Function.prototype.bind;
  const push = Array.prototype.push;
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
    analysisStart(k: number, call: number, recordJson: string) {
      const rec = codec.decode(recordJson) as { values: Record<string, unknown>; key: unknown[] | null };
      const current = () => {
        const o: Record<string, unknown> = {};
        for (const f of keys(rec.values)) o[f] = rec.values[f];
        o.key = rec.key === null ? null : rec.key.slice();
        return o;
      };
      const cache: Record<number, Promise<unknown>> = Object.create(null);
      const history = freeze({
        current,
        get(n: unknown) {
          const i = Number(n);
          if (i === 0) return Promise.resolve(current());
          let p = cache[i];
          if (!p) {
            const req = nextRequest++;
            p = new Promise((resolve) => {
              pending[req] = resolve;
            });
            cache[i] = p;
            apply(push, outbox, [['history', call, req, i]]);
          }
          return p;
        },
      });
      const send = (m: unknown) => {
        apply(push, outbox, [['alert', call, sanitize(m)]]);
        return Promise.resolve();
      };
      const alerts = freeze({
        send,
        // an evaluation that did not deviate (docs/alerts.md#observe)
        observe: (m: unknown) => {
          const observed = sanitize(m) as Record<string, unknown>;
          observed.observed = true;
          apply(push, outbox, [['alert', call, observed]]);
          return Promise.resolve();
        },
        // the reference's keyword form: send_message(AnalysisModule=…, timestamp=…, param={…})
        send_message: (kw: { AnalysisModule?: unknown; timestamp?: unknown; param?: unknown }) =>
          send({ module: kw?.AnalysisModule, timestamp: kw?.timestamp, param: kw?.param }),
      });
      const done = () => apply(push, outbox, [['done', call]]);
      const failed = (e: unknown) => apply(push, outbox, [['error', call, describeError(e)]]);
      try {
        Promise.resolve(instances[k]!.analysis(history, alerts)).then(done, failed);
      } catch (e) {
        failed(e);
      }
    },
    answer(req: number, pointJson: string) {
      const resolve = pending[req];
      delete pending[req];
      resolve?.(codec.decode(pointJson));
    },
    takeOutbox() {
      const out = outbox;
      outbox = [];
      return codec.encode(out);
    },
  });
}
