import { Button, Drawer } from 'antd';
import { useState } from 'react';
import { validateDraft } from '../api/apps';
import { useT } from '../i18n/lang';
import { saveNow } from '../state/autosave';
import { useEditor } from '../state/editor';
import { ProblemsList } from './ProblemsList';

/** Validates the saved draft on the server and lists every problem. */
export async function runValidation(): Promise<boolean> {
  await saveNow();
  const s = useEditor.getState();
  if (!s.appId) return false;
  const result = await validateDraft(s.appId);
  s.setProblems(result.problems);
  return result.valid;
}

export function ProblemsDrawer({ open, onClose, onPick }: { open: boolean; onClose: () => void; onPick: (pointer: string) => void }) {
  const t = useT();
  const problems = useEditor((s) => s.problems);
  const pkg = useEditor((s) => s.present)!;
  const [busy, setBusy] = useState(false);
  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={t(`问题（${problems.length}）`, `Problems (${problems.length})`)}
      size={480}
      extra={<Button loading={busy} onClick={async () => { setBusy(true); try { await runValidation(); } finally { setBusy(false); } }}>{t('重新校验', 'Validate again')}</Button>}
    >
      <ProblemsList problems={problems} pkg={pkg} onPick={onPick} />
    </Drawer>
  );
}
