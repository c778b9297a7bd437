/**
 * The store of a config (docs/architecture.md#the-store): the embedded SQLite output that also
 * keeps dead letters, the workbench's alerts and what a reopened project shows. It is the output
 * marked "main" among the store outputs, else the first store output.
 */

/** A table in a SQLite file. */
export interface StoreRef {
  path: string;
  table: string;
}

export function selectStore<O extends { main: boolean }>(outputs: readonly O[], storeOf: (o: O) => StoreRef | undefined): StoreRef | undefined {
  for (const o of outputs) {
    const s = o.main ? storeOf(o) : undefined;
    if (s) return s;
  }
  for (const o of outputs) {
    const s = storeOf(o);
    if (s) return s;
  }
  return undefined;
}
