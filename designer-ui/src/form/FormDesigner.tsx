// The form designer: forms of the app and the field palette on the left, the form canvas in
// the middle (sections, fields, sub-table columns; drag to add and reorder), the property
// panel of the selection on the right. Dragging uses dnd-kit with pointer and keyboard sensors;
// a click on a palette item adds the field too (after the selected one), for keyboard users.

import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  closestCenter,
  useSensor,
  useSensors,
  type DragEndEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { sortableKeyboardCoordinates } from '@dnd-kit/sortable';
import { App as AntApp, Button, Empty, Form, Input, Modal, Popconfirm, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { useLang, useT } from '../i18n/lang';
import { kindSpec, type FieldKind } from '../model/fieldKinds';
import { addColumn, addField, blankForm, fieldOrder, moveColumn, moveField, columnOrder } from '../model/form';
import { idFromName } from '../model/keys';
import { textOf, type FormDef, type Text } from '../model/package';
import { useEditor } from '../state/editor';
import { useProblemIndex } from '../state/problems';
import { useUi } from '../state/ui';
import { Canvas, DEFAULT_SECTION } from './Canvas';
import { FieldPanel } from './FieldPanel';
import { FormPanel } from './FormPanel';
import { Palette } from './Palette';
import { PreviewButton } from './PreviewDrawer';
import { SectionPanel } from './SectionPanel';

/** Where a field sits: its section (or the implicit one) and index there. */
function placeOf(form: FormDef, key: string): { section: string; index: number } {
  for (const s of form.ui?.sections ?? []) {
    const i = s.fields.indexOf(key);
    if (i >= 0) return { section: s.id, index: i };
  }
  return { section: DEFAULT_SECTION, index: fieldOrder(form).indexOf(key) };
}

function FormList() {
  const t = useT();
  const lang = useLang();
  const forms = useEditor((s) => s.present?.forms ?? []);
  const formId = useEditor((s) => s.formId);
  const problems = useProblemIndex();
  const adding = useUi((s) => s.newFormOpen);
  const setAdding = useUi((s) => s.setNewFormOpen);
  const [form] = Form.useForm<{ zh: string; en?: string }>();
  const { modal } = AntApp.useApp();
  const add = async () => {
    const v = await form.validateFields();
    const name: Text = v.en ? { 'zh-CN': v.zh, en: v.en } : { 'zh-CN': v.zh };
    const id = idFromName(v.zh, forms.map((f) => f.id), 'form');
    useEditor.getState().edit((d) => {
      (d.forms ??= []).push(blankForm(id, name));
    });
    useEditor.getState().openForm(id);
    setAdding(false);
    form.resetFields();
  };
  return (
    <div className="side-block">
      <div className="side-head">
        <Typography.Text strong>{t('表单', 'Forms')}</Typography.Text>
        <Button size="small" type="link" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
          {t('新建表单', 'New form')}
        </Button>
      </div>
      <ul className="item-list" role="listbox" aria-label={t('表单', 'Forms')}>
        {forms.map((f) => (
          <li key={f.id} role="option" aria-selected={f.id === formId} className={f.id === formId ? 'active' : ''}>
            <button type="button" className="item-button" onClick={() => useEditor.getState().openForm(f.id)}>
              {textOf(f.name, lang) || f.id}
              {problems.has(`form:${f.id}`) && <span className="dot-error" aria-label={t('有问题', 'has problems')} />}
            </button>
            <Popconfirm
              title={t('删除这个表单？', 'Delete this form?')}
              description={t('表单上的流程也需要删除或改用其他表单。可以撤销。', 'Flows on it must be removed or moved. You can undo this.')}
              okText={t('删除', 'Delete')}
              cancelText={t('取消', 'Cancel')}
              onConfirm={() => {
                const usedBy = useEditor.getState().present?.processes?.filter((p) => p.form === f.id) ?? [];
                if (usedBy.length) {
                  modal.warning({ title: t('表单正被流程使用', 'The form is used by flows'), content: usedBy.map((p) => textOf(p.name, lang)).join('、') });
                  return;
                }
                useEditor.getState().edit((d) => {
                  d.forms = d.forms?.filter((x) => x.id !== f.id);
                });
                useEditor.getState().openForm(useEditor.getState().present?.forms?.[0]?.id ?? null);
              }}
            >
              <Button size="small" type="text" icon={<DeleteOutlined />} aria-label={t('删除表单', 'Delete form')} className="item-action" />
            </Popconfirm>
          </li>
        ))}
      </ul>
      <Modal open={adding} title={t('新建表单', 'New form')} okText={t('创建', 'Create')} cancelText={t('取消', 'Cancel')} onOk={() => void add()} onCancel={() => setAdding(false)} destroyOnHidden>
        <Form form={form} layout="vertical">
          <Form.Item name="zh" label={t('表单名称（中文）', 'Form name (Chinese)')} rules={[{ required: true, message: t('请输入表单名称', 'Enter a name') }]}>
            <Input autoFocus maxLength={60} placeholder={t('例如：项目登记', 'e.g. Project registration')} onPressEnter={() => void add()} />
          </Form.Item>
          <Form.Item name="en" label={t('表单名称（英文）', 'Form name (English)')}>
            <Input maxLength={80} />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}

function PropertyPanel({ form }: { form: FormDef }) {
  const selection = useEditor((s) => s.selection);
  if (selection.type === 'field' && selection.form === form.id && form.schema.properties?.[selection.key]) {
    return <FieldPanel form={form} fieldKey={selection.key} column={selection.column} />;
  }
  if (selection.type === 'section' && selection.form === form.id) return <SectionPanel form={form} sectionId={selection.section} />;
  return <FormPanel form={form} />;
}

export function FormDesigner() {
  const t = useT();
  const lang = useLang();
  const formId = useEditor((s) => s.formId);
  const form = useEditor((s) => s.present?.forms?.find((f) => f.id === s.formId));
  const [dragging, setDragging] = useState<string | null>(null);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );

  const labelOf = (kind: FieldKind): Text => ({ ...(kindSpec(kind)?.label ?? { 'zh-CN': kind }) });

  /** Adds a field from the palette; returns nothing, selects the new field. */
  const addFromPalette = (kind: FieldKind, at?: { section?: string; index?: number; table?: string; column?: number }) => {
    if (!formId) return;
    let key = '';
    let column: string | undefined;
    useEditor.getState().edit((d) => {
      const f = d.forms?.find((x) => x.id === formId);
      if (!f) return;
      if (at?.table) {
        column = addColumn(f, at.table, kind, labelOf(kind), at.column);
        key = at.table;
      } else key = addField(f, kind, labelOf(kind), { section: at?.section === DEFAULT_SECTION ? undefined : at?.section, index: at?.index });
    });
    if (key) useEditor.getState().select({ type: 'field', form: formId, key, column });
  };

  /** A click in the palette: after the selected field, or at the end. */
  const clickPalette = (kind: FieldKind) => {
    const s = useEditor.getState();
    const sel = s.selection;
    if (form && sel.type === 'field' && sel.form === form.id) {
      const selKind = form.ui?.fields?.[sel.key]?.widget;
      if (selKind === 'subtable' && kindSpec(kind)?.inRow) return addFromPalette(kind, { table: sel.key });
      const place = placeOf(form, sel.key);
      return addFromPalette(kind, { section: place.section, index: place.index + 1 });
    }
    addFromPalette(kind);
  };

  const onDragStart = (e: DragStartEvent) => setDragging(String(e.active.id));
  const onDragEnd = (e: DragEndEvent) => {
    setDragging(null);
    if (!form || !e.over) return;
    const a = String(e.active.id);
    const o = String(e.over.id);
    if (a.startsWith('palette:')) {
      const kind = a.slice(8) as FieldKind;
      if (o.startsWith('table:') || o.startsWith('col:')) {
        const table = o.startsWith('table:') ? o.slice(6) : o.split(':')[1];
        if (!kindSpec(kind)?.inRow) return;
        const index = o.startsWith('col:') ? columnOrder(form, table).indexOf(o.split(':')[2]) + 1 : undefined;
        return addFromPalette(kind, { table, column: index });
      }
      if (o.startsWith('field:')) {
        const place = placeOf(form, o.slice(6));
        const dropped = e.active.rect.current.translated;
        const below = dropped && dropped.top + dropped.height / 2 > e.over.rect.top + e.over.rect.height / 2;
        return addFromPalette(kind, { section: place.section, index: place.index + (below ? 1 : 0) });
      }
      if (o.startsWith('section:')) return addFromPalette(kind, { section: o.slice(8) });
      return;
    }
    if (a.startsWith('field:')) {
      const key = a.slice(6);
      let to: { section?: string; index?: number } | null = null;
      if (o.startsWith('field:') && o !== a) to = placeOf(form, o.slice(6));
      else if (o.startsWith('section:')) to = { section: o.slice(8) };
      if (!to) return;
      const target = to;
      useEditor.getState().edit((d) => {
        const f = d.forms?.find((x) => x.id === form.id);
        if (f) moveField(f, key, { section: target.section === DEFAULT_SECTION ? undefined : target.section, index: target.index });
      });
      return;
    }
    if (a.startsWith('col:') && o.startsWith('col:') && a !== o) {
      const [, table, from] = a.split(':');
      const [, otherTable, to] = o.split(':');
      if (table !== otherTable) return;
      const order = columnOrder(form, table);
      useEditor.getState().edit((d) => {
        const f = d.forms?.find((x) => x.id === form.id);
        if (f) moveColumn(f, table, order.indexOf(from), order.indexOf(to));
      });
    }
  };

  const overlay = dragging?.startsWith('palette:')
    ? textOf(kindSpec(dragging.slice(8) as FieldKind)?.label, lang)
    : dragging?.startsWith('field:')
      ? textOf(form?.ui?.fields?.[dragging.slice(6)]?.label, lang)
      : dragging?.startsWith('col:')
        ? dragging.split(':')[2]
        : null;

  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragStart={onDragStart} onDragEnd={onDragEnd} onDragCancel={() => setDragging(null)}>
      <div className="three-pane">
        <aside className="pane-left" aria-label={t('表单与字段库', 'Forms and field palette')}>
          <FormList />
          {form && <Palette onAdd={clickPalette} />}
        </aside>
        <section className="pane-center canvas-bg" aria-label={t('表单画布', 'Form canvas')}>
          {form ? (
            <>
              <div className="canvas-tools"><PreviewButton form={form.id} /></div>
              <Canvas form={form} />
            </>
          ) : (
            <Empty className="big-empty" description={t('这个应用还没有表单。先新建一个表单，再从左侧拖入字段。', 'No forms yet. Create a form, then drag fields in from the left.')}>
              <Button type="primary" icon={<PlusOutlined />} onClick={() => useUi.getState().setNewFormOpen(true)}>
                {t('新建表单', 'New form')}
              </Button>
            </Empty>
          )}
        </section>
        <aside className="pane-right" aria-label={t('属性', 'Properties')}>
          {form && <PropertyPanel form={form} />}
        </aside>
      </div>
      <DragOverlay dropAnimation={null}>{overlay ? <div className="drag-chip">{overlay}</div> : null}</DragOverlay>
    </DndContext>
  );
}
