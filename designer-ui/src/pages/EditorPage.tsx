// One app open in the designer: the header (save state, undo/redo, problems, validate,
// publish), the tabs (forms, flows, roles, versions, settings) and the safety machinery
// (autosave, conflict dialog, local backup, leave warning, shortcuts).

import { CheckCircleOutlined, CloudOutlined, CloudSyncOutlined, ExclamationCircleOutlined, RedoOutlined, UndoOutlined, WarningOutlined } from '@ant-design/icons';
import { App as AntApp, Badge, Button, Result, Space, Spin, Tabs, Tooltip, Typography } from 'antd';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { getDraft, getVersion, listVersions, validateDraft } from '../api/apps';
import type { Me } from '../api/client';
import { TopBar } from '../components/TopBar';
import { ConflictDialog } from '../conflict/ConflictDialog';
import { FormDesigner } from '../form/FormDesigner';
import { useLang, useT } from '../i18n/lang';
import { same } from '../model/diff';
import { loadPinyin } from '../model/keys';
import { textOf } from '../model/package';
import { targetOf } from '../model/problems';
import { ProblemsDrawer } from '../publish/ProblemsDrawer';
import { PublishPanel } from '../publish/PublishPanel';
import { RolesEditor } from '../roles/RolesEditor';
import { SettingsPanel } from '../roles/SettingsPanel';
import { ExpressionCheckContext, serverCheck } from '../rules/ConditionBuilder';
import { FlowTestsPanel } from '../tests/FlowTestsPanel';
import { clearBackup, readBackup, saveNow, useAutosave } from '../state/autosave';
import { useEditor, type Tab } from '../state/editor';
import { useRouter } from '../state/router';
import { useShortcuts } from '../state/shortcuts';

const FlowDesigner = lazy(() => import('../flow/FlowDesigner'));

const TABS: Tab[] = ['form', 'flow', 'tests', 'roles', 'versions', 'settings'];

function SaveIndicator() {
  const t = useT();
  const state = useEditor((s) => s.saveState);
  const error = useEditor((s) => s.saveError);
  const map = {
    saved: [<CheckCircleOutlined key="i" />, t('已保存', 'Saved'), 'success'],
    dirty: [<CloudOutlined key="i" />, t('有未保存的修改', 'Unsaved changes'), 'secondary'],
    saving: [<CloudSyncOutlined key="i" spin />, t('正在保存…', 'Saving…'), 'secondary'],
    error: [<WarningOutlined key="i" />, t('保存失败，将自动重试', 'Save failed; retrying'), 'danger'],
    conflict: [<ExclamationCircleOutlined key="i" />, t('与他人的修改冲突', 'Conflicts with another edit'), 'warning'],
  } as const;
  const [icon, text, type] = map[state];
  return (
    <Tooltip title={error ?? t('修改会自动保存（Ctrl+S 立即保存）', 'Changes save automatically (Ctrl+S saves now)')}>
      <Typography.Text type={type} className="save-state" role="status" aria-live="polite">
        {icon} {text}
      </Typography.Text>
    </Tooltip>
  );
}

