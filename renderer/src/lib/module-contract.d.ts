/**
 * The contract of user modules (docs/semantics.md#user-code), as the editor's TypeScript service
 * sees it: `import type { … } from 'ts-engine'` in an analysis or extension module completes and
 * type-checks against these declarations (lib/monaco.ts feeds this file to Monaco as text).
 * test/unit/renderer/module-contract.test.ts keeps them assignable both ways to the engine's own types.
 */
declare module 'ts-engine' {
  /** The column types of a data structure (Spark SQL type names). */
  export type FieldType = 'BooleanType' | 'ByteType' | 'ShortType' | 'IntegerType' | 'LongType' | 'FloatType' | 'DoubleType' | 'StringType';

  /** A value of a row or a window: LongType values beyond 2^53 arrive as bigint. */
  export type Value = number | bigint | boolean | string | null;

  /** A transformation function, callable in `processing.transformation` once the config lists its module in `extensions`. */
  export interface TransformFunction {
    /** /^[A-Za-z_]\w*$/, not the name of a built-in */
    name: string;
    /** the exact number of arguments */
    arity: number;
    /** a fixed signature: the type of each argument ('numeric': any number type; 'any': any type) … */
    params?: (FieldType | 'numeric' | 'any')[];
    /** … and of the result ('promote': the widest numeric argument type; 'arg0': the first argument's type) */
    returns?: FieldType | 'promote' | 'arg0';
    /** or a rule of your own: the result type for the argument types; throw to refuse them */
    resultType?(argTypes: FieldType[]): FieldType;
    /** pure and synchronous; string literals arrive unquoted */
    apply(...args: Value[]): Value;
    /** shown in the config's completion and hover */
    doc?: string;
  }

  /** An aggregate function, usable in `processing.aggregations.rule` as `name(column)`. */
  export interface AggregateFunction {
    name: string;
    /** the column types it takes */
    accepts: FieldType[];
    /** the result type for the column type (default: the same) */
    resultType?(input: FieldType): FieldType;
    /** associative and commutative: windows are combined in any order */
    combine(a: Value, b: Value): Value;
    doc?: string;
  }

  /** A point of the history: the window's columns, its `key` and (for stored points) `time` in epoch ns. */
  export type HistoryPoint = { [field: string]: Value | Value[] | null };

  /** The windows of one key, newest first. */
  export interface HistoryAccessor {
    /** the window that just closed (history[0]) */
    current(): HistoryPoint & { key: Value[] | null };
    /** n ≥ 1: the stored window n windows back for the same key, or {} when there is none */
    get(n: number): Promise<HistoryPoint>;
  }

  export interface AlertMessage {
    /** the rule's name */
    module: string;
    /** epoch seconds of the window */
    timestamp: number;
    param: { key: Value[] | null; field: string; lower_bound: number; upper_bound: number; value: Value };
  }

  /** Where alerts go: the config's analysis.alert sink (stdout, Kafka, the store). */
  export interface AlertSender {
    /** a deviation: the value is outside the bounds */
    send(message: AlertMessage): Promise<void>;
    /** an evaluation that did not deviate, with its value and bounds: the alert lifecycle uses it for the recovery band */
    observe(message: AlertMessage): Promise<void>;
  }

  /** The `options` object of an analysis rule in the config, as written there. */
  export type AnalysisOptions = Record<string, unknown>;

  /** An analysis: one instance per rule, analysis() called after every window of every key. */
  export interface UserAnalysis {
    analysis(history: HistoryAccessor, alerts: AlertSender): void | Promise<void>;
  }

  /** A class the config names in analysis.rule[].module (the file's default export or class of the file's name). */
  export type AnalysisClass = new (options: unknown, name: string) => UserAnalysis;

  /** What an extension module may export. */
  export interface ExtensionModule {
    transformFunctions?: TransformFunction[];
    aggregateFunctions?: AggregateFunction[];
    analyses?: Record<string, AnalysisClass>;
  }
}
