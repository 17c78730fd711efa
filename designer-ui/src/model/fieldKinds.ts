// The field kinds the runtime supports, mirrored from crates/formwork-forms/src/kind.rs (the
// table in formwork-forms/src/lib.rs): how each is written in the package (JSON Schema +
// widget + `x-formwork-kind`) and how an existing field's kind is read back (`kindOf`, the
// same order of evidence as `kind::infer`). Keep the two in step when a kind is added.

import type { FieldUiDef, JsonSchema, Text, Widget } from './package';

export type FieldKind =
  | 'text'
  | 'textarea'
  | 'rich_text'
  | 'integer'
  | 'decimal'
  | 'money'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'select'
  | 'multi_select'
  | 'radio'
  | 'checkbox'
  | 'mobile'
  | 'landline'
  | 'email'
  | 'url'
  | 'user'
  | 'department'
  | 'relation'
  | 'attachments'
  | 'sub_table'
  | 'auto_number'
  | 'json';

export const MOBILE_PATTERN = '^1[3-9]\\d{9}$';
export const LANDLINE_PATTERN = '^0\\d{2,3}-?\\d{7,8}$';
export const MONEY_PATTERN = '^-?\\d{1,13}(\\.\\d{1,2})?$';

/** The attachment reference every file field's items point to (as the sample package has it). */
export const FILE_REF_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string', minLength: 1, maxLength: 255 },
    content_type: { type: 'string', maxLength: 255 },
    size: { type: 'integer', minimum: 0 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
};

export type PaletteGroup = 'basic' | 'choice' | 'contact' | 'people' | 'advanced';

export interface KindSpec {
  kind: FieldKind;
  group: PaletteGroup;
  label: Text;
  /** The schema and UI a new field of this kind starts with. */
  make: () => { schema: JsonSchema; ui: Omit<FieldUiDef, 'label'> };
  /** Allowed inside a sub-table row. */
  inRow: boolean;
  /** Takes the full width of a two-column section. */
  wide?: boolean;
}

const opts = (): Record<string, Text> => ({
  选项1: { 'zh-CN': '选项1', en: 'Option 1' },
  选项2: { 'zh-CN': '选项2', en: 'Option 2' },
});

const t = (zh: string, en: string): Text => ({ 'zh-CN': zh, en });

/** Every kind an analyst can place, in palette order. `json` is read-only (imported packages). */
export const KINDS: KindSpec[] = [
  { kind: 'text', group: 'basic', label: t('单行文本', 'Text'), inRow: true,
    make: () => ({ schema: { type: 'string', maxLength: 200 }, ui: { widget: 'text' } }) },
  { kind: 'textarea', group: 'basic', label: t('多行文本', 'Paragraph'), inRow: true, wide: true,
    make: () => ({ schema: { type: 'string', maxLength: 5000 }, ui: { widget: 'textarea' } }) },
  { kind: 'rich_text', group: 'basic', label: t('富文本', 'Rich text'), inRow: false, wide: true,
    make: () => ({ schema: { type: 'string', contentMediaType: 'text/html', maxLength: 50000 }, ui: { widget: 'textarea' } }) },
  { kind: 'integer', group: 'basic', label: t('整数', 'Integer'), inRow: true,
    make: () => ({ schema: { type: 'integer' }, ui: { widget: 'number' } }) },
  { kind: 'decimal', group: 'basic', label: t('数字', 'Number'), inRow: true,
    make: () => ({ schema: { type: 'number' }, ui: { widget: 'number' } }) },
  { kind: 'money', group: 'basic', label: t('金额', 'Money'), inRow: true,
    make: () => ({ schema: { type: 'string', pattern: MONEY_PATTERN }, ui: { widget: 'money' } }) },
  { kind: 'percent', group: 'basic', label: t('百分比', 'Percent'), inRow: true,
    make: () => ({ schema: { type: 'number', 'x-formwork-kind': 'percent' }, ui: { widget: 'number' } }) },
  { kind: 'date', group: 'basic', label: t('日期', 'Date'), inRow: true,
    make: () => ({ schema: { type: 'string', format: 'date' }, ui: { widget: 'date' } }) },
  { kind: 'datetime', group: 'basic', label: t('日期时间', 'Date and time'), inRow: true,
    make: () => ({ schema: { type: 'string', format: 'date-time' }, ui: { widget: 'datetime' } }) },
  { kind: 'select', group: 'choice', label: t('下拉单选', 'Drop-down'), inRow: true,
    make: () => ({ schema: { type: 'string', enum: ['选项1', '选项2'] }, ui: { widget: 'select', options: opts() } }) },
  { kind: 'radio', group: 'choice', label: t('单选按钮', 'Radio buttons'), inRow: true,
    make: () => ({ schema: { type: 'string', enum: ['选项1', '选项2'] }, ui: { widget: 'radio', options: opts() } }) },
  { kind: 'multi_select', group: 'choice', label: t('多选', 'Multiple choice'), inRow: true,
    make: () => ({
      schema: { type: 'array', uniqueItems: true, items: { type: 'string', enum: ['选项1', '选项2'] } },
      ui: { widget: 'multiselect', options: opts() },
    }) },
  { kind: 'checkbox', group: 'choice', label: t('是/否', 'Yes / no'), inRow: true,
    make: () => ({ schema: { type: 'boolean' }, ui: { widget: 'checkbox' } }) },
  { kind: 'mobile', group: 'contact', label: t('手机号', 'Mobile'), inRow: true,
    make: () => ({ schema: { type: 'string', pattern: MOBILE_PATTERN }, ui: { widget: 'phone' } }) },
  { kind: 'landline', group: 'contact', label: t('固定电话', 'Landline'), inRow: true,
    make: () => ({ schema: { type: 'string', 'x-formwork-kind': 'landline' }, ui: { widget: 'phone' } }) },
  { kind: 'email', group: 'contact', label: t('邮箱', 'E-mail'), inRow: true,
    make: () => ({ schema: { type: 'string', format: 'email', maxLength: 254 }, ui: { widget: 'email' } }) },
  { kind: 'url', group: 'contact', label: t('网址', 'Web address'), inRow: true,
    make: () => ({ schema: { type: 'string', format: 'uri', 'x-formwork-kind': 'url', maxLength: 2000 }, ui: { widget: 'text' } }) },
  { kind: 'user', group: 'people', label: t('成员', 'Person'), inRow: true,
    make: () => ({ schema: { type: 'string', maxLength: 128 }, ui: { widget: 'user' } }) },
  { kind: 'department', group: 'people', label: t('部门', 'Department'), inRow: true,
    make: () => ({ schema: { type: 'string', maxLength: 128 }, ui: { widget: 'department' } }) },
  { kind: 'relation', group: 'advanced', label: t('关联记录', 'Related record'), inRow: false,
    make: () => ({ schema: { type: 'string', 'x-formwork-kind': 'relation', 'x-formwork-form': '' }, ui: { widget: 'select' } }) },
  { kind: 'attachments', group: 'advanced', label: t('附件', 'Attachments'), inRow: false, wide: true,
    make: () => ({ schema: { type: 'array', maxItems: 20, items: { $ref: '#/$defs/file_ref' } }, ui: { widget: 'file' } }) },
  { kind: 'sub_table', group: 'advanced', label: t('子表单', 'Sub-table'), inRow: false, wide: true,
    make: () => ({
      schema: { type: 'array', maxItems: 200, items: { type: 'object', additionalProperties: false, properties: {}, required: [] } },
      ui: { widget: 'subtable', fields: {}, order: [] },
    }) },
  { kind: 'auto_number', group: 'advanced', label: t('流水号', 'Auto number'), inRow: false,
    make: () => ({ schema: { type: 'string', 'x-formwork-kind': 'auto_number' }, ui: { widget: 'text' } }) },
];

