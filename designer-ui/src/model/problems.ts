// Where a validation problem points: its JSON pointer into the package (as the server reports
// it) read as the form field, section, node, edge or role it is about, so the problem can be
// pinned there and clicking it can select that thing.

import type { AppPackage } from './package';

export type Target =
  | { type: 'app' }
  | { type: 'form'; form: string; key?: string; column?: string }
  | { type: 'process'; process: string; node?: string; edge?: number }
  | { type: 'role'; index: number };

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

export function targetOf(pointer: string, pkg: AppPackage): Target {
  const parts = pointer.split('/').slice(1).map(unescape);
  const index = Number(parts[1]);
  if (parts[0] === 'roles' && Number.isInteger(index)) return { type: 'role', index };
  if (parts[0] === 'forms' && Number.isInteger(index)) {
    const form = pkg.forms?.[index];
    if (!form) return { type: 'app' };
    const [, , area, a, b, c, d] = parts;
    if (area === 'schema' && a === 'properties' && b) {
      return { type: 'form', form: form.id, key: b, column: c === 'items' && d === 'properties' ? parts[7] : undefined };
    }
    if (area === 'schema' && a === 'required' && b !== undefined) return { type: 'form', form: form.id, key: form.schema.required?.[Number(b)] };
    if (area === 'ui' && a === 'fields' && b) return { type: 'form', form: form.id, key: b, column: c === 'fields' ? d : undefined };
    if (area === 'ui' && a === 'order' && b !== undefined) return { type: 'form', form: form.id, key: form.ui?.order?.[Number(b)] };
    if (area === 'checks' && a !== undefined) {
      const path = form.checks?.[Number(a)]?.path;
      return { type: 'form', form: form.id, key: path ? unescape(path.split('/')[1] ?? '') : undefined };
    }
    return { type: 'form', form: form.id };
  }
  if (parts[0] === 'processes' && Number.isInteger(index)) {
    const proc = pkg.processes?.[index];
    if (!proc) return { type: 'app' };
    const [, , area, a] = parts;
    const i = Number(a);
    if (area === 'nodes' && Number.isInteger(i)) return { type: 'process', process: proc.id, node: proc.nodes[i]?.id };
    if (area === 'edges' && Number.isInteger(i)) return { type: 'process', process: proc.id, edge: i };
    return { type: 'process', process: proc.id };
  }
  return { type: 'app' };
}
