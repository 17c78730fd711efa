// Per-role permissions of one field (`permissions.fields`): off, the field follows the record's
// permissions; on, each role gets editable / read-only / hidden. Hidden fields are left out of
// lists, record pages, exports and the API for that role; admins always see everything.

import { Radio, Switch, Table, Typography } from 'antd';
import { useLang, useT } from '../i18n/lang';
import { clearFieldPermissions, fieldRoleAccess, hasOwnPermissions, ownFieldPermissions, setFieldRoleAccess, type FieldRoleAccess } from '../model/access';
import { textOf, type FormDef } from '../model/package';
import { useEditor } from '../state/editor';

const edit = (formId: string, fn: (f: FormDef) => void) =>
  useEditor.getState().edit((d) => {
    const f = d.forms?.find((x) => x.id === formId);
    if (f) fn(f);
  });

export function FieldAccessEditor({ form, fieldKey }: { form: FormDef; fieldKey: string }) {
  const t = useT();
  const lang = useLang();
  const roles = useEditor((s) => s.present?.roles ?? []);
  const ids = roles.map((r) => r.id);
  const own = hasOwnPermissions(form, fieldKey);
  const options = [
    { value: 'write', label: t('可编辑', 'Editable') },
    { value: 'read', label: t('只读', 'Read-only') },
    { value: 'hidden', label: t('隐藏', 'Hidden') },
  ];
  return (
    <div className="field-access">
      <label className="prop-inline">
        <span>{t('按角色设置此字段的权限', 'Set this field’s access per role')}</span>
        <Switch size="small" checked={own} aria-label={t('按角色设置此字段的权限', 'Set this field’s access per role')}
          // Switching on changes nothing yet: every role starts editable, as without the setting.
          onChange={(on) => edit(form.id, (f) => (on ? ownFieldPermissions(f, fieldKey) : clearFieldPermissions(f, fieldKey)))} />
      </label>
      {own && (
        <Table
          size="small"
          pagination={false}
          rowKey="id"
          className="field-grid"
          dataSource={roles}
          columns={[
            { title: t('角色', 'Role'), render: (_, r) => <span title={r.id}>{textOf(r.name, lang)}</span> },
            {
              title: t('此字段', 'This field'),
              width: 200,
              render: (_, r) => (
                <Radio.Group size="small" optionType="button" options={options} value={fieldRoleAccess(form, fieldKey, r.id)}
                  aria-label={`${textOf(r.name, lang)} · ${fieldKey}`}
                  onChange={(e) => edit(form.id, (f) => setFieldRoleAccess(f, fieldKey, r.id, e.target.value as FieldRoleAccess, ids))} />
              ),
            },
          ]}
        />
      )}
      <Typography.Text type="secondary" className="small">
        {own
          ? t('“可编辑”仍以能否编辑整条记录为前提；“隐藏”的字段在列表、详情、导出和接口中都不出现。管理员始终可见。', '"Editable" still needs the right to edit the record; a hidden field is left out of lists, record pages, exports and the API. Admins always see it.')
          : t('关闭时：能查看记录的人都能看到此字段，能编辑记录的人都能修改。', 'Off: whoever reads the record sees this field; whoever edits the record may change it.')}
      </Typography.Text>
    </div>
  );
}
