// Who gets a task: a person, a role, the submitter's department head n levels up, a person
// field of the record, the submitter, an expression, or a routing table (rows of condition →
// approver, first true row wins, a last row for "otherwise").

import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Flex, Input, InputNumber, Select, Typography } from 'antd';
import { useLang, useT } from '../i18n/lang';
import type { AssigneeDef, RoleDef, RouteRowDef } from '../model/package';
import { textOf } from '../model/package';
import { ConditionBuilder, type FieldRef } from '../rules/ConditionBuilder';

type AssigneeType = AssigneeDef['type'];

function blank(type: AssigneeType): AssigneeDef {
  switch (type) {
    case 'user': return { type, username: '' };
    case 'role': return { type, role: '' };
    case 'department_head': return { type, levels: 1 };
    case 'submitter': return { type };
    case 'field': return { type, field: '' };
    case 'table': return { type, rows: [{ when: '', assignee: { type: 'department_head', levels: 1 } }, { assignee: { type: 'role', role: '' } }] };
    case 'expression': return { type, expr: '' };
  }
}

export function AssigneeEditor({ value, onChange, roles, fields, allowTable = true, idPrefix }: {
  value: AssigneeDef;
  onChange: (a: AssigneeDef, coalesce?: string) => void;
  roles: RoleDef[];
  fields: FieldRef[];
  allowTable?: boolean;
  idPrefix: string;
}) {
  const t = useT();
  const lang = useLang();
  const types: Array<[AssigneeType, string]> = [
    ['department_head', t('部门负责人', 'Department head')],
    ['role', t('角色', 'Role')],
    ['user', t('指定成员', 'A person')],
    ['field', t('表单中的成员字段', 'Person field of the form')],
    ['submitter', t('发起人本人', 'The submitter')],
    ...(allowTable ? [['table', t('路由表（按条件选审批人）', 'Routing table (by conditions)')] as [AssigneeType, string]] : []),
    ['expression', t('表达式', 'Expression')],
  ];
  let detail = null;
  switch (value.type) {
    case 'user':
      detail = <Input size="small" aria-label={t('用户名', 'Username')} placeholder={t('用户名，如 manager1', 'Username, e.g. manager1')} value={value.username}
        onChange={(e) => onChange({ ...value, username: e.target.value.trim() }, `${idPrefix}-user`)} />;
      break;
    case 'role':
      detail = <Select size="small" aria-label={t('角色', 'Role')} placeholder={t('选择角色', 'Choose a role')} value={value.role || undefined} status={value.role ? undefined : 'error'}
        onChange={(role: string) => onChange({ ...value, role })} options={roles.map((r) => ({ value: r.id, label: `${textOf(r.name, lang)} (${r.id})` }))}
        notFoundContent={t('先在“角色”页添加角色', 'Add roles on the Roles tab first')} />;
      break;
    case 'department_head':
      detail = (
        <Flex gap={4} align="center" className="small">
          {t('向上第', 'Levels up:')}
          <InputNumber size="small" min={1} max={10} aria-label={t('层级', 'Levels')} value={value.levels ?? 1} onChange={(v) => onChange({ ...value, levels: Number(v ?? 1) })} />
          {t('级（1 = 本部门负责人）', '(1 = own department)')}
        </Flex>
      );
      break;
    case 'field':
      detail = <Select size="small" aria-label={t('成员字段', 'Person field')} placeholder={t('选择成员字段', 'Choose a person field')} value={value.field || undefined}
        onChange={(field: string) => onChange({ ...value, field })}
        options={fields.filter((f) => f.kind === 'user').map((f) => ({ value: f.key, label: textOf(f.label, lang) }))}
        notFoundContent={t('表单里没有“成员”字段', 'The form has no person field')} />;
      break;
    case 'expression':
      detail = <Input.TextArea className="mono" autoSize={{ minRows: 1, maxRows: 4 }} aria-label={t('表达式', 'Expression')}
        placeholder={t('得到用户名，或 "role:角色标识"', 'Yields a username or "role:<id>"')} value={value.expr}
        onChange={(e) => onChange({ ...value, expr: e.target.value }, `${idPrefix}-expr`)} />;
      break;
    case 'table':
      detail = <RoutingTable rows={value.rows} roles={roles} fields={fields} idPrefix={idPrefix} onChange={(rows, c) => onChange({ ...value, rows }, c)} />;
      break;
  }
  return (
    <div className="assignee-editor">
      <Select size="small" style={{ width: '100%' }} aria-label={t('处理人类型', 'Assignee rule')} value={value.type}
        onChange={(type: AssigneeType) => onChange(blank(type))} options={types.map(([v, label]) => ({ value: v, label }))} />
      {detail}
    </div>
  );
}

/** Rows of condition → approver; the first row whose condition holds decides. */
export function RoutingTable({ rows, onChange, roles, fields, idPrefix }: {
  rows: RouteRowDef[];
  onChange: (rows: RouteRowDef[], coalesce?: string) => void;
  roles: RoleDef[];
  fields: FieldRef[];
  idPrefix: string;
}) {
  const t = useT();
  const set = (i: number, row: RouteRowDef, c?: string) => onChange(rows.map((r, j) => (j === i ? row : r)), c);
  const move = (i: number, d: -1 | 1) => {
    const next = [...rows];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    onChange(next);
  };
  return (
    <div className="routing-table">
      <Typography.Text type="secondary" className="small">{t('从上到下逐行判断，第一条满足的规则决定审批人。', 'Rows are tried top to bottom; the first that holds decides.')}</Typography.Text>
      {rows.map((row, i) => (
        <div key={i} className="route-row">
          <Flex justify="space-between" align="center">
            <Typography.Text strong className="small">{row.when === undefined ? t('其他情况', 'Otherwise') : t(`规则 ${i + 1}`, `Row ${i + 1}`)}</Typography.Text>
            <span>
              <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(i, -1)} aria-label={t('上移', 'Move up')} />
              <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={i === rows.length - 1} onClick={() => move(i, 1)} aria-label={t('下移', 'Move down')} />
              <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => onChange(rows.filter((_, j) => j !== i))} aria-label={t('删除规则', 'Remove row')} />
            </span>
          </Flex>
          {row.when !== undefined && (
            <ConditionBuilder value={row.when || undefined} fields={fields} onChange={(when) => set(i, { ...row, when: when ?? '' }, `${idPrefix}-row-${i}`)} />
          )}
          <div className="small muted">{t('→ 审批人', '→ approver')}</div>
          <AssigneeEditor value={row.assignee} allowTable={false} roles={roles} fields={fields} idPrefix={`${idPrefix}-row-${i}`}
            onChange={(assignee, c) => set(i, { ...row, assignee }, c)} />
        </div>
      ))}
      <Flex gap={4}>
        <Button size="small" type="dashed" icon={<PlusOutlined />}
          onClick={() => {
            const otherwise = rows.findIndex((r) => r.when === undefined);
            const next = [...rows];
            next.splice(otherwise < 0 ? rows.length : otherwise, 0, { when: '', assignee: { type: 'role', role: '' } });
            onChange(next);
          }}>
          {t('添加规则', 'Add row')}
        </Button>
        {!rows.some((r) => r.when === undefined) && (
          <Button size="small" type="dashed" onClick={() => onChange([...rows, { assignee: { type: 'department_head', levels: 1 } }])}>
            {t('添加“其他情况”', 'Add "otherwise"')}
          </Button>
        )}
      </Flex>
    </div>
  );
}
