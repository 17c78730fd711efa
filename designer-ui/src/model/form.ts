// Edits of a form, written as plain mutations of a draft (the editor store runs them inside
// immer's `produce`, so every edit yields a new immutable snapshot). The rules that keep a
// form consistent live here: a field is in the schema, the UI map and the order (and in
// exactly one section when the form has sections); a sub-table's columns likewise.

import { FILE_REF_SCHEMA, type FieldKind, kindOf, kindSpec } from './fieldKinds';
import { keyFromLabel } from './keys';
import type { AppPackage, FieldUiDef, FormDef, JsonSchema, SectionDef, Text } from './package';

export const props = (form: FormDef): Record<string, JsonSchema> => {
  form.schema.properties ??= {};
  return form.schema.properties;
};

export const uiFields = (form: FormDef): Record<string, FieldUiDef> => {
  form.ui ??= {};
  form.ui.fields ??= {};
  return form.ui.fields;
};

/** Field keys in display order: `ui.sections` when present, else `ui.order`, then any field not placed. */
export function fieldOrder(form: FormDef): string[] {
  const keys = Object.keys(form.schema.properties ?? {});
  const placed = form.ui?.sections?.length ? form.ui.sections.flatMap((s) => s.fields) : (form.ui?.order ?? []);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const k of [...placed, ...keys]) {
    if (keys.includes(k) && !seen.has(k)) {
      seen.add(k);
      out.push(k);
    }
  }
  return out;
}

/** Column keys of a sub-table in display order. */
export function columnOrder(form: FormDef, key: string): string[] {
  const cols = Object.keys(form.schema.properties?.[key]?.items?.properties ?? {});
  const placed = form.ui?.fields?.[key]?.order ?? [];
  return [...placed.filter((c) => cols.includes(c)), ...cols.filter((c) => !placed.includes(c))];
}

/** Keeps `ui.order` equal to the sections' fields in turn, so the runtime (which reads `order`) agrees. */
export function syncOrder(form: FormDef): void {
  form.ui ??= {};
  if (form.ui.sections?.length) {
    const keys = new Set(Object.keys(props(form)));
    for (const s of form.ui.sections) s.fields = s.fields.filter((k) => keys.has(k));
    const placed = new Set(form.ui.sections.flatMap((s) => s.fields));
    const loose = [...keys].filter((k) => !placed.has(k));
    if (loose.length) form.ui.sections[0].fields.push(...loose);
  }
  form.ui.order = fieldOrder(form);
}

function requiredList(schema: JsonSchema): string[] {
  schema.required ??= [];
  return schema.required;
}

export interface Placement {
  section?: string;
  index?: number;
}

/** Adds a field of `kind` labelled `label`; returns its generated key. */
export function addField(form: FormDef, kind: FieldKind, label: Text, at: Placement = {}): string {
  const spec = kindSpec(kind);
  if (!spec) throw new Error(`unknown kind ${kind}`);
  const key = keyFromLabel(label.en && !/[\u3400-\u9fff]/.test(label['zh-CN']) ? label.en : label['zh-CN'], Object.keys(props(form)));
  const { schema, ui } = spec.make();
  props(form)[key] = schema;
  uiFields(form)[key] = { label, ...ui };
  if (kind === 'attachments') {
    form.schema.$defs ??= {};
    form.schema.$defs.file_ref ??= structuredClone(FILE_REF_SCHEMA);
  }
  const order = fieldOrder(form).filter((k) => k !== key);
  const sections = form.ui?.sections;
  if (sections?.length) {
    const target = sections.find((s) => s.id === at.section) ?? sections[sections.length - 1];
    const idx = at.index ?? target.fields.length;
    target.fields.splice(Math.max(0, Math.min(idx, target.fields.length)), 0, key);
  } else {
    order.splice(Math.max(0, Math.min(at.index ?? order.length, order.length)), 0, key);
    form.ui!.order = order;
  }
  syncOrder(form);
  return key;
}

/** Adds a column to sub-table `key`; returns the column key. */
export function addColumn(form: FormDef, key: string, kind: FieldKind, label: Text, index?: number): string {
  const spec = kindSpec(kind);
  const table = props(form)[key];
  if (!spec || !spec.inRow || !table?.items) throw new Error(`cannot add ${kind} to ${key}`);
  table.items.properties ??= {};
  const col = keyFromLabel(label['zh-CN'], Object.keys(table.items.properties));
  const { schema, ui } = spec.make();
  table.items.properties[col] = schema;
  const tableUi = (uiFields(form)[key] ??= { label: { 'zh-CN': key }, widget: 'subtable' });
  tableUi.fields ??= {};
  tableUi.fields[col] = { label, ...ui };
  const order = columnOrder(form, key).filter((c) => c !== col);
  order.splice(index ?? order.length, 0, col);
  tableUi.order = order;
  return col;
}

