import type { AppPackage, ProcessDef } from '../model/package';
import { useEditor } from '../state/editor';

/** One undoable edit of process `id` (typing with the same `coalesce` key is one step). */
export const editProcess = (id: string, fn: (p: ProcessDef, d: AppPackage) => void, coalesce?: string) =>
  useEditor.getState().edit((d) => {
    const p = d.processes?.find((x) => x.id === id);
    if (p) fn(p, d);
  }, coalesce ? `process:${id}:${coalesce}` : undefined);
