// Two inputs for one analyst text: zh-CN (required) and English.

import { Flex, Input } from 'antd';
import type { Text } from '../model/package';
import { useT } from '../i18n/lang';

export function TextPair({
  value,
  onChange,
  idPrefix,
  multiline,
  required = true,
}: {
  value: Partial<Text> | undefined;
  onChange: (t: Text | undefined) => void;
  idPrefix: string;
  multiline?: boolean;
  required?: boolean;
}) {
  const t = useT();
  const set = (lang: 'zh-CN' | 'en', v: string) => {
    const next = { ...(value ?? {}), [lang]: v } as Text;
    if (!next.en) delete next.en;
    if (!required && !next['zh-CN'] && !next.en) onChange(undefined);
    else onChange(next);
  };
  const zh = value?.['zh-CN'] ?? '';
  const en = value?.en ?? '';
  const zhError = required && !zh ? 'error' : undefined;
  if (multiline) {
    return (
      <Flex vertical gap={4}>
        <Input.TextArea id={`${idPrefix}-zh`} aria-label={t('中文', 'Chinese')} placeholder={t('中文', 'Chinese')} value={zh} status={zhError}
          autoSize={{ minRows: 1, maxRows: 4 }} onChange={(e) => set('zh-CN', e.target.value)} />
        <Input.TextArea id={`${idPrefix}-en`} aria-label={t('英文', 'English')} placeholder={t('英文（可选）', 'English (optional)')} value={en}
          autoSize={{ minRows: 1, maxRows: 4 }} onChange={(e) => set('en', e.target.value)} />
      </Flex>
    );
  }
  return (
    <Flex vertical gap={4}>
      <Input id={`${idPrefix}-zh`} aria-label={t('中文', 'Chinese')} placeholder={t('中文', 'Chinese')} value={zh} status={zhError}
        prefix={<span className="lang-tag">中</span>} onChange={(e) => set('zh-CN', e.target.value)} />
      <Input id={`${idPrefix}-en`} aria-label={t('英文', 'English')} placeholder={t('英文（可选）', 'English (optional)')} value={en}
        prefix={<span className="lang-tag">EN</span>} onChange={(e) => set('en', e.target.value)} />
    </Flex>
  );
}
