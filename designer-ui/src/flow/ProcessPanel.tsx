// Properties of a flow: name and the form whose submissions start it.

import { Select, Typography } from 'antd';
import { TextPair } from '../components/TextPair';
import { useLang, useT } from '../i18n/lang';
import { textOf, type ProcessDef } from '../model/package';
import { useEditor } from '../state/editor';
import { editProcess } from './edit';

export function ProcessPanel({ proc }: { proc: ProcessDef }) {
  const t = useT();
  const lang = useLang();
  const forms = useEditor((s) => s.present?.forms ?? []);
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
      <Typography.Paragraph type="secondary" className="small">
        {t('点击节点或连线编辑其属性。把鼠标移到连线上点击 + 插入节点；从节点下方的圆点拖出可以连线；选中后按 Delete 删除。', 'Click a node or connection to edit it. Use + on a connection to insert a node; drag from the dot under a node to connect; select and press Delete to remove.')}
      </Typography.Paragraph>
      <Typography.Paragraph type="secondary" className="small">
        {t(`共 ${proc.nodes.length} 个节点、${proc.edges.length} 条连线。`, `${proc.nodes.length} nodes, ${proc.edges.length} connections.`)}
      </Typography.Paragraph>
    </div>
  );
}
