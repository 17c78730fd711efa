import { Segmented, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import type { Me } from '../api/client';
import { useLangStore } from '../i18n/lang';

/** The designer's header: brand, what the page adds, language switch, who is signed in. */
export function TopBar({ me, children, extra }: { me: Me; children?: ReactNode; extra?: ReactNode }) {
  const { lang, setLang } = useLangStore();
  return (
    <header className="topbar">
      <a className="brand" href="/designer/" aria-label="Formwork">
        <span className="brand-mark" aria-hidden="true">F</span>
        <span>{lang === 'en' ? 'Designer' : '设计器'}</span>
      </a>
      <div className="topbar-main">{children}</div>
      <Space size="middle">
        {extra}
        <Segmented
          size="small"
          value={lang}
          onChange={(v) => setLang(v as 'zh-CN' | 'en')}
          options={[
            { label: '中文', value: 'zh-CN' },
            { label: 'EN', value: 'en' },
          ]}
          aria-label="Language / 语言"
        />
        <Typography.Text type="secondary" title={me.username}>
          {me.display_name}
        </Typography.Text>
        <a href="/">{lang === 'en' ? 'Home' : '返回首页'}</a>
      </Space>
    </header>
  );
}
