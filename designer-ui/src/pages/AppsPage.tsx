// The first screen: every app, with create (blank), import a package file, export and duplicate.

import { CopyOutlined, DownloadOutlined, ImportOutlined, PlusOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { App as AntApp, Button, Empty, Form, Input, Modal, Space, Spin, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { createApp, getDraft, useApps } from '../api/apps';
import { ApiFailure, type AppSummary, type Me } from '../api/client';
import { downloadJson } from '../components/download';
import { TopBar } from '../components/TopBar';
import { useLang, useT } from '../i18n/lang';
import { ID_PATTERN, idFromName, loadPinyin } from '../model/keys';
import { blankPackage, textOf, type AppPackage, type Text } from '../model/package';
import { useRouter } from '../state/router';

interface NameForm {
  zh: string;
  en?: string;
  id: string;
}

/** Asks for a name (zh-CN, en) and an id generated from it, editable. */
function NameDialog({
  open,
  title,
  initial,
  taken,
  onCancel,
  onOk,
}: {
  open: boolean;
  title: string;
  initial?: NameForm;
  taken: string[];
  onCancel: () => void;
  onOk: (v: NameForm) => Promise<void>;
}) {
  const t = useT();
  const [form] = Form.useForm<NameForm>();
  const [busy, setBusy] = useState(false);
  const idTouched = useRef(false);
  useEffect(() => {
    if (open) {
      idTouched.current = false;
      form.setFieldsValue(initial ?? { zh: '', en: '', id: '' });
      // Pinyin arrives lazily: an id made before it came is made again from the name.
      void loadPinyin().then(() => {
        const all = form.getFieldsValue();
        if (!idTouched.current && (all.zh || all.en)) form.setFieldValue('id', idFromName(all.zh || all.en || '', taken, 'app').replace(/_/g, '-'));
      });
    }
  }, [open, initial, form]);
  const onValues = (changed: Partial<NameForm>, all: NameForm) => {
    if ('id' in changed) idTouched.current = true;
    if (('zh' in changed || 'en' in changed) && !idTouched.current) {
      form.setFieldValue('id', idFromName(all.zh || all.en || '', taken, 'app').replace(/_/g, '-'));
    }
  };
  return (
    <Modal
      open={open}
      title={title}
      okText={t('创建', 'Create')}
      cancelText={t('取消', 'Cancel')}
      confirmLoading={busy}
      onCancel={onCancel}
      onOk={async () => {
        const v = await form.validateFields();
        setBusy(true);
        try {
          await onOk(v);
        } finally {
          setBusy(false);
        }
      }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onValuesChange={onValues} requiredMark>
        <Form.Item name="zh" label={t('应用名称（中文）', 'App name (Chinese)')} rules={[{ required: true, message: t('请输入应用名称', 'Enter a name') }]}>
          <Input autoFocus maxLength={60} placeholder={t('例如：客户项目报备', 'e.g. Project registration')} />
        </Form.Item>
        <Form.Item name="en" label={t('应用名称（英文）', 'App name (English)')}>
          <Input maxLength={80} />
        </Form.Item>
        <Form.Item
          name="id"
          label={t('应用标识', 'App id')}
          extra={t('用于网址和接口，创建后不可修改。小写字母开头，可含数字、- 和 _。', 'Used in addresses and the API; cannot change later. Lower-case letter first, then letters, digits, - or _.')}
          rules={[
            { required: true, message: t('请输入应用标识', 'Enter an id') },
            { pattern: ID_PATTERN, message: t('小写字母开头，只能含小写字母、数字、- 和 _', 'Lower-case letter first; letters, digits, - and _ only') },
            { validator: (_, v) => (taken.includes(v) ? Promise.reject(new Error(t('该标识已被使用', 'This id is taken'))) : Promise.resolve()) },
          ]}
        >
          <Input maxLength={64} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

const nameOf = (v: NameForm): Text => (v.en?.trim() ? { 'zh-CN': v.zh.trim(), en: v.en.trim() } : { 'zh-CN': v.zh.trim() });

export function AppsPage({ me }: { me: Me }) {
  const t = useT();
  const lang = useLang();
  const apps = useApps();
  const queryClient = useQueryClient();
  const { message, modal } = AntApp.useApp();
  const navigate = useRouter((s) => s.navigate);
  const [creating, setCreating] = useState(false);
  const [copying, setCopying] = useState<AppSummary | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const taken = (apps.data ?? []).map((a) => a.id);
  useEffect(() => {
    void loadPinyin();
  }, []);

  const created = async (pkg: AppPackage) => {
    try {
      await createApp(pkg);
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 409) {
        message.error(t(`应用标识「${pkg.id}」已存在`, `An app with id "${pkg.id}" exists`));
        throw e;
      }
      message.error(e instanceof Error ? e.message : String(e));
      throw e;
    }
    await queryClient.invalidateQueries({ queryKey: ['apps'] });
    navigate({ page: 'editor', app: pkg.id });
  };

  const importFile = async (file: File) => {
    let pkg: AppPackage;
    try {
      pkg = JSON.parse(await file.text()) as AppPackage;
    } catch (e) {
      modal.error({ title: t('无法读取应用包', 'Cannot read the package'), content: `${file.name}: ${e instanceof Error ? e.message : e}` });
      return;
    }
    try {
      await createApp(pkg);
      await queryClient.invalidateQueries({ queryKey: ['apps'] });
      message.success(t(`已导入「${textOf(pkg.name, 'zh-CN')}」`, `Imported "${textOf(pkg.name, 'en')}"`));
      navigate({ page: 'editor', app: pkg.id });
    } catch (e) {
      const detail = e instanceof ApiFailure ? [e.message, ...(e.body?.fields ?? []).map((f) => `${f.path}: ${f.message}`)].join('\n') : String(e);
      modal.error({ title: t('导入失败', 'Import failed'), content: <pre className="pre-wrap">{detail}</pre> });
    }
  };

  const exportApp = async (app: AppSummary) => {
    const draft = await getDraft(app.id);
    downloadJson(`${app.id}.json`, draft.package);
  };

  const duplicate = async (from: AppSummary, v: NameForm) => {
    const draft = await getDraft(from.id);
    await created({ ...draft.package, id: v.id, name: nameOf(v) });
    setCopying(null);
  };

  return (
    <div className="page">
      <TopBar me={me}>
        <Typography.Title level={4} className="topbar-title">
          {t('我的应用', 'Apps')}
        </Typography.Title>
      </TopBar>
      <main className="apps-main" id="main">
        <div className="toolbar">
          <Space>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t('新建应用', 'New app')}
            </Button>
            <Button icon={<ImportOutlined />} onClick={() => fileInput.current?.click()}>
              {t('导入应用包', 'Import package')}
            </Button>
            <input
              ref={fileInput}
              type="file"
              accept=".json,application/json"
              hidden
              data-testid="import-file"
              onChange={(e) => {
                const file = e.target.files?.[0];
                e.target.value = '';
                if (file) void importFile(file);
              }}
            />
          </Space>
        </div>
        {apps.isPending ? (
          <Spin />
        ) : !apps.data?.length ? (
          <Empty className="big-empty" description={t('还没有应用，点击“新建应用”开始', 'No apps yet: start with "New app"')} />
        ) : (
          <ul className="app-grid" aria-label={t('应用', 'Apps')}>
            {apps.data.map((app) => {
              const name = textOf(app.name as Text, lang) || app.id;
              return (
                <li key={app.id} className="app-card">
                  <a
                    className="app-card-main"
                    href={`/designer/apps/${encodeURIComponent(app.id)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate({ page: 'editor', app: app.id });
                    }}
                  >
                    <span className="app-icon" aria-hidden="true">{name.slice(0, 1)}</span>
                    <span className="app-card-text">
                      <span className="app-card-name">{name}</span>
                      <Typography.Text type="secondary" className="small mono">{app.id}</Typography.Text>
                    </span>
                  </a>
                  <div className="app-card-meta">
                    {app.latest_version ? (
                      <Tag color="green">{t(`已发布 v${app.latest_version}`, `Published v${app.latest_version}`)}</Tag>
                    ) : (
                      <Tag>{t('未发布', 'Not published')}</Tag>
                    )}
                    <Typography.Text type="secondary" className="small">
                      {t('修改于 ', 'Changed ')}{new Date(app.updated_at).toLocaleString(lang)}
                    </Typography.Text>
                  </div>
                  <div className="app-card-actions">
                    <Button size="small" type="link" onClick={() => navigate({ page: 'editor', app: app.id })}>
                      {t('设计', 'Design')}
                    </Button>
                    <Button size="small" type="link" icon={<DownloadOutlined />} onClick={() => void exportApp(app)}>
                      {t('导出', 'Export')}
                    </Button>
                    <Button size="small" type="link" icon={<CopyOutlined />} onClick={() => setCopying(app)}>
                      {t('复制', 'Duplicate')}
                    </Button>
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </main>
      <NameDialog
        open={creating}
        title={t('新建应用', 'New app')}
        taken={taken}
        onCancel={() => setCreating(false)}
        onOk={async (v) => {
          await created(blankPackage(v.id, nameOf(v)));
          setCreating(false);
        }}
      />
      <NameDialog
        open={copying !== null}
        title={t('复制应用', 'Duplicate app')}
        taken={taken}
        initial={
          copying
            ? {
                zh: `${textOf(copying.name as Text, 'zh-CN')} 副本`,
                en: (copying.name as Text).en ? `${(copying.name as Text).en} (copy)` : '',
                id: idFromName(`${copying.id}_copy`, taken, 'app').replace(/_/g, '-'),
              }
            : undefined
        }
        onCancel={() => setCopying(null)}
        onOk={(v) => duplicate(copying!, v)}
      />
    </div>
  );
}
