// The app's roles: ids and names. Who holds a role is kept on the server by admins (user
// administration); the designer shows where each role is used, not its members.

import { DeleteOutlined, LockOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Input, Popconfirm, Table, Tag, Tooltip, Typography } from 'antd';
import { useT } from '../i18n/lang';
import { ID_PATTERN, idFromName } from '../model/keys';
import { PERMISSION_LISTS, textOf, type AppPackage, type AssigneeDef, type RoleDef } from '../model/package';
import { isLocked, useEditor } from '../state/editor';
import { useProblemIndex } from '../state/problems';

/** Where a role is used: form permissions and assignee rules (with routing-table rows). */
export function roleUses(pkg: AppPackage, role: string): string[] {
  const uses: string[] = [];
  const inAssignee = (a: AssigneeDef | undefined): boolean =>
    !!a && ((a.type === 'role' && a.role === role) || (a.type === 'table' && a.rows.some((r) => inAssignee(r.assignee))));
  for (const f of pkg.forms ?? []) {
    if (PERMISSION_LISTS.some((l) => f.permissions?.[l]?.includes(role))) uses.push(textOf(f.name, 'zh-CN'));
  }
  for (const p of pkg.processes ?? []) {
    for (const n of p.nodes) if ('assignee' in n && inAssignee(n.assignee)) uses.push(`${textOf(p.name, 'zh-CN')} · ${textOf(n.name, 'zh-CN') || n.id}`);
  }
  return uses;
}

export function RolesEditor() {
  const t = useT();
  const pkg = useEditor((s) => s.present)!;
  const selection = useEditor((s) => s.selection);
  const problems = useProblemIndex();
  const roles = pkg.roles ?? [];
  const edit = (fn: (roles: RoleDef[], d: AppPackage) => void, coalesce?: string) =>
    useEditor.getState().edit((d) => fn((d.roles ??= []), d), coalesce);
  return (
    <div className="single-pane">
      <div className="pane-head">
        <Typography.Title level={5}>{t('角色', 'Roles')}</Typography.Title>
        <Button type="primary" icon={<PlusOutlined />}
          onClick={() => edit((rs) => {
            const id = idFromName('role', rs.map((r) => r.id), 'role');
            rs.push({ id: id === 'role' ? 'role_1' : id, name: { 'zh-CN': t('新角色', 'New role') } });
          })}>
          {t('添加角色', 'Add role')}
        </Button>
      </div>
      <Alert type="info" showIcon className="mb8"
        title={t('角色成员由管理员在用户管理中分配（例如 formwork user 命令或用户接口）；这里定义应用有哪些角色，并在表单权限和审批人规则中使用。', 'Admins assign people to roles in user administration (the formwork user command or the users API). Here you define the roles the app has and use them in form permissions and approver rules.')} />
      <Table<RoleDef>
        size="small"
        rowKey={(_, i) => String(i)}
        pagination={false}
        dataSource={roles}
        rowClassName={(_, i) => (selection.type === 'role' && selection.index === i ? 'row-selected' : '')}
        locale={{ emptyText: t('还没有角色', 'No roles yet') }}
        columns={[
          {
            title: t('角色标识', 'Id'),
            width: 200,
            render: (_, r, i) => {
              const locked = isLocked('roles', r.id);
              const valid = ID_PATTERN.test(r.id) && roles.filter((x) => x.id === r.id).length === 1;
              return (
                <Input size="small" className="mono" value={r.id} disabled={locked} status={valid && !problems.has(`role:${i}`) ? undefined : 'error'}
                  aria-label={t('角色标识', 'Role id')} suffix={locked ? <Tooltip title={t('已发布，不可修改', 'Published; cannot change')}><LockOutlined /></Tooltip> : undefined}
                  onChange={(e) => edit((rs) => { rs[i].id = e.target.value.trim(); }, `role-id-${i}`)} />
              );
            },
          },
          {
            title: t('名称（中文）', 'Name (Chinese)'),
            render: (_, r, i) => <Input size="small" value={r.name['zh-CN']} aria-label={t('角色名称（中文）', 'Role name (Chinese)')} status={r.name['zh-CN'] ? undefined : 'error'}
              onChange={(e) => edit((rs) => { rs[i].name = { ...rs[i].name, 'zh-CN': e.target.value }; }, `role-zh-${i}`)} />,
          },
          {
            title: t('名称（英文）', 'Name (English)'),
            render: (_, r, i) => <Input size="small" value={r.name.en ?? ''} aria-label={t('角色名称（英文）', 'Role name (English)')}
              onChange={(e) => edit((rs) => {
                const { en: _old, ...rest } = rs[i].name;
                rs[i].name = e.target.value ? { ...rest, 'zh-CN': rest['zh-CN'], en: e.target.value } : { ...rest, 'zh-CN': rest['zh-CN'] };
              }, `role-en-${i}`)} />,
          },
          {
            title: t('用于', 'Used by'),
            render: (_, r) => {
              const uses = roleUses(pkg, r.id);
              return uses.length ? uses.slice(0, 3).map((u) => <Tag key={u}>{u}</Tag>).concat(uses.length > 3 ? [<Tag key="more">+{uses.length - 3}</Tag>] : []) : <Typography.Text type="secondary">{t('未使用', 'Unused')}</Typography.Text>;
            },
          },
          {
            title: '',
            width: 48,
            render: (_, r, i) => (
              <Popconfirm
                title={t('删除角色？', 'Remove the role?')}
                description={roleUses(pkg, r.id).length ? t('它仍被表单权限或审批人使用，删除后这些地方会报错。', 'Permissions or approvers still use it; they will report problems.') : undefined}
                okText={t('删除', 'Remove')} cancelText={t('取消', 'Cancel')}
                onConfirm={() => edit((rs) => { rs.splice(i, 1); })}>
                <Button size="small" type="text" icon={<DeleteOutlined />} aria-label={t('删除角色', 'Remove role')} disabled={isLocked('roles', r.id)} />
              </Popconfirm>
            ),
          },
        ]}
      />
      <Typography.Text type="secondary" className="small">
        {t(`提示：系统角色 app_designer（应用设计者）由管理员授予，不需要在应用里定义。`, 'Note: the system role app_designer is granted by admins and needs no definition here.')}
      </Typography.Text>
    </div>
  );
}
