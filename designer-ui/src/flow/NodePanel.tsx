// Properties of one node: name and id for all; for approvals the assignee rule, mode, deadline
// with reminder and escalation, the empty-assignee fallback and the field permission grid;
// fill, cc, action, wait and end have their own few settings.

import { LockOutlined } from '@ant-design/icons';
import { Alert, Collapse, Flex, Input, InputNumber, Radio, Select, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { TextPair } from '../components/TextPair';
import { fieldRefs } from '../form/fieldRefs';
import { useLang, useT } from '../i18n/lang';
import { fieldOrder } from '../model/form';
import { ID_PATTERN } from '../model/keys';
import type { ApprovalMode, DeadlineDef, FallbackDef, FieldAccess, NodeDef, Outcome, ProcessDef } from '../model/package';
import { textOf } from '../model/package';
import { followName, nodeSpec, renameNode } from '../model/process';
import { isLocked, useEditor } from '../state/editor';
import { useProblemIndex } from '../state/problems';
import { AssigneeEditor } from './AssigneeEditor';
import { editProcess } from './edit';

type Editable = Extract<NodeDef, { kind: 'approval' | 'fill' }>;

/** Editable / read-only / hidden per field; `visible` is the model's word for read-only. */
function FieldGrid({ proc, node }: { proc: ProcessDef; node: Editable }) {
  const t = useT();
  const lang = useLang();
  const form = useEditor((s) => s.present?.forms?.find((f) => f.id === proc.form));
  if (!form) return null;
  const set = (key: string, access: FieldAccess | 'default') =>
    editProcess(proc.id, (p) => {
      const n = p.nodes.find((x) => x.id === node.id) as Editable | undefined;
      if (!n) return;
      n.fields ??= {};
      if (access === 'default') delete n.fields[key];
      else n.fields[key] = access;
      if (!Object.keys(n.fields).length) delete n.fields;
    });
  const setAll = (access: FieldAccess | 'default') =>
    editProcess(proc.id, (p) => {
      const n = p.nodes.find((x) => x.id === node.id) as Editable | undefined;
      if (!n) return;
      if (access === 'default') delete n.fields;
      else n.fields = Object.fromEntries(fieldOrder(form).map((k) => [k, access]));
    });
  const options = [
    { value: 'default', label: t('默认', 'Default') },
    { value: 'editable', label: t('可编辑', 'Editable') },
    { value: 'visible', label: t('只读', 'Read-only') },
    { value: 'hidden', label: t('隐藏', 'Hidden') },
  ];
  return (
    <>
      <Flex gap={4} align="center" className="small mb8">
        {t('全部设为', 'Set all to')}
        <Select size="small" value={null} placeholder={t('选择', 'Choose')} onChange={setAll} options={options} popupMatchSelectWidth={false} aria-label={t('全部设为', 'Set all to')} />
      </Flex>
      <Table
        size="small"
        pagination={false}
        rowKey="key"
        className="field-grid"
        dataSource={fieldOrder(form).map((key) => ({ key, label: textOf(form.ui?.fields?.[key]?.label, lang) || key }))}
        columns={[
          { title: t('字段', 'Field'), dataIndex: 'label' },
          {
            title: t('此步骤中', 'At this step'),
            width: 220,
            render: (_, row) => (
              <Radio.Group size="small" optionType="button" value={node.fields?.[row.key] ?? 'default'} onChange={(e) => set(row.key, e.target.value)}
                options={options} aria-label={row.label} />
            ),
          },
        ]}
      />
      <Typography.Text type="secondary" className="small">{t('“默认”：审批人可查看、不可修改。', '"Default": approvers see the field and cannot change it.')}</Typography.Text>
    </>
  );
}

function DeadlineEditor({ value, onChange, dateFields, withEscalation }: {
  value: DeadlineDef | undefined;
  onChange: (d: DeadlineDef | undefined) => void;
  dateFields: Array<{ value: string; label: string }>;
  withEscalation: boolean;
}) {
  const t = useT();
  const on = value !== undefined;
  const d = value ?? {};
  const by = d.until_field ? 'field' : 'hours';
  return (
    <div className="deadline">
      <label className="prop-inline"><span>{t('设置处理期限', 'Has a deadline')}</span>
        <Switch size="small" checked={on} onChange={(v) => onChange(v ? { hours: 48, remind_before_hours: 8 } : undefined)} aria-label={t('设置处理期限', 'Has a deadline')} /></label>
      {on && (
        <>
          <Radio.Group size="small" value={by} onChange={(e) => onChange(e.target.value === 'field' ? { ...d, hours: undefined, until_field: dateFields[0]?.value ?? '' } : { ...d, until_field: undefined, hours: 48 })}
            options={[{ value: 'hours', label: t('到达后若干小时', 'Hours after arrival') }, { value: 'field', label: t('表单中的日期', 'A date of the form') }]} />
          {by === 'hours' ? (
            <label className="prop-inline"><span>{t('期限（小时）', 'Hours')}</span>
              <InputNumber size="small" min={1} value={d.hours ?? null} onChange={(v) => onChange({ ...d, hours: v === null ? undefined : Number(v) })} /></label>
          ) : (
            <Select size="small" value={d.until_field || undefined} options={dateFields} onChange={(f: string) => onChange({ ...d, until_field: f })} aria-label={t('日期字段', 'Date field')} />
          )}
          <label className="prop-inline"><span>{t('提前提醒（小时）', 'Remind before (hours)')}</span>
            <InputNumber size="small" min={0} value={d.remind_before_hours ?? null} onChange={(v) => onChange({ ...d, remind_before_hours: v === null ? undefined : Number(v) })} /></label>
          {withEscalation && (
            <>
              <label className="prop-inline"><span>{t('超时后', 'When overdue')}</span>
                <Select size="small" style={{ minWidth: 150 }} value={d.escalate?.type ?? 'none'} popupMatchSelectWidth={false}
                  onChange={(v: string) => onChange({ ...d, escalate: v === 'none' ? undefined : v === 'reassign' ? { type: 'reassign', username: '' } : ({ type: v } as DeadlineDef['escalate']) })}
                  options={[
                    { value: 'none', label: t('仅提醒', 'Only remind') },
                    { value: 'notify_head', label: t('通知上级', 'Notify the head') },
                    { value: 'reassign', label: t('转交给', 'Reassign to') },
                    { value: 'auto_approve', label: t('自动同意', 'Approve automatically') },
                    { value: 'auto_reject', label: t('自动驳回', 'Reject automatically') },
                  ]} /></label>
              {d.escalate?.type === 'reassign' && (
                <Input size="small" placeholder={t('用户名', 'Username')} value={d.escalate.username}
                  onChange={(e) => onChange({ ...d, escalate: { type: 'reassign', username: e.target.value.trim() } })} aria-label={t('转交给', 'Reassign to')} />
              )}
            </>
          )}
        </>
      )}
    </div>
  );
}

function NodeIdField({ proc, node }: { proc: ProcessDef; node: NodeDef }) {
  const t = useT();
  const [draft, setDraft] = useState(node.id);
  useEffect(() => setDraft(node.id), [node.id]);
  const locked = isLocked(`process:${proc.id}`, node.id);
  const error = draft === node.id ? null : !ID_PATTERN.test(draft) ? t('小写字母开头，可含数字、- 和 _', 'Lower-case letter first; digits, - and _') : proc.nodes.some((n) => n.id === draft) ? t('已有同名节点', 'Another node has this id') : null;
  const commit = () => {
    if (error || draft === node.id) return setDraft(node.id);
    editProcess(proc.id, (p) => renameNode(p, node.id, draft));
    useEditor.getState().select({ type: 'node', process: proc.id, node: draft });
  };
  return (
    <div className="prop-block">
      <div className="prop-label">{t('节点标识', 'Node id')}{locked && <Tooltip title={t('已发布的节点标识不可修改：进行中的流程实例在使用它', 'Published node ids cannot change: running instances use them')}><Tag icon={<LockOutlined />}>{t('已锁定', 'Locked')}</Tag></Tooltip>}</div>
      <Input size="small" className="mono" value={draft} disabled={locked} status={error ? 'error' : undefined} onChange={(e) => setDraft(e.target.value)} onBlur={commit} onPressEnter={commit} aria-label={t('节点标识', 'Node id')} />
      {error && <Typography.Text type="danger" className="small">{error}</Typography.Text>}
    </div>
  );
}

export function NodePanel({ proc, nodeId }: { proc: ProcessDef; nodeId: string }) {
  const t = useT();
  const lang = useLang();
  const node = proc.nodes.find((n) => n.id === nodeId)!;
  const roles = useEditor((s) => s.present?.roles ?? []);
  const form = useEditor((s) => s.present?.forms?.find((f) => f.id === proc.form));
  const problems = useProblemIndex().get(`node:${proc.id}:${nodeId}`);
  const refs = fieldRefs(form);
  const dateFields = refs.filter((f) => f.kind === 'date' || f.kind === 'datetime').map((f) => ({ value: f.key, label: textOf(f.label, lang) }));
  const patch = <K extends NodeDef['kind']>(fn: (n: Extract<NodeDef, { kind: K }>) => void, coalesce?: string) =>
    editProcess(proc.id, (p) => {
      const n = p.nodes.find((x) => x.id === nodeId);
      if (n) fn(n as Extract<NodeDef, { kind: K }>);
    }, coalesce ? `${nodeId}:${coalesce}` : undefined);

  const sections = [];
  if (node.kind === 'approval' || node.kind === 'fill' || node.kind === 'cc') {
    sections.push({
      key: 'assignee',
      label: node.kind === 'cc' ? t('抄送给', 'Copy to') : node.kind === 'fill' ? t('填写人', 'Who fills in') : t('审批人', 'Approvers'),
      children: <AssigneeEditor idPrefix={`node-${nodeId}`} value={node.assignee} roles={roles} fields={refs}
        onChange={(a, c) => patch<'approval'>((n) => { n.assignee = a; }, c ? `assignee-${c}` : undefined)} />,
    });
  }
  if (node.kind === 'approval') {
    sections.push({
      key: 'mode',
      label: t('多人审批方式', 'When several approve'),
      children: (
        <>
          <Radio.Group size="small" value={node.mode ?? 'single'} className="mode-radio"
            onChange={(e) => patch<'approval'>((n) => {
              n.mode = e.target.value as ApprovalMode;
              if (n.mode === 'vote') n.ratio ??= 0.5;
              else delete n.ratio;
            })}
            options={[
              { value: 'single', label: t('单人', 'Single') },
              { value: 'all', label: t('会签', 'All (会签)') },
              { value: 'any', label: t('或签', 'Any (或签)') },
              { value: 'sequential', label: t('依次', 'In turn (依次)') },
              { value: 'vote', label: t('票签', 'Vote') },
            ]} />
          {node.mode === 'vote' && (
            <label className="prop-inline"><span>{t('同意比例 (%)', 'Approval share (%)')}</span>
              <InputNumber size="small" min={1} max={100} value={Math.round((node.ratio ?? 0.5) * 100)} onChange={(v) => patch<'approval'>((n) => { n.ratio = Math.min(1, Math.max(0.01, Number(v ?? 50) / 100)); })} /></label>
          )}
          <label className="prop-inline"><span>{t('与前面审批人相同时自动同意', 'Auto-approve a repeat approver')}</span>
            <Switch size="small" checked={node.auto_approve_repeat ?? false} onChange={(v) => patch<'approval'>((n) => { n.auto_approve_repeat = v; })} /></label>
          <label className="prop-inline"><span>{t('驳回、退回时可不填理由', 'Reject or return without a reason')}</span>
            <Switch size="small" checked={node.reason_optional ?? false} aria-label={t('驳回、退回时可不填理由', 'Reject or return without a reason')}
              onChange={(v) => patch<'approval'>((n) => { if (v) n.reason_optional = true; else delete n.reason_optional; })} /></label>
          <Typography.Text type="secondary" className="small">{t('默认必须填写理由，提交人才知道要改什么。', 'By default a reason is required, so the submitter knows what to change.')}</Typography.Text>
        </>
      ),
    });
    sections.push({
      key: 'fallback',
      label: t('找不到审批人时', 'When nobody is found'),
      children: (
        <>
          <Select size="small" style={{ width: '100%' }} value={node.fallback?.type ?? 'stop'} aria-label={t('找不到审批人时', 'When nobody is found')}
            onChange={(v: FallbackDef['type']) => patch<'approval'>((n) => { n.fallback = v === 'user' ? { type: 'user', username: '' } : { type: v }; })}
            options={[
              { value: 'stop', label: t('暂停流程并提示管理员', 'Stop and tell the admin') },
              { value: 'skip', label: t('自动跳过（视为同意）', 'Skip (as approved)') },
              { value: 'user', label: t('转交给指定成员', 'Give it to a person') },
            ]} />
          {node.fallback?.type === 'user' && (
            <Input size="small" placeholder={t('用户名', 'Username')} value={node.fallback.username} aria-label={t('转交给', 'Give to')}
              onChange={(e) => patch<'approval'>((n) => { n.fallback = { type: 'user', username: e.target.value.trim() }; }, 'fallback-user')} />
          )}
        </>
      ),
    });
  }
  if (node.kind === 'approval' || node.kind === 'fill') {
    sections.push({
      key: 'deadline',
      label: t('期限、提醒与超时', 'Deadline, reminder, escalation'),
      children: <DeadlineEditor value={node.deadline} dateFields={dateFields} withEscalation={node.kind === 'approval'}
        onChange={(d) => patch<'approval'>((n) => { if (d) n.deadline = d; else delete n.deadline; }, 'deadline')} />,
    });
    sections.push({ key: 'fields', label: t('字段权限', 'Field access'), children: <FieldGrid proc={proc} node={node} /> });
  }
  if (node.kind === 'end') {
    sections.push({
      key: 'outcome',
      label: t('结束结果', 'Outcome'),
      children: <Radio.Group size="small" value={node.outcome} onChange={(e) => patch<'end'>((n) => { n.outcome = e.target.value as Outcome; })}
        options={[{ value: 'approved', label: t('通过', 'Approved') }, { value: 'rejected', label: t('驳回', 'Rejected') }, { value: 'withdrawn', label: t('撤回', 'Withdrawn') }, { value: 'completed', label: t('完成', 'Completed') }]} />,
    });
  }
  if (node.kind === 'wait') {
    sections.push({
      key: 'wait',
      label: t('等待', 'Wait'),
      children: (
        <>
          <Radio.Group size="small" value={node.until_field ? 'field' : 'hours'}
            onChange={(e) => patch<'wait'>((n) => {
              if (e.target.value === 'field') { delete n.hours; n.until_field = dateFields[0]?.value ?? ''; } else { delete n.until_field; n.hours = 24; }
            })}
            options={[{ value: 'hours', label: t('等待若干小时', 'For some hours') }, { value: 'field', label: t('等到表单中的日期', 'Until a date of the form') }]} />
          {node.until_field !== undefined ? (
            <Select size="small" value={node.until_field || undefined} options={dateFields} onChange={(f: string) => patch<'wait'>((n) => { n.until_field = f; })} aria-label={t('日期字段', 'Date field')} />
          ) : (
            <InputNumber size="small" min={1} value={node.hours ?? null} onChange={(v) => patch<'wait'>((n) => { n.hours = v === null ? undefined : Number(v); })} aria-label={t('小时', 'Hours')} />
          )}
        </>
      ),
    });
  }
  if (node.kind === 'action') {
    const set = node.set ?? {};
    sections.push({
      key: 'set',
      label: t('设置字段', 'Set fields'),
      children: (
        <>
          {fieldOrder(form ?? { id: '', name: { 'zh-CN': '' }, schema: {} }).map((key) => (
            <label key={key} className="prop-block">
              <span className="prop-label small">{textOf(form?.ui?.fields?.[key]?.label, lang) || key}</span>
              <Input size="small" className="mono" placeholder={t('不修改；或填写公式，如 "已立项"', 'Unchanged; or a formula, e.g. "approved"')} value={set[key] ?? ''}
                onChange={(e) => patch<'action'>((n) => {
                  n.set ??= {};
                  if (e.target.value) n.set[key] = e.target.value;
                  else delete n.set[key];
                }, `set-${key}`)} />
            </label>
          ))}
        </>
      ),
    });
  }

  return (
    <div className="prop-panel" aria-label={t('节点属性', 'Node properties')}>
      <div className="panel-title">
        <Typography.Text strong>{textOf(nodeSpec(node.kind)?.label, lang)}</Typography.Text>
      </div>
      {problems && <Alert type="error" showIcon className="panel-alert" title={problems.map((p) => p.message).join('；')} />}
      <div className="prop-block">
        <div className="prop-label">{t('节点名称', 'Name')}</div>
        <TextPair idPrefix="node-name" value={node.name} onChange={(n) => patch((x) => {
          // An English name nobody typed follows the Chinese one (or is generated from a role).
          if (n) x.name = followName(x.name, n, roles);
          else delete x.name;
        }, 'name')} />
      </div>
      <NodeIdField proc={proc} node={node} />
      {sections.length > 0 && <Collapse size="small" className="prop-collapse" defaultActiveKey={sections.map((s) => s.key).filter((k) => k !== 'fields')} items={sections} />}
    </div>
  );
}