export const GROUP_LABELS: Record<PaletteGroup, Text> = {
  basic: t('基础字段', 'Basic'),
  choice: t('选择', 'Choices'),
  contact: t('联系方式', 'Contact'),
  people: t('人员与部门', 'People'),
  advanced: t('高级字段', 'Advanced'),
};

export function kindSpec(kind: FieldKind): KindSpec | undefined {
  return KINDS.find((k) => k.kind === kind);
}

function primaryType(schema: JsonSchema): string | undefined {
  const ty = schema.type;
  if (typeof ty === 'string') return ty;
  if (Array.isArray(ty)) return ty.find((x) => x !== 'null');
  return undefined;
}

/** The kind of an existing field, read as the runtime reads it (`kind::infer`). */
export function kindOf(schema: JsonSchema, widget?: Widget): FieldKind {
  const named = schema['x-formwork-kind'];
  if (typeof named === 'string') return (named === 'json' || KINDS.some((k) => k.kind === named) ? named : 'json') as FieldKind;
  const array = primaryType(schema) === 'array';
  const html = schema.contentMediaType === 'text/html';
  switch (widget) {
    case 'money': return 'money';
    case 'subtable': return 'sub_table';
    case 'file': return 'attachments';
    case 'user': return 'user';
    case 'department': return 'department';
    case 'phone': return 'mobile';
    case 'email': return 'email';
    case 'date': return 'date';
    case 'datetime': return 'datetime';
    case 'multiselect': return 'multi_select';
    case 'select': return array ? 'multi_select' : 'select';
    case 'radio': return array ? 'multi_select' : 'radio';
    case 'checkbox':
    case 'switch': return array ? 'multi_select' : 'checkbox';
    case 'number': return primaryType(schema) === 'integer' ? 'integer' : 'decimal';
    case 'textarea': return html ? 'rich_text' : 'textarea';
    default: return fromSchema(schema, html);
  }
}

function fromSchema(schema: JsonSchema, html: boolean): FieldKind {
  switch (primaryType(schema)) {
    case 'boolean': return 'checkbox';
    case 'integer': return 'integer';
    case 'number': return 'decimal';
    case 'array': {
      const items = schema.items ?? {};
      if (items.properties || primaryType(items) === 'object') return 'sub_table';
      return items.enum ? 'multi_select' : 'json';
    }
    case 'object': return 'json';
  }
  const format = schema.format;
  if (format === 'date') return 'date';
  if (format === 'date-time') return 'datetime';
  if (format === 'email') return 'email';
  if (format === 'uri' || format === 'url') return 'url';
  if (html) return 'rich_text';
  if (schema.enum) return 'select';
  return 'text';
}

/** How rule values of a kind are written in expressions. */
export function valueType(kind: FieldKind): 'number' | 'boolean' | 'list' | 'string' {
  switch (kind) {
    case 'integer':
    case 'decimal':
    case 'money':
    case 'percent':
      return 'number';
    case 'checkbox':
      return 'boolean';
    case 'multi_select':
      return 'list';
    default:
      return 'string';
  }
}

export const hasOptions = (kind: FieldKind) => kind === 'select' || kind === 'radio' || kind === 'multi_select';
export const isNumeric = (kind: FieldKind) => valueType(kind) === 'number';
export const isTextual = (kind: FieldKind) =>
  ['text', 'textarea', 'rich_text', 'mobile', 'landline', 'email', 'url'].includes(kind);
