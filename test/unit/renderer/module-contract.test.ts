// The module contract the editor's TypeScript service is fed (renderer/src/lib/module-contract.d.ts) is the engine's:
// each declared type is assignable both ways to engine/extensions/types.ts (checked by tsc in `npm test`), and the file
// declares every name the module templates import.
/// <reference path="../../../renderer/src/lib/module-contract.d.ts" />
import fs from 'node:fs';
import path from 'node:path';
import type * as Declared from 'ts-engine';
import { describe, expect, it } from 'vitest';
import type * as Engine from '../../../engine/extensions/types.js';
import type { FieldType, Value } from '../../../engine/core/types.js';
import { analysisModuleText, extensionModuleText } from '../../../main/api/templates.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same: [
  Same<Declared.FieldType, FieldType>,
  Same<Declared.Value, Value>,
  Same<Declared.TransformFunction, Engine.TransformFunction>,
  Same<Declared.AggregateFunction, Engine.AggregateFunction>,
  Same<Declared.HistoryPoint, Engine.HistoryPoint>,
  Same<Declared.HistoryAccessor, Engine.HistoryAccessor>,
  Same<Declared.AlertMessage, Engine.AlertMessage>,
  Same<Declared.AlertSender, Engine.AlertSender>,
  Same<Declared.UserAnalysis, Engine.UserAnalysis>,
  Same<Declared.ExtensionModule, Engine.ExtensionModule>,
] = [true, true, true, true, true, true, true, true, true, true];

const text = fs.readFileSync(path.resolve(import.meta.dirname, '../../../renderer/src/lib/module-contract.d.ts'), 'utf8');

describe('module contract declarations', () => {
  it('match the engine types (compile time) and declare what the templates import', () => {
    expect(same.every(Boolean)).toBe(true);
    for (const t of [analysisModuleText('a.ts'), extensionModuleText('e.ts')]) {
      const names = /import type \{([^}]*)\} from 'ts-engine'/
        .exec(t)![1]!
        .split(',')
        .map((s) => s.trim());
      for (const n of names) expect(text).toMatch(new RegExp(`export (type|interface) ${n}\\b`));
    }
  });
});
