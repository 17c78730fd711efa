// The form canvas: the form as a person will see it, section by section (one or two columns),
// each field a card that can be selected, dragged to reorder, copied or removed. Sub-tables show
// their columns, which reorder by dragging and take new columns from the palette.

import { useDroppable } from '@dnd-kit/core';
import { SortableContext, horizontalListSortingStrategy, rectSortingStrategy, useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { CopyOutlined, DeleteOutlined, ExclamationCircleFilled, HolderOutlined, LockOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Dropdown, Tag, Tooltip, Typography } from 'antd';
import type { KeyboardEvent, ReactNode } from 'react';
import { useLang, useT } from '../i18n/lang';
import { KINDS, kindSpec, type FieldKind } from '../model/fieldKinds';
import { addColumn, addSection, columnOrder, duplicateField, fieldKind, fieldOrder, isRequired, removeColumn, removeField } from '../model/form';
import { textOf, type FormDef, type SectionDef } from '../model/package';
import { isLocked, useEditor } from '../state/editor';
import { useProblemIndex } from '../state/problems';

/** The implicit single section of a form without `ui.sections`. */
export const DEFAULT_SECTION = '__all__';

function Placeholder({ kind }: { kind: FieldKind }) {
  const t = useT();
  const text: Partial<Record<FieldKind, string>> = {
    select: t('请选择', 'Choose'), radio: t('○ 选项1  ○ 选项2', '○ Option 1  ○ Option 2'), multi_select: t('☐ 选项1  ☐ 选项2', '☐ Option 1  ☐ Option 2'),
    checkbox: t('☐ 是', '☐ Yes'), date: 'YYYY-MM-DD', datetime: 'YYYY-MM-DD HH:mm', money: '¥ 0.00', percent: '0 %',
    user: t('选择成员', 'Pick a person'), department: t('选择部门', 'Pick a department'), attachments: t('点击上传附件', 'Upload files'),
    relation: t('选择关联记录', 'Pick a record'), auto_number: t('提交后自动生成', 'Assigned on submit'), mobile: '1xx xxxx xxxx', landline: '010-12345678',
    email: 'name@example.com', url: 'https://', rich_text: t('富文本内容', 'Rich text'),
  };
  const tall = kind === 'textarea' || kind === 'rich_text';
  return <div className={`fake-input${tall ? ' tall' : ''}`}>{text[kind] ?? t('请输入', 'Enter')}</div>;
}

function ColumnChip({ form, table, col }: { form: FormDef; table: string; col: string }) {
  const t = useT();
  const lang = useLang();
  const selection = useEditor((s) => s.selection);
  const problems = useProblemIndex();
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: `col:${table}:${col}` });
  const selected = selection.type === 'field' && selection.key === table && selection.column === col;
  const ui = form.ui?.fields?.[table]?.fields?.[col];
  const required = form.schema.properties?.[table]?.items?.required?.includes(col);
  return (
    <div
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition, opacity: isDragging ? 0.4 : 1 }}
      className={`column-chip${selected ? ' selected' : ''}${problems.has(`column:${form.id}:${table}:${col}`) ? ' has-problem' : ''}`}
      {...attributes}
      {...listeners}
      onClick={(e) => {
        e.stopPropagation();
        useEditor.getState().select({ type: 'field', form: form.id, key: table, column: col });
      }}
      onKeyDown={(e: KeyboardEvent) => {
        if (e.key === 'Enter') useEditor.getState().select({ type: 'field', form: form.id, key: table, column: col });
        listeners?.onKeyDown?.(e);
      }}
      aria-label={t(`列 ${textOf(ui?.label, lang)}`, `Column ${textOf(ui?.label, lang)}`)}
    >
      {required && <span className="req">*</span>}
      {textOf(ui?.label, lang) || col}
      <span className="kind-hint">{textOf(kindSpec(fieldKind(form, table, col))?.label, lang)}</span>
      <Button
        size="small"
        type="text"
        icon={<DeleteOutlined />}
        aria-label={t('删除列', 'Remove column')}
        onPointerDown={(e) => e.stopPropagation()}
        onClick={(e) => {
          e.stopPropagation();
          useEditor.getState().edit((d) => {
            const f = d.forms?.find((x) => x.id === form.id);
            if (f) removeColumn(f, table, col);
          });
          useEditor.getState().select({ type: 'field', form: form.id, key: table });
        }}
      />
    </div>
  );
}

