// App settings: name and description (zh-CN / en), the id, export of the draft.

import { DownloadOutlined } from '@ant-design/icons';
import { Button, Descriptions, Typography } from 'antd';
import { downloadJson } from '../components/download';
import { TextPair } from '../components/TextPair';
import { useT } from '../i18n/lang';
import { useEditor } from '../state/editor';

export function SettingsPanel() {
  const t = useT();
  const pkg = useEditor((s) => s.present)!;
  return (
    <div className="single-pane narrow">
      <Typography.Title level={5}>{t('应用设置', 'App settings')}</Typography.Title>
      <div className="prop-block">
        <div className="prop-label">{t('应用名称', 'Name')}</div>
        <TextPair idPrefix="app-name" value={pkg.name} onChange={(n) => useEditor.getState().edit((d) => { d.name = n ?? { 'zh-CN': '' }; }, 'app-name')} />
      </div>
      <div className="prop-block">
        <div className="prop-label">{t('应用描述', 'Description')}</div>
        <TextPair idPrefix="app-desc" multiline required={false} value={pkg.description}
          onChange={(v) => useEditor.getState().edit((d) => { if (v) d.description = v; else delete d.description; }, 'app-desc')} />
      </div>
      <Descriptions size="small" column={1} bordered items={[
        { key: 'id', label: t('应用标识', 'App id'), children: <Typography.Text code>{pkg.id}</Typography.Text> },
        { key: 'forms', label: t('表单', 'Forms'), children: pkg.forms?.length ?? 0 },
        { key: 'processes', label: t('流程', 'Flows'), children: pkg.processes?.length ?? 0 },
        { key: 'reports', label: t('报表（设计器稍后支持）', 'Reports (designer support later)'), children: pkg.reports?.length ?? 0 },
      ]} />
      <Button className="mt8" icon={<DownloadOutlined />} onClick={() => downloadJson(`${pkg.id}-draft.json`, pkg)}>
        {t('导出草稿（应用包 JSON）', 'Export the draft (package JSON)')}
      </Button>
    </div>
  );
}
