import type { FieldRef } from '../rules/ConditionBuilder';
import { columnOrder, fieldKind, fieldOrder } from '../model/form';
import type { FormDef, JsonSchema, Text } from '../model/package';

function optionsOf(schema: JsonSchema | undefined, labels: Record<string, Text> | undefined) {
  const values = (schema?.enum ?? schema?.items?.enum) as unknown[] | undefined;
  if (!values) return undefined;
  return values.map((v) => ({ value: String(v), label: labels?.[String(v)] ?? { 'zh-CN': String(v) } }));
}

/** The fields an expression on `form` can read (a sub-table's row fields too, inside `table`). */
export function fieldRefs(form: FormDef | undefined, table?: string): FieldRef[] {
  if (!form) return [];
  const refs: FieldRef[] = fieldOrder(form)
    .map((key) => ({
      key,
      label: form.ui?.fields?.[key]?.label ?? { 'zh-CN': key },
      kind: fieldKind(form, key),
      options: optionsOf(form.schema.properties?.[key], form.ui?.fields?.[key]?.options),
    }))
    .filter((f) => f.kind !== 'sub_table' && f.kind !== 'attachments' && f.kind !== 'json');
  if (table) {
    for (const col of columnOrder(form, table)) {
      refs.unshift({
        key: col,
        label: form.ui?.fields?.[table]?.fields?.[col]?.label ?? { 'zh-CN': col },
        kind: fieldKind(form, table, col),
        options: optionsOf(form.schema.properties?.[table]?.items?.properties?.[col], form.ui?.fields?.[table]?.fields?.[col]?.options),
      });
    }
  }
  return refs;
}
