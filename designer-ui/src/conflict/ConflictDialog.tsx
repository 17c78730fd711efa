// A save refused because someone else saved the draft meanwhile (412): both sides' changes in
// words, the local copy kept until the analyst decides. Merge takes what each side changed
// (the local edit wins where both changed one thing, and says where); overwrite keeps only the
// local copy; discarding mine takes theirs, after offering a download of mine.

import { App as AntApp, Button, Col, Modal, Row, Typography } from 'antd';
import { useMemo } from 'react';
import { downloadJson } from '../components/download';
import { useT } from '../i18n/lang';
import { diffPackages } from '../model/diff';
import { merge3 } from '../model/merge';
import { ChangeList } from '../publish/PublishPanel';
import { saveNow } from '../state/autosave';
import { useEditor } from '../state/editor';

export function ConflictDialog() {
  const t = useT();
  const { message } = AntApp.useApp();
  const conflict = useEditor((s) => s.conflict);
  const saved = useEditor((s) => s.saved);
  const present = useEditor((s) => s.present);
  const theirs = useMemo(() => (conflict && saved ? diffPackages(saved, conflict.theirs) : []), [conflict, saved]);
  const mine = useMemo(() => (conflict && saved && present ? diffPackages(saved, present) : []), [conflict, saved, present]);
  if (!conflict || !saved || !present) return null;

  const resolve = (next: 'merge' | 'mine' | 'theirs') => {
    const s = useEditor.getState();
    if (next === 'theirs') {
      useEditor.setState({ rev: conflict.theirsRev, saved: conflict.theirs, conflict: null, saveState: 'dirty' });
      s.replace(conflict.theirs);
      // The server already has exactly this; nothing to save.
      useEditor.setState({ saved: useEditor.getState().present, saveState: 'saved' });
      return;
    }
    if (next === 'merge') {
      const merged = merge3(saved, present, conflict.theirs);
      useEditor.setState({ rev: conflict.theirsRev, saved: conflict.theirs, conflict: null, saveState: 'dirty' });
      s.replace(merged.value);
      if (merged.conflicts.length) {
        message.warning(t(`已合并；${merged.conflicts.length} 处双方都改过，保留了我的修改：${merged.conflicts.join('、')}`, `Merged; kept my edit at ${merged.conflicts.length} place(s) both changed: ${merged.conflicts.join(', ')}`), 8);
      } else message.success(t('已合并双方的修改', 'Both edits merged'));
    } else {
      useEditor.setState({ rev: conflict.theirsRev, saved: conflict.theirs, conflict: null, saveState: 'dirty' });
    }
    void saveNow();
  };

  return (
    <Modal
      open
      closable={false}
      mask={{ closable: false }}
      width={820}
      title={t('草稿已被他人修改', 'Someone else changed the draft')}
      footer={[
        <Button key="download" onClick={() => downloadJson(`${present.id}-my-copy.json`, present)}>{t('下载我的副本', 'Download my copy')}</Button>,
        <Button key="theirs" danger onClick={() => resolve('theirs')}>{t('放弃我的修改', 'Discard mine')}</Button>,
        <Button key="mine" onClick={() => resolve('mine')}>{t('用我的版本覆盖', 'Overwrite with mine')}</Button>,
        <Button key="merge" type="primary" onClick={() => resolve('merge')}>{t('合并双方修改', 'Merge both')}</Button>,
      ]}
    >
      <Typography.Paragraph type="secondary">
        {t('你编辑期间，其他人保存了这个草稿。你的修改仍保留在本页（并已备份在本机），请选择如何处理。', 'While you edited, someone else saved this draft. Your edits are still here (and backed up on this computer); choose what to do.')}
      </Typography.Paragraph>
      <Row gutter={16}>
        <Col span={12}>
          <Typography.Title level={5}>{t(`对方的修改（${theirs.length}）`, `Their changes (${theirs.length})`)}</Typography.Title>
          <ChangeList changes={theirs} />
        </Col>
        <Col span={12}>
          <Typography.Title level={5}>{t(`我的修改（${mine.length}）`, `My changes (${mine.length})`)}</Typography.Title>
          <ChangeList changes={mine} />
        </Col>
      </Row>
    </Modal>
  );
}