function useLoadApp(app: string) {
  const { modal } = AntApp.useApp();
  const t = useT();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    void loadPinyin();
    (async () => {
      try {
        const draft = await getDraft(app);
        if (cancelled) return;
        useEditor.getState().load(app, draft.package, draft.rev);
        const backup = readBackup(app);
        if (backup && !same(backup.package, draft.package)) {
          modal.confirm({
            title: t('发现未保存的本地修改', 'Unsaved local changes found'),
            content: t(
              `上次在本机编辑（${new Date(backup.at).toLocaleString()}）的修改尚未保存到服务器。恢复后会与服务器草稿比对后保存。`,
              `Edits made here on ${new Date(backup.at).toLocaleString()} never reached the server. Restore them and they will be saved over the server draft's revision check.`,
            ),
            okText: t('恢复我的修改', 'Restore my edits'),
            cancelText: t('丢弃', 'Discard'),
            onOk: () => {
              // Edited from `backup.rev`: if the server moved on since, the save meets If-Match and
              // so the conflict dialog, which shows both sides.
              useEditor.getState().replace(backup.package);
              useEditor.setState({ rev: backup.rev });
            },
            onCancel: () => clearBackup(app),
          });
        }
        // Problems are known at once (an imported package may have some), not only after a save.
        void validateDraft(app).then((r) => {
          if (!cancelled && useEditor.getState().appId === app) useEditor.getState().setProblems(r.problems);
        }, () => undefined);
        const versions = await listVersions(app);
        const latest = versions[versions.length - 1];
        if (!cancelled) useEditor.getState().setPublished(latest ? await getVersion(app, latest.version) : null);
      } catch (e) {
        if (!cancelled) setError(e);
      }
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [app]);
  return error;
}

export function EditorPage({ app, me }: { app: string; me: Me }) {
  const t = useT();
  const lang = useLang();
  const error = useLoadApp(app);
  const present = useEditor((s) => s.present);
  const loaded = useEditor((s) => s.appId === app);
  const tab = useEditor((s) => s.tab);
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const problems = useEditor((s) => s.problems);
  const route = useRouter((s) => s.route);
  const navigate = useRouter((s) => s.navigate);
  const [problemsOpen, setProblemsOpen] = useState(false);
  const checker = useMemo(() => serverCheck(app), [app]);
  useAutosave();
  useShortcuts();
  // Leaving the editor inside the app (browser back, the app list) saves what is pending.
  useEffect(() => () => void saveNow(), []);

  // The address follows the open tab and item, so a reload comes back to the same place.
  useEffect(() => {
    if (!loaded || route.page !== 'editor') return;
    const s = useEditor.getState();
    if (route.tab && TABS.includes(route.tab as Tab)) {
      if (route.tab === 'form' && route.item) s.openForm(route.item);
      else if (route.tab === 'flow' && route.item) s.openProcess(route.item);
      else s.setTab(route.tab as Tab);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);
  const formId = useEditor((s) => s.formId);
  const processId = useEditor((s) => s.processId);
  useEffect(() => {
    if (!loaded) return;
    const item = tab === 'form' ? formId : tab === 'flow' ? processId : null;
    navigate({ page: 'editor', app, tab, item: item ?? undefined }, true);
  }, [loaded, tab, formId, processId, app, navigate]);

  if (error) {
    return <Result status="404" title={t('打不开这个应用', 'Cannot open this app')} subTitle={String(error)} extra={<a href="/designer/">{t('返回应用列表', 'Back to apps')}</a>} />;
  }
  if (!loaded || !present) return <Spin fullscreen description={t("正在加载…", "Loading…")} />;

  const goToProblem = (pointer: string) => {
    const target = targetOf(pointer, present);
    const s = useEditor.getState();
    if (target.type === 'form') {
      s.openForm(target.form);
      if (target.key) s.select({ type: 'field', form: target.form, key: target.key, column: target.column });
    } else if (target.type === 'process') {
      s.openProcess(target.process);
      if (target.node) s.select({ type: 'node', process: target.process, node: target.node });
      else if (target.edge !== undefined) s.select({ type: 'edge', process: target.process, edge: target.edge });
    } else if (target.type === 'role') {
      s.setTab('roles');
      s.select({ type: 'role', index: target.index });
    } else s.setTab('settings');
    setProblemsOpen(false);
  };

  return (
    <ExpressionCheckContext.Provider value={checker}>
    <div className="page editor">
      <TopBar
        me={me}
        extra={
          <>
            <SaveIndicator />
            <Space.Compact>
              <Tooltip title={t('撤销 (Ctrl+Z)', 'Undo (Ctrl+Z)')}>
                <Button icon={<UndoOutlined />} disabled={!canUndo} onClick={() => useEditor.getState().undo()} aria-label={t('撤销', 'Undo')} />
              </Tooltip>
              <Tooltip title={t('重做 (Ctrl+Shift+Z)', 'Redo (Ctrl+Shift+Z)')}>
                <Button icon={<RedoOutlined />} disabled={!canRedo} onClick={() => useEditor.getState().redo()} aria-label={t('重做', 'Redo')} />
              </Tooltip>
            </Space.Compact>
            <Badge count={problems.length} size="small" offset={[-4, 4]}>
              <Button onClick={() => setProblemsOpen(true)} danger={problems.length > 0}>
                {t('问题', 'Problems')}
              </Button>
            </Badge>
            <Button type="primary" onClick={() => { void saveNow(); useEditor.getState().setTab('versions'); }}>
              {t('发布', 'Publish')}
            </Button>
          </>
        }
      >
        <a href="/designer/" className="crumb" onClick={(e) => { e.preventDefault(); void saveNow().finally(() => navigate({ page: 'apps' })); }}>
          {t('应用', 'Apps')}
        </a>
        <span className="crumb-sep">/</span>
        <Typography.Text strong className="app-name">{textOf(present.name, lang)}</Typography.Text>
        <Tabs
          className="editor-tabs"
          activeKey={tab}
          onChange={(k) => useEditor.getState().setTab(k as Tab)}
          items={[
            { key: 'form', label: t('表单设计', 'Forms') },
            { key: 'flow', label: t('流程设计', 'Flows') },
            { key: 'tests', label: t('流程测试', 'Flow tests') },
            { key: 'roles', label: t('角色', 'Roles') },
            { key: 'versions', label: t('发布与版本', 'Publish & versions') },
            { key: 'settings', label: t('应用设置', 'Settings') },
          ]}
        />
      </TopBar>
      <div className="editor-body">
        {tab === 'form' && <FormDesigner />}
        {tab === 'flow' && (
          <Suspense fallback={<Spin className="center-spin" />}>
            <FlowDesigner />
          </Suspense>
        )}
        {tab === 'tests' && <FlowTestsPanel />}
        {tab === 'roles' && <RolesEditor />}
        {tab === 'versions' && <PublishPanel onProblem={goToProblem} />}
        {tab === 'settings' && <SettingsPanel />}
      </div>
      <ProblemsDrawer open={problemsOpen} onClose={() => setProblemsOpen(false)} onPick={goToProblem} />
      <ConflictDialog />
    </div>
    </ExpressionCheckContext.Provider>
  );
}
