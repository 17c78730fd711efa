// What happens to a record once its process ended (`after_approval`): which fields stay
// editable and by whom (the submitter or roles), and how the other, locked fields change —
// not at all, or through a change request (变更) that goes through the form's process.

import { Radio, Select, Table, Typography } from 'antd';
import { useLang, useT } from '../i18n/lang';
import { setChangePolicy, setEditableAfterApproval, setEditableFields } from '../model/access';
import { fieldOrder } from '../model/form';
import { OWNER, textOf, type FormDef } from '../model/package';
import { useEditor } from '../state/editor';

const edit = (formId: string, fn: (f: FormDef) => void) =>
  useEditor.getState().edit((d) => {
    const f = d.forms?.find((x) => x.id === formId);
    if (f) fn(f);
  });

export function AfterApprovalEditor({ form }: { form: FormDef }) {
  const t = useT();
  const lang = useLang();
  const roles = useEditor((s) => s.present?.roles ?? []);
  const editable = form.after_approval?.editable ?? {};
  const order = fieldOrder(form);
  const label = (k: string) => textOf(form.ui?.fields?.[k]?.label, lang) || k;
  const keys = order.filter((k) => k in editable);
  const who = [{ value: OWNER, label: t('提交人本人', 'The submitter') }, ...roles.map((r) => ({ value: r.id, label: textOf(r.name, lang) }))];
  return (
    <div className="after-approval">
      <div className="prop-label small">{t('审批通过后仍可修改的字段', 'Fields still editable after approval')}</div>
      <Select mode="multiple" size="small" style={{ width: '100%' }} allowClear
        aria-label={t('审批通过后仍可修改的字段', 'Fields still editable after approval')}
        placeholder={t('不选则全部锁定', 'None: everything is locked')}
        value={keys}
        onChange={(ks: string[]) => edit(form.id, (f) => setEditableFields(f, ks))}
        options={order.map((k) => ({ value: k, label: label(k) }))}
        optionFilterProp="label" />
      {keys.length > 0 && (
        <Table size="small" pagination={false} rowKey="key" className="field-grid mt8"
          dataSource={keys.map((key) => ({ key }))}
          columns={[
            { title: t('字段', 'Field'), render: (_, r) => label(r.key) },
            {
              title: t('谁可以修改', 'Who may change it'),
              width: 210,
              render: (_, r) => (
                <Select mode="multiple" size="small" style={{ width: '100%' }} options={who} value={editable[r.key]}
                  aria-label={t(`谁可以修改 ${label(r.key)}`, `Who may change ${label(r.key)}`)}
                  status={editable[r.key]?.length ? undefined : 'error'}
                  onChange={(w: string[]) => edit(form.id, (f) => setEditableAfterApproval(f, r.key, w))} />
              ),
            },
          ]} />
      )}
      <div className="prop-label small mt8">{t('其余字段', 'The other fields')}</div>
      <Radio.Group size="small" value={form.after_approval?.changes ?? 'locked'}
        onChange={(e) => edit(form.id, (f) => setChangePolicy(f, e.target.value))}
        options={[
          { value: 'locked', label: t('锁定，不可修改', 'Locked') },
          { value: 'change_request', label: t('通过变更申请修改', 'Changed by a change request') },
        ]} />
      <Typography.Text type="secondary" className="small">
        {form.after_approval?.changes === 'change_request'
          ? t('变更申请：提交人提出新值，按本表单的流程重新审批，通过后才替换原值；审批期间原值保持不变。', 'Change request: the submitter proposes new values; they go through this form’s process and replace the approved ones only once approved.')
          : t('锁定：审批通过后只有上面列出的字段可改；管理员可修改任何字段，并记入审计日志。', 'Locked: after approval only the fields above can change; admins may change any field, which the audit log records.')}
      </Typography.Text>
    </div>
  );
}
