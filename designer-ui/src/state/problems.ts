// Problems the server reported, indexed by what they are about, so views can pin them.

import { useMemo } from 'react';
import type { FieldError } from '../api/client';
import { targetOf } from '../model/problems';
import { useEditor } from './editor';

export type ProblemIndex = Map<string, FieldError[]>;

/** Keys: `form:{form}`, `field:{form}:{key}`, `column:{form}:{key}:{col}`, `process:{p}`, `node:{p}:{id}`, `edge:{p}:{i}`, `role:{i}`, `app`. */
export function useProblemIndex(): ProblemIndex {
  const problems = useEditor((s) => s.problems);
  const pkg = useEditor((s) => s.present);
  return useMemo(() => {
    const index: ProblemIndex = new Map();
    const add = (k: string, p: FieldError) => index.set(k, [...(index.get(k) ?? []), p]);
    if (!pkg) return index;
    for (const p of problems) {
      const target = targetOf(p.path, pkg);
      if (target.type === 'form') {
        add(`form:${target.form}`, p);
        if (target.key) add(`field:${target.form}:${target.key}`, p);
        if (target.key && target.column) add(`column:${target.form}:${target.key}:${target.column}`, p);
      } else if (target.type === 'process') {
        add(`process:${target.process}`, p);
        if (target.node) add(`node:${target.process}:${target.node}`, p);
        if (target.edge !== undefined) add(`edge:${target.process}:${target.edge}`, p);
      } else if (target.type === 'role') add(`role:${target.index}`, p);
      else add('app', p);
    }
    return index;
  }, [problems, pkg]);
}
