// Live preview: the real server-rendered new-record page of the draft form in a frame (not a
// React imitation). Its submit button is the test submit: the server checks the data exactly
// as a real submission and shows its own messages beside each field, and stores nothing.

import { EyeOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Drawer, Flex, Typography } from 'antd';
import { useState } from 'react';
import { previewUrl } from '../api/designer';
import { useT } from '../i18n/lang';
import { saveNow } from '../state/autosave';
import { useEditor } from '../state/editor';

export function PreviewButton({ form }: { form: string }) {
  const t = useT();
  const app = useEditor((s) => s.appId)!;
  // The frame shows the saved draft: it reloads after every save.
  const rev = useEditor((s) => s.rev);
  const [open, setOpen] = useState(false);
  const [nonce, setNonce] = useState(0);
  return (
    <>
      <Button size="small" icon={<EyeOutlined />} className="preview-button"
        onClick={() => { void saveNow().finally(() => setOpen(true)); }}>
        {t('预览与试填', 'Preview and try')}
      </Button>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        size={760}
        title={
          <Flex justify="space-between" align="center">
            <span>{t('预览（服务器真实页面，试填提交不保存数据）', 'Preview (the real server page; a test submit stores nothing)')}</span>
            <Button size="small" icon={<ReloadOutlined />} aria-label={t('刷新预览', 'Reload preview')} onClick={() => setNonce((n) => n + 1)} />
          </Flex>
        }
        destroyOnHidden
        styles={{ body: { padding: 0 } }}
      >
        {open && (
          <iframe key={`${rev}:${nonce}`} className="preview-frame" title={t('表单预览', 'Form preview')} src={previewUrl(app, form, rev * 1000 + nonce)} />
        )}
        <Typography.Text type="secondary" className="preview-hint small">
          {t('修改会自动保存，预览随之刷新。', 'Edits save automatically and the preview follows.')}
        </Typography.Text>
      </Drawer>
    </>
  );
}