export function removeColumn(form: FormDef, key: string, col: string): void {
  const items = props(form)[key]?.items;
  if (!items) return;
  delete items.properties?.[col];
  if (items.required) items.required = items.required.filter((c) => c !== col);
  const tableUi = form.ui?.fields?.[key];
  if (tableUi) {
    delete tableUi.fields?.[col];
    tableUi.order = (tableUi.order ?? []).filter((c) => c !== col);
  }
}

export function moveColumn(form: FormDef, key: string, from: number, to: number): void {
  const order = columnOrder(form, key);
  const [col] = order.splice(from, 1);
  if (col === undefined) return;
  order.splice(to, 0, col);
  uiFields(form)[key].order = order;
}

/** Removes a field from the form and from every node's field grid of processes on this form. */
export function removeField(pkg: AppPackage, formId: string, key: string): void {
  const form = pkg.forms?.find((f) => f.id === formId);
  if (!form) return;
  delete props(form)[key];
  form.schema.required = requiredList(form.schema).filter((k) => k !== key);
  delete form.ui?.fields?.[key];
  if (form.ui?.sections) for (const s of form.ui.sections) s.fields = s.fields.filter((k) => k !== key);
  syncOrder(form);
  if (form.permissions?.fields) {
    delete form.permissions.fields[key];
    if (!Object.keys(form.permissions.fields).length) delete form.permissions.fields;
  }
  if (form.after_approval?.editable) {
    delete form.after_approval.editable[key];
    if (!Object.keys(form.after_approval.editable).length) delete form.after_approval.editable;
    if (!form.after_approval.editable && (form.after_approval.changes ?? 'locked') === 'locked') delete form.after_approval;
  }
  for (const p of pkg.processes ?? []) {
    if (p.form !== formId) continue;
    for (const n of p.nodes) if ('fields' in n && n.fields) delete n.fields[key];
    if (p.inbox_columns) {
      p.inbox_columns = p.inbox_columns.filter((k) => k !== key);
      if (!p.inbox_columns.length) delete p.inbox_columns;
    }
  }
}

/** Moves `key` to `index` of `section` (or of the flat order). */
export function moveField(form: FormDef, key: string, to: Placement): void {
  const sections = form.ui?.sections;
  if (sections?.length) {
    for (const s of sections) s.fields = s.fields.filter((k) => k !== key);
    const target = sections.find((s) => s.id === to.section) ?? sections[0];
    target.fields.splice(Math.min(to.index ?? target.fields.length, target.fields.length), 0, key);
  } else {
    const order = fieldOrder(form).filter((k) => k !== key);
    order.splice(Math.min(to.index ?? order.length, order.length), 0, key);
    form.ui!.order = order;
  }
  syncOrder(form);
}

/** Renames a field key in the schema, the UI, the order, checks' paths, field permissions,
 *  after-approval settings, node field grids and inbox columns. */
export function renameField(pkg: AppPackage, formId: string, from: string, to: string): void {
  const form = pkg.forms?.find((f) => f.id === formId);
  if (!form || from === to || props(form)[to]) return;
  const rename = <V,>(obj: Record<string, V> | undefined) => {
    if (!obj || !(from in obj)) return obj;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k === from ? to : k, v]));
  };
  form.schema.properties = rename(form.schema.properties);
  form.schema.required = form.schema.required?.map((k) => (k === from ? to : k));
  form.ui ??= {};
  form.ui.fields = rename(form.ui.fields);
  form.ui.order = form.ui.order?.map((k) => (k === from ? to : k));
  for (const s of form.ui.sections ?? []) s.fields = s.fields.map((k) => (k === from ? to : k));
  for (const c of form.checks ?? []) if (c.path === `/${from}`) c.path = `/${to}`;
  if (form.permissions?.fields) form.permissions.fields = rename(form.permissions.fields);
  if (form.after_approval?.editable) form.after_approval.editable = rename(form.after_approval.editable);
  for (const p of pkg.processes ?? []) {
    if (p.form !== formId) continue;
    for (const n of p.nodes) if ('fields' in n && n.fields) n.fields = rename(n.fields);
    if (p.inbox_columns) p.inbox_columns = p.inbox_columns.map((k) => (k === from ? to : k));
  }
}

