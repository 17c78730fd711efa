// Form-level properties: name, numbering pattern, who may create / read / edit records (roles ×
// scope), and cross-field checks built with the condition builder.

import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Checkbox, Collapse, Input, Select, Table, Typography } from 'antd';
import { TextPair } from '../components/TextPair';
import { useLang, useT } from '../i18n/lang';
import { restrictedFields } from '../model/access';
import { fieldOrder } from '../model/form';
import { CUSTOMER_FIELD, textOf, type AppPackage, type FormDef, type PermissionList } from '../model/package';
import { ConditionBuilder } from '../rules/ConditionBuilder';
import { useEditor } from '../state/editor';
import { AfterApprovalEditor } from './AfterApprovalEditor';
import { fieldRefs } from './fieldRefs';

const edit = (formId: string, fn: (f: FormDef, d: AppPackage) => void, coalesce?: string) =>
  useEditor.getState().edit((d) => {
    const f = d.forms?.find((x) => x.id === formId);
    if (f) fn(f, d);
  }, coalesce ? `form:${formId}:${coalesce}` : undefined);

/** `PRJ-{year}-{seq:05}` as the first record would get it. */
export function numberingPreview(pattern: string, now = new Date()): string {
  return pattern
    .replace(/\{year\}/g, String(now.getFullYear()))
    .replace(/\{month\}/g, String(now.getMonth() + 1).padStart(2, '0'))
    .replace(/\{seq(?::0(\d))?\}/g, (_, w: string | undefined) => '1'.padStart(w ? Number(w) : 1, '0'));
}

function Permissions({ form }: { form: FormDef }) {
  const t = useT();
  const lang = useLang();
  const roles = useEditor((s) => s.present?.roles ?? []);
  const columns: Array<[PermissionList, string, string]> = [
    ['create', t('新建', 'Create'), ''],
    ['read_own', t('查看', 'Read'), t('本人', 'own')],
    ['read_department', t('查看', 'Read'), t('本部门', 'dept.')],
    ['read_all', t('查看', 'Read'), t('全部', 'all')],
    ['read_customer', t('查看', 'Read'), t('本客户', 'customer')],
    ['edit_own', t('编辑', 'Edit'), t('本人', 'own')],
    ['edit_all', t('编辑', 'Edit'), t('全部', 'all')],
  ];
  const rows = [{ id: '*', name: { 'zh-CN': '所有登录用户', en: 'Everyone signed in' } }, ...roles];
  const toggle = (list: PermissionList, role: string, on: boolean) =>
    edit(form.id, (f) => {
      f.permissions ??= {};
      const cur = (f.permissions[list] ?? []).filter((r) => r !== role);
      if (on) cur.push(role);
      f.permissions[list] = cur;
    });
  return (
    <>
      <Table
        size="small"
        pagination={false}
        rowKey="id"
        className="perm-table"
        dataSource={rows}
        // Seven columns in a narrow panel: role names stay on one line and the grid scrolls.
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('角色', 'Role'), fixed: 'left' as const, render: (_, r) => <span title={r.id} style={{ whiteSpace: 'nowrap' }}>{textOf(r.name, lang)}</span> },
          ...columns.map(([list, verb, scope]) => ({
            title: <span className="perm-head">{verb}{scope && <br />}{scope}</span>,
            align: 'center' as const,
            render: (_: unknown, r: { id: string }) => (
              <Checkbox
                aria-label={`${verb}${scope} · ${r.id}`}
                checked={(form.permissions?.[list] ?? []).includes(r.id)}
                onChange={(e) => toggle(list, r.id, e.target.checked)}
              />
            ),
          })),
        ]}
      />
      <CustomerScopeNote form={form} />
      <RestrictedFieldsNote form={form} />
      <Typography.Text type="secondary" className="small">
        {t('管理员始终拥有全部权限；在“角色”页添加角色，成员由管理员在用户管理中分配。', 'Admins can always do everything. Add roles on the Roles tab; admins assign people to them.')}
      </Typography.Text>
    </>
  );
}

/** Which field a customer-scoped role's rows are matched on, and a warning when it is missing. */
function CustomerScopeNote({ form }: { form: FormDef }) {
  const t = useT();
  const lang = useLang();
  const scoped = form.permissions?.read_customer ?? [];
  if (!scoped.length) {
    return <Typography.Text type="secondary" className="small">{t('“查看本客户”：用于客户联系人，只能看到自己所属客户的记录。', '"Read customer": for client contacts, who see only their own customer\'s records.')}</Typography.Text>;
  }
  const has = fieldOrder(form).includes(CUSTOMER_FIELD);
  const label = textOf(form.ui?.fields?.[CUSTOMER_FIELD]?.label, lang) || CUSTOMER_FIELD;
  return has ? (
    <Typography.Text type="secondary" className="small" data-customer-field>
      {t(`“查看本客户”按字段「${label}」（${CUSTOMER_FIELD}）匹配：该字段等于用户所属客户的记录才可见。`, `"Read customer" matches the field "${label}" (${CUSTOMER_FIELD}): a record is visible when it names the user's customer.`)}
    </Typography.Text>
  ) : (
    <Typography.Text type="danger" className="small" data-customer-field>
      {t(`“查看本客户”需要表单中有标识为 ${CUSTOMER_FIELD} 的客户字段；没有它，这些角色看不到任何记录。`, `"Read customer" needs a field with the key ${CUSTOMER_FIELD}; without it these roles see no records.`)}
    </Typography.Text>
  );
}