function SubTable({ form, fieldKey }: { form: FormDef; fieldKey: string }) {
  const t = useT();
  const lang = useLang();
  const cols = columnOrder(form, fieldKey);
  const { setNodeRef, isOver } = useDroppable({ id: `table:${fieldKey}` });
  const add = (kind: FieldKind) => {
    let col = '';
    useEditor.getState().edit((d) => {
      const f = d.forms?.find((x) => x.id === form.id);
      if (f) col = addColumn(f, fieldKey, kind, { ...(kindSpec(kind)?.label ?? { 'zh-CN': kind }) });
    });
    useEditor.getState().select({ type: 'field', form: form.id, key: fieldKey, column: col });
  };
  return (
    <div ref={setNodeRef} className={`subtable${isOver ? ' over' : ''}`}>
      <SortableContext items={cols.map((c) => `col:${fieldKey}:${c}`)} strategy={horizontalListSortingStrategy}>
        {cols.map((c) => (
          <ColumnChip key={c} form={form} table={fieldKey} col={c} />
        ))}
      </SortableContext>
      <Dropdown
        trigger={['click']}
        menu={{
          items: KINDS.filter((k) => k.inRow).map((k) => ({ key: k.kind, label: textOf(k.label, lang) })),
          onClick: ({ key, domEvent }) => {
            domEvent.stopPropagation();
            add(key as FieldKind);
          },
        }}
      >
        <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={(e) => e.stopPropagation()}>
          {t('添加列', 'Add column')}
        </Button>
      </Dropdown>
      {cols.length === 0 && <Typography.Text type="secondary" className="small">{t('把字段拖到这里成为子表单的列', 'Drop fields here to make columns')}</Typography.Text>}
    </div>
  );
}

function FieldCard({ form, fieldKey, wide }: { form: FormDef; fieldKey: string; wide: boolean }) {
  const t = useT();
  const lang = useLang();
  const selection = useEditor((s) => s.selection);
  const problems = useProblemIndex().get(`field:${form.id}:${fieldKey}`);
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: `field:${fieldKey}` });
  const ui = form.ui?.fields?.[fieldKey];
  const kind = fieldKind(form, fieldKey);
  const selected = selection.type === 'field' && selection.form === form.id && selection.key === fieldKey && !selection.column;
  const select = () => useEditor.getState().select({ type: 'field', form: form.id, key: fieldKey });
  const hidden = ui?.visible_when;
  return (
    <div
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition, opacity: isDragging ? 0.4 : 1 }}
      className={`field-card${selected ? ' selected' : ''}${wide ? ' wide' : ''}${problems ? ' has-problem' : ''}`}
      data-field={fieldKey}
      onClick={select}
    >
      <div className="field-head">
        <span
          className="drag-handle"
          {...attributes}
          {...listeners}
          aria-label={t(`字段 ${textOf(ui?.label, lang)}，空格键拖动，回车选中`, `Field ${textOf(ui?.label, lang)}: Space to drag, Enter to select`)}
          onKeyDown={(e: KeyboardEvent) => {
            if (e.key === 'Enter') select();
            listeners?.onKeyDown?.(e);
          }}
        >
          <HolderOutlined />
        </span>
        <span className="field-label">
          {isRequired(form, fieldKey) && <span className="req">*</span>}
          {textOf(ui?.label, lang) || fieldKey}
        </span>
        <Tag variant="filled" className="kind-tag">{textOf(kindSpec(kind)?.label, lang) || kind}</Tag>
        {ui?.compute && <Tag variant="filled" color="purple">{t('计算', 'Formula')}</Tag>}
        {hidden && <Tag variant="filled" color="gold">{t('条件显示', 'Conditional')}</Tag>}
        {problems && (
          <Tooltip title={problems.map((p) => p.message).join('\n')}>
            <ExclamationCircleFilled className="problem-icon" aria-label={t('有问题', 'has problems')} />
          </Tooltip>
        )}
        <span className="field-key">
          {isLocked(`form:${form.id}`, fieldKey) && <LockOutlined />} {fieldKey}
        </span>
        <span className="field-actions">
          <Tooltip title={t('复制字段', 'Duplicate field')}>
            <Button
              size="small"
              type="text"
              icon={<CopyOutlined />}
              aria-label={t('复制字段', 'Duplicate field')}
              onClick={(e) => {
                e.stopPropagation();
                let copy = '';
                useEditor.getState().edit((d) => {
                  const f = d.forms?.find((x) => x.id === form.id);
                  if (f) copy = duplicateField(f, fieldKey);
                });
                if (copy) useEditor.getState().select({ type: 'field', form: form.id, key: copy });
              }}
            />
          </Tooltip>
          <Tooltip title={t('删除字段（可撤销）', 'Remove field (undoable)')}>
            <Button
              size="small"
              type="text"
              danger
              icon={<DeleteOutlined />}
              aria-label={t('删除字段', 'Remove field')}
              onClick={(e) => {
                e.stopPropagation();
                useEditor.getState().edit((d) => removeField(d, form.id, fieldKey));
                useEditor.getState().select({ type: 'form', form: form.id });
              }}
            />
          </Tooltip>
        </span>
      </div>
      {kind === 'sub_table' ? <SubTable form={form} fieldKey={fieldKey} /> : <Placeholder kind={kind} />}
      {ui?.help && <div className="field-help">{textOf(ui.help, lang)}</div>}
    </div>
  );
}

