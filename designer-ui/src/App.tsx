// The designer's frame: language, antd theme and locale, the query client, who is signed in
// (the server already refused non-designers with its 403 page; this checks again for a session
// that changed), and the two screens.

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider, Result, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useEffect } from 'react';
import { useMe } from './api/apps';
import { useLang, useT } from './i18n/lang';
import { AppsPage } from './pages/AppsPage';
import { useRouter } from './state/router';

// The editor (form canvas, drag and drop, panels) loads on first use; the app list comes first.
const EditorPage = lazy(() => import('./pages/EditorPage').then((m) => ({ default: m.EditorPage })));

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } },
});

function Screens() {
  const t = useT();
  const me = useMe();
  const route = useRouter((s) => s.route);
  if (me.isPending) return <Spin fullscreen />;
  if (me.isError || !me.data) {
    return <Result status="error" title={t('无法读取登录信息', 'Could not read who is signed in')} subTitle={String(me.error)} />;
  }
  const designer = me.data.is_admin || me.data.roles.includes('app_designer');
  if (!designer) {
    return (
      <Result
        status="403"
        title={t('仅应用设计者可用', 'For app designers only')}
        subTitle={t('设计器只对管理员和应用设计者开放，请联系管理员授予“应用设计者”角色。', 'The designer is open to admins and app designers. Ask an admin for the app designer role.')}
        extra={<a href="/">{t('返回首页', 'Back to home')}</a>}
      />
    );
  }
  return route.page === 'editor' ? (
    <Suspense fallback={<Spin fullscreen />}>
      <EditorPage key={route.app} app={route.app} me={me.data} />
    </Suspense>
  ) : (
    <AppsPage me={me.data} />
  );
}

export function App() {
  const lang = useLang();
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <ConfigProvider
      locale={lang === 'en' ? enUS : zhCN}
      button={{ autoInsertSpace: false }}
      theme={{ token: { colorPrimary: '#1677ff', borderRadius: 6, fontSize: 13 } }}
      componentSize="middle"
    >
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <Screens />
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
