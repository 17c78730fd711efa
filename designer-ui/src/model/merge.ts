// Three-way merge of two edits of one draft (the conflict dialog's "merge"): what only one side
// changed is taken; lists of things with ids (forms, fields' owners, nodes, roles, checks) are
// merged item by item; where both sides changed the same value differently, the local edit wins
// and the place is reported, so the analyst can look at it.

import { same } from './diff';

export interface MergeResult<T> {
  value: T;
  /** JSON pointers where both sides changed the same thing (the local change was kept). */
  conflicts: string[];
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => !!v && typeof v === 'object' && !Array.isArray(v);
const hasIds = (v: Json): v is Array<{ id: string }> =>
  Array.isArray(v) && v.every((x) => isObject(x) && typeof x.id === 'string');

function mergeValue(base: Json, mine: Json, theirs: Json, at: string, conflicts: string[]): Json {
  if (same(mine, theirs)) return mine;
  if (same(base, mine)) return theirs;
  if (same(base, theirs)) return mine;
  if (isObject(mine) && isObject(theirs)) {
    const b = isObject(base) ? base : {};
    const out: Record<string, Json> = {};
    const keys = [...Object.keys(theirs), ...Object.keys(mine).filter((k) => !(k in theirs))];
    for (const k of keys) {
      const inMine = k in mine;
      const inTheirs = k in theirs;
      const inBase = k in b;
      let v: Json;
      if (inMine && inTheirs) v = mergeValue(b[k], mine[k], theirs[k], `${at}/${k}`, conflicts);
      else if (inMine) v = inBase && same(b[k], mine[k]) ? undefined : mine[k]; // they removed it
      else v = inBase && same(b[k], theirs[k]) ? undefined : theirs[k]; // I removed it
      if (v === undefined && ((inMine && !inTheirs && !same(b[k], mine[k])) || (inTheirs && !inMine && !same(b[k], theirs[k])))) {
        conflicts.push(`${at}/${k}`);
      }
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (hasIds(mine) && hasIds(theirs) && (base === undefined || hasIds(base))) {
    const b = new Map((base ?? []).map((x) => [x.id, x]));
    const m = new Map(mine.map((x) => [x.id, x]));
    const t = new Map(theirs.map((x) => [x.id, x]));
    const ids = [...theirs.map((x) => x.id), ...mine.map((x) => x.id).filter((id) => !t.has(id))];
    const out: Json[] = [];
    for (const id of ids) {
      const inBase = b.has(id);
      if (m.has(id) && t.has(id)) out.push(mergeValue(b.get(id), m.get(id), t.get(id), `${at}/${id}`, conflicts));
      else if (m.has(id)) {
        // Only mine has it: new on my side, or they removed it.
        if (!inBase) out.push(m.get(id));
        else if (!same(b.get(id), m.get(id))) { out.push(m.get(id)); conflicts.push(`${at}/${id}`); }
      } else if (!inBase) out.push(t.get(id));
      else if (!same(b.get(id), t.get(id))) { out.push(t.get(id)); conflicts.push(`${at}/${id}`); }
    }
    return out;
  }
  conflicts.push(at || '/');
  return mine;
}

/** Merges `mine` and `theirs`, both edited from `base`. */
export function merge3<T>(base: T, mine: T, theirs: T): MergeResult<T> {
  const conflicts: string[] = [];
  const value = mergeValue(base, mine, theirs, '', conflicts) as T;
  return { value, conflicts };
}
