// Properties of one connection: for a condition node's edges the condition (builder) or the
// default branch, and their order; for a person's step, which action takes it.

import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined } from '@ant-design/icons';
import { Alert, Button, Flex, Radio, Typography } from 'antd';
import { fieldRefs } from '../form/fieldRefs';
import { useLang, useT } from '../i18n/lang';
import type { EdgeAction, ProcessDef } from '../model/package';
import { isHuman, removeEdge, setDefaultEdge, shiftEdge } from '../model/process';
import { ConditionBuilder } from '../rules/ConditionBuilder';
import { useEditor } from '../state/editor';
import { useProblemIndex } from '../state/problems';
import { editProcess } from './edit';
import { nameOf } from './words';

export function EdgePanel({ proc, index }: { proc: ProcessDef; index: number }) {
  const t = useT();
  const lang = useLang();
  const edge = proc.edges[index];
  const from = proc.nodes.find((n) => n.id === edge.from);
  const to = proc.nodes.find((n) => n.id === edge.to);
  const form = useEditor((s) => s.present?.forms?.find((f) => f.id === proc.form));
  const problems = useProblemIndex().get(`edge:${proc.id}:${index}`);
  const siblings = proc.edges.map((e, i) => [e, i] as const).filter(([e]) => e.from === edge.from);
  const position = siblings.findIndex(([, i]) => i === index);
  const patch = (fn: (p: ProcessDef) => void, coalesce?: string) => editProcess(proc.id, fn, coalesce ? `edge-${index}-${coalesce}` : undefined);
  return (
    <div className="prop-panel" aria-label={t('连线属性', 'Connection properties')}>
      <div className="panel-title"><Typography.Text strong>{t('连线', 'Connection')}</Typography.Text></div>
      <Typography.Paragraph className="small">
        {nameOf(from?.name, edge.from, lang)} → {nameOf(to?.name, edge.to, lang)}
      </Typography.Paragraph>
      {problems && <Alert type="error" showIcon className="panel-alert" title={problems.map((p) => p.message).join('；')} />}
      {from?.kind === 'condition' && (
        <>
          <Flex justify="space-between" align="center" className="mb8">
            <Typography.Text>{t(`优先级 ${position + 1} / ${siblings.length}`, `Tried ${position + 1} of ${siblings.length}`)}</Typography.Text>
            <span>
              <Button size="small" icon={<ArrowUpOutlined />} disabled={position <= 0} aria-label={t('提前', 'Earlier')}
                onClick={() => { patch((p) => shiftEdge(p, index, -1)); useEditor.getState().select({ type: 'edge', process: proc.id, edge: siblings[position - 1][1] }); }} />
              <Button size="small" icon={<ArrowDownOutlined />} disabled={position >= siblings.length - 1} aria-label={t('延后', 'Later')}
                onClick={() => { patch((p) => shiftEdge(p, index, 1)); useEditor.getState().select({ type: 'edge', process: proc.id, edge: siblings[position + 1][1] }); }} />
            </span>
          </Flex>
          <Radio.Group size="small" className="prop-block" value={edge.default ? 'default' : 'when'}
            onChange={(e) => patch((p) => {
              if (e.target.value === 'default') setDefaultEdge(p, index);
              else delete p.edges[index].default;
            })}
            options={[{ value: 'when', label: t('满足条件时', 'When a condition holds') }, { value: 'default', label: t('默认分支（其他情况）', 'Default (otherwise)') }]} />
          {!edge.default && (
            <ConditionBuilder value={edge.when || undefined} fields={fieldRefs(form)}
              onChange={(when) => patch((p) => {
                if (when) p.edges[index].when = when;
                else delete p.edges[index].when;
              }, 'when')} />
          )}
          <Typography.Text type="secondary" className="small">{t('条件按优先级依次判断，第一个满足的分支生效；都不满足时走默认分支。', 'Conditions are tried in order; the first that holds wins; otherwise the default branch.')}</Typography.Text>
        </>
      )}
      {isHuman(from) && (
        <div className="prop-block">
          <div className="prop-label">{t('何时走这条线', 'Taken when')}</div>
          <Radio.Group size="small" value={edge.on ?? (from?.kind === 'fill' ? 'submit' : 'approve')}
            onChange={(e) => patch((p) => { p.edges[index].on = e.target.value as EdgeAction; })}
            options={from?.kind === 'fill'
              ? [{ value: 'submit', label: t('提交', 'Submit') }, { value: 'withdraw', label: t('撤回', 'Withdraw') }]
              : [{ value: 'approve', label: t('同意', 'Approve') }, { value: 'reject', label: t('驳回', 'Reject') }, { value: 'return', label: t('退回', 'Return') }]} />
        </div>
      )}
      <Button danger size="small" icon={<DeleteOutlined />} className="mt8"
        onClick={() => { patch((p) => removeEdge(p, index)); useEditor.getState().select({ type: 'none' }); }}>
        {t('删除连线', 'Remove connection')}
      </Button>
    </div>
  );
}
