// Choices of a select / radio / multi-select field: stored values in order (the schema's
// `enum`) and their labels in zh-CN and English (`ui.options`).

import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Flex, Input, Typography } from 'antd';
import { useT } from '../i18n/lang';
import type { FieldUiDef, JsonSchema, Text } from '../model/package';

export interface OptionRow {
  value: string;
  label: Text;
}

export function readOptions(schema: JsonSchema, ui: FieldUiDef | undefined): OptionRow[] {
  const values = ((schema.items?.enum ?? schema.enum) as unknown[] | undefined) ?? [];
  return values.map((v) => ({ value: String(v), label: ui?.options?.[String(v)] ?? { 'zh-CN': String(v) } }));
}

/** Writes `rows` into a field's schema (`enum`, or `items.enum` for an array) and UI options. */
export function writeOptions(schema: JsonSchema, ui: FieldUiDef, rows: OptionRow[]): void {
  const values = rows.map((r) => r.value);
  if (schema.type === 'array') {
    schema.items ??= { type: 'string' };
    schema.items.enum = values;
  } else schema.enum = values;
  ui.options = Object.fromEntries(rows.map((r) => [r.value, r.label]));
}

export function OptionsEditor({ rows, onChange }: { rows: OptionRow[]; onChange: (rows: OptionRow[], coalesce?: string) => void }) {
  const t = useT();
  const set = (i: number, row: OptionRow, coalesce: string) => onChange(rows.map((r, j) => (j === i ? row : r)), coalesce);
  const move = (i: number, d: -1 | 1) => {
    const next = [...rows];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    onChange(next);
  };
  const dup = (v: string) => rows.filter((r) => r.value === v).length > 1;
  return (
    <div className="options-editor">
      <div className="options-head small muted">
        <span>{t('显示名称（中文 / 英文）', 'Label (Chinese / English)')}</span>
        <span>{t('存储值', 'Stored value')}</span>
      </div>
      {rows.map((r, i) => (
        <Flex key={i} gap={4} align="center" className="option-row">
          <Input
            size="small"
            aria-label={t(`选项 ${i + 1} 中文名称`, `Option ${i + 1} Chinese label`)}
            value={r.label['zh-CN']}
            onChange={(e) => {
              const zh = e.target.value;
              // A value still equal to the old label follows it, as 宜搭 does for new options.
              const follows = r.value === r.label['zh-CN'];
              // The placeholder English ("Option 1") stops fitting once a real name is written.
              const label: OptionRow['label'] = /^Option \d+$/.test(r.label.en ?? '') ? { 'zh-CN': zh } : { ...r.label, 'zh-CN': zh };
              set(i, { value: follows ? zh : r.value, label }, `opt-zh-${i}`);
            }}
          />
          <Input size="small" aria-label={t(`选项 ${i + 1} 英文名称`, `Option ${i + 1} English label`)} value={r.label.en ?? ''} placeholder="EN"
            onChange={(e) => set(i, { ...r, label: e.target.value ? { ...r.label, en: e.target.value } : { 'zh-CN': r.label['zh-CN'] } }, `opt-en-${i}`)} />
          <Input size="small" className="mono" aria-label={t(`选项 ${i + 1} 存储值`, `Option ${i + 1} stored value`)} value={r.value}
            status={!r.value || dup(r.value) ? 'error' : undefined} onChange={(e) => set(i, { ...r, value: e.target.value }, `opt-v-${i}`)} />
          <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(i, -1)} aria-label={t('上移', 'Move up')} />
          <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={i === rows.length - 1} onClick={() => move(i, 1)} aria-label={t('下移', 'Move down')} />
          <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => onChange(rows.filter((_, j) => j !== i))} aria-label={t('删除选项', 'Remove option')} />
        </Flex>
      ))}
      {rows.some((r) => !r.value || dup(r.value)) && <Typography.Text type="danger" className="small">{t('存储值不能为空或重复', 'Stored values must be present and different')}</Typography.Text>}
      <Button
        size="small"
        type="dashed"
        icon={<PlusOutlined />}
        onClick={() => {
          let n = rows.length + 1;
          while (rows.some((r) => r.value === t(`选项${n}`, `Option ${n}`))) n++;
          const label = t(`选项${n}`, `Option ${n}`);
          onChange([...rows, { value: label, label: { 'zh-CN': label } }]);
        }}
      >
        {t('添加选项', 'Add option')}
      </Button>
    </div>
  );
}