export function isRequired(form: FormDef, key: string): boolean {
  return form.schema.required?.includes(key) ?? false;
}

export function setRequired(form: FormDef, key: string, on: boolean): void {
  const list = requiredList(form.schema).filter((k) => k !== key);
  if (on) list.push(key);
  form.schema.required = list;
}

/** Sets (or with undefined removes) one keyword of a field's schema. */
export function setSchemaKeyword(schema: JsonSchema, keyword: string, value: unknown): void {
  if (value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value))) delete schema[keyword];
  else schema[keyword] = value;
}

/** The kind of field `key` (or of column `col` of sub-table `key`). */
export function fieldKind(form: FormDef, key: string, col?: string): FieldKind {
  if (col) {
    const s = form.schema.properties?.[key]?.items?.properties?.[col] ?? {};
    return kindOf(s, form.ui?.fields?.[key]?.fields?.[col]?.widget);
  }
  return kindOf(form.schema.properties?.[key] ?? {}, form.ui?.fields?.[key]?.widget);
}

/** Adds a titled section; the first section created gathers every field already on the form. */
export function addSection(form: FormDef, title: Text, id: string): void {
  form.ui ??= {};
  if (!form.ui.sections?.length) {
    form.ui.sections = [{ id: 'basic', title: { 'zh-CN': '基本信息', en: 'Basics' }, columns: 1, fields: fieldOrder(form) }];
  }
  const ids = new Set(form.ui.sections.map((s) => s.id));
  let sid = id;
  for (let n = 2; ids.has(sid); n++) sid = `${id}_${n}`;
  form.ui.sections.push({ id: sid, title, columns: 1, fields: [] });
  syncOrder(form);
}

/** Removes a section; its fields move to the section before it (or after, for the first). */
export function removeSection(form: FormDef, id: string): void {
  const sections = form.ui?.sections;
  if (!sections) return;
  const i = sections.findIndex((s) => s.id === id);
  if (i < 0) return;
  const [gone] = sections.splice(i, 1);
  if (sections.length) sections[Math.max(0, i - 1)].fields.push(...gone.fields);
  else delete form.ui!.sections;
  syncOrder(form);
}

export function section(form: FormDef, id: string): SectionDef | undefined {
  return form.ui?.sections?.find((s) => s.id === id);
}

/** A new empty form. */
export function blankForm(id: string, name: Text): FormDef {
  return {
    id,
    name,
    schema: { type: 'object', additionalProperties: false, properties: {}, required: [] },
    ui: { order: [], fields: {} },
    checks: [],
    permissions: { create: ['*'], read_own: ['*'] },
  };
}

/** A deep copy that also works on immer drafts (structuredClone cannot copy a draft proxy). */
const copyOf = <V,>(v: V): V => JSON.parse(JSON.stringify(v)) as V;

/** Copies field `key` right after itself; returns the copy's key. */
export function duplicateField(form: FormDef, key: string): string {
  const copy = keyFromLabel(`${key}_copy`, Object.keys(props(form)));
  props(form)[copy] = copyOf(props(form)[key]);
  const ui = form.ui?.fields?.[key];
  if (ui) uiFields(form)[copy] = { ...copyOf(ui), label: { ...copyOf(ui.label), 'zh-CN': `${ui.label['zh-CN']} 副本` } };
  const sections = form.ui?.sections;
  if (sections?.length) {
    for (const s of sections) {
      const i = s.fields.indexOf(key);
      if (i >= 0) s.fields.splice(i + 1, 0, copy);
    }
  } else {
    const order = fieldOrder(form).filter((k) => k !== copy);
    order.splice(order.indexOf(key) + 1, 0, copy);
    form.ui!.order = order;
  }
  syncOrder(form);
  return copy;
}

/** Renames column `from` of sub-table `key` (schema, required, UI and column order). */
export function renameColumn(form: FormDef, key: string, from: string, to: string): void {
  const items = props(form)[key]?.items;
  if (!items?.properties || from === to || items.properties[to]) return;
  items.properties = Object.fromEntries(Object.entries(items.properties).map(([k, v]) => [k === from ? to : k, v]));
  items.required = items.required?.map((k) => (k === from ? to : k));
  const tableUi = form.ui?.fields?.[key];
  if (tableUi?.fields) tableUi.fields = Object.fromEntries(Object.entries(tableUi.fields).map(([k, v]) => [k === from ? to : k, v]));
  if (tableUi?.order) tableUi.order = tableUi.order.map((k) => (k === from ? to : k));
}
