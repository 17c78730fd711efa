// A section's properties: title, one or two columns, and removing it (its fields move up).

import { Button, Popconfirm, Segmented, Typography } from 'antd';
import { TextPair } from '../components/TextPair';
import { useT } from '../i18n/lang';
import { removeSection, section } from '../model/form';
import type { FormDef } from '../model/package';
import { useEditor } from '../state/editor';

export function SectionPanel({ form, sectionId }: { form: FormDef; sectionId: string }) {
  const t = useT();
  const s = section(form, sectionId);
  if (!s) return null;
  const edit = (fn: (f: FormDef) => void, coalesce?: string) =>
    useEditor.getState().edit((d) => {
      const f = d.forms?.find((x) => x.id === form.id);
      if (f) fn(f);
    }, coalesce ? `section:${form.id}:${sectionId}:${coalesce}` : undefined);
  return (
    <div className="prop-panel" aria-label={t('分组属性', 'Section properties')}>
      <div className="panel-title"><Typography.Text strong>{t('分组', 'Section')}</Typography.Text></div>
      <div className="prop-block">
        <div className="prop-label">{t('分组标题', 'Title')}</div>
        <TextPair idPrefix="section-title" value={s.title} onChange={(title) => edit((f) => { section(f, sectionId)!.title = title ?? { 'zh-CN': '' }; }, 'title')} />
      </div>
      <div className="prop-block">
        <div className="prop-label">{t('布局', 'Layout')}</div>
        <Segmented
          value={s.columns ?? 1}
          onChange={(v) => edit((f) => { section(f, sectionId)!.columns = v as 1 | 2; })}
          options={[{ value: 1, label: t('单列', 'One column') }, { value: 2, label: t('两列', 'Two columns') }]}
        />
        <Typography.Text type="secondary" className="small">
          {t('两列布局中，多行文本、富文本、附件和子表单仍占满整行。', 'In two columns, paragraphs, rich text, attachments and sub-tables still take the full width.')}
        </Typography.Text>
      </div>
      <Popconfirm title={t('删除分组？其中的字段会移到上一个分组。', 'Remove the section? Its fields move to the one before.')} okText={t('删除', 'Remove')} cancelText={t('取消', 'Cancel')}
        onConfirm={() => {
          edit((f) => removeSection(f, sectionId));
          useEditor.getState().select({ type: 'form', form: form.id });
        }}>
        <Button danger size="small">{t('删除分组', 'Remove section')}</Button>
      </Popconfirm>
    </div>
  );
}