function SectionBlock({ form, section, children }: { form: FormDef; section: SectionDef; children: ReactNode }) {
  const t = useT();
  const lang = useLang();
  const selection = useEditor((s) => s.selection);
  // Only an empty section is a drop target of its own (else fields are): a large container
  // would win the keyboard sensor's closest-center search over the field next door.
  const { setNodeRef, isOver } = useDroppable({ id: `section:${section.id}`, disabled: section.fields.length > 0 });
  const implicit = section.id === DEFAULT_SECTION;
  const selected = selection.type === 'section' && selection.section === section.id;
  return (
    <section className={`form-section${isOver ? ' over' : ''}${selected ? ' selected' : ''}`} aria-label={textOf(section.title, lang)}>
      {!implicit && (
        <button type="button" className="section-title" onClick={() => useEditor.getState().select({ type: 'section', form: form.id, section: section.id })}>
          {textOf(section.title, lang)}
          <span className="small muted">{section.columns === 2 ? t(' · 两列', ' · two columns') : ''}</span>
        </button>
      )}
      <div ref={setNodeRef} className={`section-grid cols-${section.columns ?? 1}`}>
        {children}
        {section.fields.length === 0 && <div className="drop-hint">{t('从左侧拖入字段', 'Drag fields here from the left')}</div>}
      </div>
    </section>
  );
}

export function Canvas({ form }: { form: FormDef }) {
  const t = useT();
  const lang = useLang();
  const sections: SectionDef[] = form.ui?.sections?.length
    ? form.ui.sections
    : [{ id: DEFAULT_SECTION, title: { 'zh-CN': '' }, columns: 1, fields: fieldOrder(form) }];
  return (
    <div className="form-paper" onClick={(e) => e.target === e.currentTarget && useEditor.getState().select({ type: 'form', form: form.id })}>
      <h2 className="form-title">
        <button type="button" className="link-like" onClick={() => useEditor.getState().select({ type: 'form', form: form.id })}>
          {textOf(form.name, lang)}
        </button>
      </h2>
      {sections.map((s) => (
        <SectionBlock key={s.id} form={form} section={s}>
          <SortableContext items={s.fields.map((k) => `field:${k}`)} strategy={rectSortingStrategy}>
            {s.fields.map((k) => (
              <FieldCard key={k} form={form} fieldKey={k} wide={(s.columns ?? 1) === 1 || !!kindSpec(fieldKind(form, k))?.wide} />
            ))}
          </SortableContext>
        </SectionBlock>
      ))}
      <Button
        type="dashed"
        block
        icon={<PlusOutlined />}
        className="add-section"
        onClick={() =>
          useEditor.getState().edit((d) => {
            const f = d.forms?.find((x) => x.id === form.id);
            if (f) addSection(f, { 'zh-CN': '新分组', en: 'New section' }, 'section');
          })
        }
      >
        {t('添加分组', 'Add section')}
      </Button>
    </div>
  );
}