/** Fields whose permissions are set per role in their own property panel. */
function RestrictedFieldsNote({ form }: { form: FormDef }) {
  const t = useT();
  const lang = useLang();
  const keys = restrictedFields(form, fieldOrder(form));
  if (!keys.length) return null;
  return (
    <div className="small restricted-fields">
      {t('单独设置了字段权限：', 'Fields with their own permissions: ')}
      {keys.map((k, i) => (
        <span key={k}>
          {i > 0 && (lang === 'en' ? ', ' : '、')}
          <Typography.Link onClick={() => useEditor.getState().select({ type: 'field', form: form.id, key: k })}>
            {textOf(form.ui?.fields?.[k]?.label, lang) || k}
          </Typography.Link>
        </span>
      ))}
    </div>
  );
}

function Checks({ form }: { form: FormDef }) {
  const t = useT();
  const lang = useLang();
  const refs = fieldRefs(form);
  const checks = form.checks ?? [];
  return (
    <div className="checks">
      {checks.map((c, i) => (
        <div key={i} className="check-card">
          <div className="prop-label">
            {t(`校验 ${i + 1}`, `Check ${i + 1}`)}
            <Button size="small" type="text" icon={<DeleteOutlined />} aria-label={t('删除校验', 'Remove check')}
              onClick={() => edit(form.id, (f) => { f.checks?.splice(i, 1); })} />
          </div>
          <Typography.Text type="secondary" className="small">{t('记录必须满足：', 'A record must satisfy:')}</Typography.Text>
          <ConditionBuilder value={c.check} fields={refs} onChange={(expr) => edit(form.id, (f) => { f.checks![i].check = expr ?? ''; }, `check-${i}`)} />
          <label className="prop-block">
            <span className="prop-label small">{t('提示显示在', 'Show the message at')}</span>
            <Select size="small" aria-label={t('提示显示在', 'Show the message at')} value={c.path.slice(1) || undefined} onChange={(k: string) => edit(form.id, (f) => { f.checks![i].path = `/${k}`; })}
              options={fieldOrder(form).map((k) => ({ value: k, label: textOf(form.ui?.fields?.[k]?.label, lang) || k }))} />
          </label>
          <div className="prop-label small">{t('不满足时的提示', 'Message when not satisfied')}</div>
          <TextPair idPrefix={`check-${i}`} value={c.message} onChange={(m) => edit(form.id, (f) => { f.checks![i].message = m ?? { 'zh-CN': '' }; }, `check-msg-${i}`)} />
        </div>
      ))}
      <Button size="small" type="dashed" icon={<PlusOutlined />}
        onClick={() => edit(form.id, (f) => {
          const ids = new Set((f.checks ?? []).map((c) => c.id));
          let n = (f.checks?.length ?? 0) + 1;
          while (ids.has(`check_${n}`)) n++;
          (f.checks ??= []).push({ id: `check_${n}`, check: '', path: `/${fieldOrder(f)[0] ?? ''}`, message: { 'zh-CN': '' } });
        })}>
        {t('添加跨字段校验', 'Add a cross-field check')}
      </Button>
      <Typography.Text type="secondary" className="small">
        {t('例如“结束日期 大于等于 开始日期”；空字段与任何值比较都不成立，可加“为空”条件放行。', 'E.g. "end date at least start date". Comparing an empty field fails; add "is empty" rows with "any" to let it pass.')}
      </Typography.Text>
    </div>
  );
}

export function FormPanel({ form }: { form: FormDef }) {
  const t = useT();
  const pattern = form.numbering?.pattern ?? '';
  const patternOk = !pattern || /\{seq(:0[1-9])?\}/.test(pattern);
  return (
    <div className="prop-panel" aria-label={t('表单属性', 'Form properties')}>
      <div className="panel-title"><Typography.Text strong>{t('表单属性', 'Form')}</Typography.Text><Typography.Text code>{form.id}</Typography.Text></div>
      <div className="prop-block">
        <div className="prop-label">{t('表单名称', 'Name')}</div>
        <TextPair idPrefix="form-name" value={form.name} onChange={(n) => edit(form.id, (f) => { f.name = n ?? { 'zh-CN': '' }; }, 'name')} />
      </div>
      <Collapse
        size="small"
        className="prop-collapse"
        defaultActiveKey={['numbering', 'permissions', 'after_approval', 'checks']}
        items={[
          {
            key: 'numbering',
            label: t('编号规则', 'Numbering'),
            children: (
              <>
                <Input size="small" className="mono" aria-label={t('编号规则', 'Numbering pattern')} placeholder="PRJ-{year}-{seq:05}" value={pattern} status={patternOk ? undefined : 'error'}
                  onChange={(e) => edit(form.id, (f) => {
                    if (e.target.value) f.numbering = { pattern: e.target.value };
                    else delete f.numbering;
                  }, 'numbering')} />
                <Typography.Text type={patternOk ? 'secondary' : 'danger'} className="small">
                  {patternOk
                    ? pattern ? t(`示例：${numberingPreview(pattern)}`, `Example: ${numberingPreview(pattern)}`) : t('可用 {year} 年份、{seq:05} 五位序号', 'Use {year} and {seq:05} (a 5-digit sequence)')
                    : t('必须包含 {seq} 或 {seq:0N}', 'Must contain {seq} or {seq:0N}')}
                </Typography.Text>
              </>
            ),
          },
          { key: 'permissions', label: t('数据权限', 'Permissions'), children: <Permissions form={form} /> },
          { key: 'after_approval', label: t('审批通过后', 'After approval'), children: <AfterApprovalEditor form={form} /> },
          { key: 'checks', label: t('跨字段校验', 'Cross-field checks'), children: <Checks form={form} /> },
        ]}
      />
      <Typography.Text type="secondary" className="small hint-bottom">
        {t(`共 ${fieldOrder(form).length} 个字段。点击画布中的字段编辑其属性。`, `${fieldOrder(form).length} fields. Click a field on the canvas to edit it.`)}
      </Typography.Text>
    </div>
  );
}
