// Properties of a flow: name, the form whose submissions start it, and the columns the
// approvers' inbox shows for its tasks.

import { ArrowDownOutlined, ArrowUpOutlined } from '@ant-design/icons';
import { Button, Flex, Select, Typography } from 'antd';
import { TextPair } from '../components/TextPair';
import { useLang, useT } from '../i18n/lang';
import { moveInboxColumn, setInboxColumns } from '../model/access';
import { fieldOrder } from '../model/form';
import { textOf, type FormDef, type ProcessDef } from '../model/package';
import { useEditor } from '../state/editor';
import { editProcess } from './edit';

/** The fields the inbox shows as columns for this flow's tasks, in order. */
function InboxColumns({ proc, form }: { proc: ProcessDef; form: FormDef | undefined }) {
  const t = useT();
  const lang = useLang();
  if (!form) return null;
  const cols = proc.inbox_columns ?? [];
  const label = (k: string) => textOf(form.ui?.fields?.[k]?.label, lang) || k;
  return (
    <div className="prop-block inbox-columns">
      <div className="prop-label">{t('待办列表显示的列', 'Inbox columns')}</div>
      <Select mode="multiple" size="small" style={{ width: '100%' }} allowClear value={cols} optionFilterProp="label"
        aria-label={t('待办列表显示的列', 'Inbox columns')}
        placeholder={t('不选则只显示标题、发起人和时间', 'None: only title, submitter and time')}
        onChange={(ks: string[]) => editProcess(proc.id, (p) => setInboxColumns(p, ks))}
        options={fieldOrder(form).filter((k) => form.schema.properties?.[k]?.type !== 'array').map((k) => ({ value: k, label: label(k) }))} />
      {cols.length > 1 && (
        <Flex vertical gap={2} className="mt8">
          {cols.map((k, i) => (
            <Flex key={k} align="center" gap={4} className="small">
              <span className="muted">{i + 1}.</span><span style={{ flex: 1 }}>{label(k)}</span>
              <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={i === 0} aria-label={t(`${label(k)} 前移`, `Move ${label(k)} up`)}
                onClick={() => editProcess(proc.id, (p) => moveInboxColumn(p, k, -1))} />
              <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={i === cols.length - 1} aria-label={t(`${label(k)} 后移`, `Move ${label(k)} down`)}
                onClick={() => editProcess(proc.id, (p) => moveInboxColumn(p, k, 1))} />
            </Flex>
          ))}
        </Flex>
      )}
      <Typography.Text type="secondary" className="small">
        {t('审批人在“待办”中看到这些字段；某一步隐藏的字段在该步仍不显示。', 'Approvers see these fields in their inbox; a field hidden at a step stays hidden there.')}
      </Typography.Text>
    </div>
  );
}

export function ProcessPanel({ proc }: { proc: ProcessDef }) {
  const t = useT();
  const lang = useLang();
  const forms = useEditor((s) => s.present?.forms ?? []);
  const form = forms.find((f) => f.id === proc.form);
  return (
    <div className="prop-panel" aria-label={t('流程属性', 'Flow properties')}>
      <div className="panel-title"><Typography.Text strong>{t('流程属性', 'Flow')}</Typography.Text><Typography.Text code>{proc.id}</Typography.Text></div>
      <div className="prop-block">
        <div className="prop-label">{t('流程名称', 'Name')}</div>
        <TextPair idPrefix="process-name" value={proc.name} onChange={(n) => editProcess(proc.id, (p) => { p.name = n ?? { 'zh-CN': '' }; }, 'name')} />
      </div>
      <div className="prop-block">
        <div className="prop-label">{t('发起表单', 'Started by form')}</div>
        <Select size="small" style={{ width: '100%' }} value={proc.form} onChange={(f: string) => editProcess(proc.id, (p) => { p.form = f; })}
          options={forms.map((f) => ({ value: f.id, label: textOf(f.name, lang) }))} aria-label={t('发起表单', 'Started by form')} />
      </div>
      <InboxColumns proc={proc} form={form} />
      <Typography.Paragraph type="secondary" className="small">
        {t('点击节点或连线编辑其属性。把鼠标移到连线上点击 + 插入节点；从节点下方的圆点拖出可以连线；选中后按 Delete 删除。', 'Click a node or connection to edit it. Use + on a connection to insert a node; drag from the dot under a node to connect; select and press Delete to remove.')}
      </Typography.Paragraph>
      <Typography.Paragraph type="secondary" className="small">
        {t(`共 ${proc.nodes.length} 个节点、${proc.edges.length} 条连线。`, `${proc.nodes.length} nodes, ${proc.edges.length} connections.`)}
      </Typography.Paragraph>
    </div>
  );
}
