// Who may see and change what beyond the record-level grid: per-role field permissions
// (`permissions.fields`), what stays editable after approval (`after_approval`) and a process's
// inbox columns. Pure edits on the package's objects, so the editors stay thin and the round
// trips are tested without a browser.

import { OWNER, type AfterApprovalDef, type FieldPermissionDef, type FormDef, type ProcessDef } from './package';

/** What one role may do with one field. */
export type FieldRoleAccess = 'write' | 'read' | 'hidden';

/** Whether the field has permissions of its own (otherwise it follows the record's). */
export function hasOwnPermissions(form: FormDef, key: string): boolean {
  return form.permissions?.fields?.[key] !== undefined;
}

/** What `role` may do with field `key`: not listed under `read` → hidden; under `read` but not
 *  `write` → read-only; a missing list means everyone who may read / edit the record. */
export function fieldRoleAccess(form: FormDef, key: string, role: string): FieldRoleAccess {
  const p = form.permissions?.fields?.[key];
  if (p?.read && !p.read.includes(role)) return 'hidden';
  if (p?.write && !p.write.includes(role)) return 'read';
  return 'write';
}

/** A list naming every role says no more than no list at all; the field's entry itself stays
 *  (the editor keeps showing its grid) until the analyst switches it off. */
function tidy(p: FieldPermissionDef, allRoles: string[]) {
  const everyone = (l?: string[]) => l !== undefined && allRoles.every((r) => l.includes(r));
  if (everyone(p.read)) delete p.read;
  if (everyone(p.write)) delete p.write;
}

/** Gives field `key` permissions of its own, every role editable to start with. */
export function ownFieldPermissions(form: FormDef, key: string): void {
  form.permissions ??= {};
  (form.permissions.fields ??= {})[key] ??= {};
}

/** Sets what `role` may do with field `key`; lists are written out from `allRoles` when a role
 *  is the first to be restricted, and dropped again once they name every role. */
export function setFieldRoleAccess(form: FormDef, key: string, role: string, access: FieldRoleAccess, allRoles: string[]): void {
  form.permissions ??= {};
  const fields = (form.permissions.fields ??= {});
  const p: FieldPermissionDef = (fields[key] ??= {});
  const read = new Set(p.read ?? allRoles);
  const write = new Set(p.write ?? allRoles);
  if (access === 'hidden') {
    read.delete(role);
    write.delete(role);
  } else if (access === 'read') {
    read.add(role);
    write.delete(role);
  } else {
    read.add(role);
    write.add(role);
  }
  const order = (s: Set<string>) => [...allRoles.filter((r) => s.has(r)), ...[...s].filter((r) => !allRoles.includes(r))];
  p.read = order(read);
  p.write = order(write);
  tidy(p, allRoles);
}

/** Back to the record's permissions for field `key`. */
export function clearFieldPermissions(form: FormDef, key: string): void {
  const fields = form.permissions?.fields;
  if (!fields) return;
  delete fields[key];
  if (!Object.keys(fields).length) delete form.permissions!.fields;
}

/** Fields with permissions of their own, in the form's field order. */
export function restrictedFields(form: FormDef, order: string[]): string[] {
  const fields = form.permissions?.fields ?? {};
  return order.filter((k) => fields[k] !== undefined);
}

function tidyAfter(form: FormDef) {
  const a = form.after_approval;
  if (!a) return;
  if (a.editable && !Object.keys(a.editable).length) delete a.editable;
  if (!a.editable && (a.changes ?? 'locked') === 'locked') delete form.after_approval;
}

/** Keeps field `key` editable after approval for `who` (`owner` and role ids); an empty `who`
 *  locks it again. */
export function setEditableAfterApproval(form: FormDef, key: string, who: string[]): void {
  const a: AfterApprovalDef = (form.after_approval ??= {});
  a.editable ??= {};
  if (who.length) a.editable[key] = who;
  else delete a.editable[key];
  tidyAfter(form);
}

/** Adds fields that stay editable (by the owner, the usual case) and removes the others. */
export function setEditableFields(form: FormDef, keys: string[]): void {
  const current = form.after_approval?.editable ?? {};
  const next = Object.fromEntries(keys.map((k) => [k, current[k] ?? [OWNER]]));
  form.after_approval ??= {};
  form.after_approval.editable = next;
  tidyAfter(form);
}

/** How the locked fields change once approved: not at all, or by a change request (变更). */
export function setChangePolicy(form: FormDef, changes: 'locked' | 'change_request'): void {
  form.after_approval ??= {};
  form.after_approval.changes = changes;
  tidyAfter(form);
}

/** The inbox columns of a process, limited to fields its form has (in the given order). */
export function setInboxColumns(proc: ProcessDef, keys: string[]): void {
  const unique = keys.filter((k, i) => keys.indexOf(k) === i);
  if (unique.length) proc.inbox_columns = unique;
  else delete proc.inbox_columns;
}

/** Moves inbox column `key` one place earlier (-1) or later (+1). */
export function moveInboxColumn(proc: ProcessDef, key: string, by: -1 | 1): void {
  const cols = proc.inbox_columns ?? [];
  const i = cols.indexOf(key);
  const j = i + by;
  if (i < 0 || j < 0 || j >= cols.length) return;
  [cols[i], cols[j]] = [cols[j], cols[i]];
}
