// Publish and versions: validate (every problem listed and linked), publish with a summary of
// what changes against the latest version, the version history, and a readable diff between
// any two versions or the draft.

import { CheckCircleOutlined, CloudUploadOutlined, DownloadOutlined, RollbackOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { App as AntApp, Button, Card, Empty, Flex, Input, Popconfirm, Select, Table, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { getVersion, useMe, useVersions } from '../api/apps';
import { publish as publishDraft, rollback, useDiff, type ServerChange, type Side } from '../api/designer';
import { ApiFailure } from '../api/client';
import { downloadJson } from '../components/download';
import { useLang, useT } from '../i18n/lang';
import type { Change } from '../model/diff';
import { saveNow } from '../state/autosave';
import { useEditor } from '../state/editor';
import { runValidation } from './ProblemsDrawer';
import { ProblemsList } from './ProblemsList';

const KIND_COLOR = { added: 'green', removed: 'red', changed: 'blue' } as const;

export function ChangeList({ changes, empty }: { changes: Change[]; empty?: string }) {
  const t = useT();
  const lang = useLang();
  if (!changes.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={empty ?? t('没有差异', 'No differences')} />;
  const words = { added: t('新增', 'Added'), removed: t('删除', 'Removed'), changed: t('修改', 'Changed') };
  return (
    <ul className="change-list">
      {changes.map((c, i) => (
        <li key={i}>
          <Tag color={KIND_COLOR[c.kind]}>{words[c.kind]}</Tag>
          <span>{lang === 'en' ? c.summary.en : c.summary['zh-CN']}</span>
        </li>
      ))}
    </ul>
  );
}

/** The server's changes as the change list shows them. */
const asChanges = (list: ServerChange[] | undefined): Change[] | null =>
  list
    ? list.map((c) => ({ ...c, kind: c.kind as Change['kind'], summary: c.summary as unknown as Change['summary'] }))
    : null;

function DiffSection({ app, versions, rev }: { app: string; versions: number[]; rev: number }) {
  const t = useT();
  const latest = versions[versions.length - 1];
  const [from, setFrom] = useState<Side | null>(latest ?? null);
  // The versions arrive after the first render (or a publish adds one): compare from the latest.
  useEffect(() => {
    if (latest !== undefined && (from === null || (typeof from === 'number' && from < latest && to === 'draft'))) setFrom(latest);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [latest]);
  const [to, setTo] = useState<Side>('draft');
  const diff = useDiff(app, from, to, rev);
  const changes = asChanges(diff.data);
  const options = [...versions.map((v) => ({ value: v, label: `v${v}` })), { value: 'draft' as const, label: t('当前草稿', 'Current draft') }];
  return (
    <Card size="small" title={t('版本对比', 'Compare versions')}>
      <Flex gap={8} align="center" className="mb8">
        <Select size="small" style={{ width: 140 }} aria-label={t('从', 'From')} value={from ?? undefined} placeholder={t('选择版本', 'Version')} options={options} onChange={(v: Side) => setFrom(v)} />
        →
        <Select size="small" style={{ width: 140 }} aria-label={t('到', 'To')} value={to} options={options} onChange={(v: Side) => setTo(v)} />
      </Flex>
      {from === null ? (
        <Typography.Text type="secondary">{t('发布后即可对比版本。', 'Compare once something is published.')}</Typography.Text>
      ) : changes ? (
        <ChangeList changes={changes} />
      ) : (
        <Typography.Text type="secondary">{t('正在读取版本…', 'Loading versions…')}</Typography.Text>
      )}
    </Card>
  );
}

export function PublishPanel({ onProblem }: { onProblem: (pointer: string) => void }) {
  const t = useT();
  const lang = useLang();
  const app = useEditor((s) => s.appId)!;
  const draft = useEditor((s) => s.present)!;
  const rev = useEditor((s) => s.rev);
  const problems = useEditor((s) => s.problems);
  const versions = useVersions(app);
  const me = useMe();
  const numbers = (versions.data ?? []).map((v) => v.version);
  const latest = numbers[numbers.length - 1];
  const queryClient = useQueryClient();
  const { message, modal } = AntApp.useApp();
  const [validated, setValidated] = useState<boolean | null>(null);
  const [busy, setBusy] = useState<'validate' | 'publish' | null>(null);
  const pending = asChanges(useDiff(app, latest ?? null, 'draft', rev).data);
  const summary = useRef('');

  const published = async (version: number, words: [string, string]) => {
    message.success(t(`${words[0]} v${version}`, `${words[1]} v${version}`));
    useEditor.getState().setPublished(await getVersion(app, version));
    await queryClient.invalidateQueries({ queryKey: ['versions', app] });
    await queryClient.invalidateQueries({ queryKey: ['apps'] });
    await queryClient.invalidateQueries({ queryKey: ['diff', app] });
  };

  /** Publishes; failing flow test cases refuse it, and an admin is offered the override. */
  const send = async (override: boolean) => {
    try {
      await published(await publishDraft(app, summary.current, override), ['已发布', 'Published']);
    } catch (e) {
      const failing = e instanceof ApiFailure && e.body?.fields?.some((f) => f.code === 'flow_test_failed');
      if (e instanceof ApiFailure && e.body?.fields) useEditor.getState().setProblems(e.body.fields);
      if (failing && me.data?.is_admin && !override) {
        modal.confirm({
          title: t('有流程测试用例未通过', 'Flow test cases fail'),
          content: <ProblemsList problems={(e as ApiFailure).body!.fields!} pkg={draft} onPick={onProblem} />,
          okText: t('仍然发布（记入审计）', 'Publish anyway (audited)'),
          okButtonProps: { danger: true },
          cancelText: t('取消', 'Cancel'),
          onOk: () => send(true),
        });
      } else {
        message.error(failing ? t('有流程测试用例未通过，不能发布', 'Flow test cases fail: cannot publish') : e instanceof Error ? e.message : String(e));
      }
    }
  };

  const validate = async () => {
    setBusy('validate');
    try {
      setValidated(await runValidation());
    } finally {
      setBusy(null);
    }
  };

  const publish = async () => {
    setBusy('publish');
    try {
      const ok = await runValidation();
      setValidated(ok);
      if (!ok) {
        message.error(t('还有问题未解决，不能发布', 'Fix the problems before publishing'));
        return;
      }
      const changes = pending ?? [];
      summary.current = '';
      modal.confirm({
        title: latest ? t(`发布为 v${latest + 1}？`, `Publish as v${latest + 1}?`) : t('首次发布？', 'Publish for the first time?'),
        width: 560,
        content: (
          <>
            {latest ? (
              <ChangeList changes={changes} empty={t('与上一版本相比没有变化', 'Nothing changed since the last version')} />
            ) : (
              <Typography.Paragraph>{t('发布后用户即可使用此应用；字段标识和节点标识将被锁定。', 'People can use the app once published; field keys and node ids become locked.')}</Typography.Paragraph>
            )}
            <Input.TextArea className="mt12" rows={2} maxLength={2000} aria-label={t('发布说明', 'Change summary')}
              placeholder={t('发布说明（可选，记入版本记录）', 'Change summary (optional, kept with the version)')}
              onChange={(e) => { summary.current = e.target.value; }} />
          </>
        ),
        okText: t('发布', 'Publish'),
        cancelText: t('取消', 'Cancel'),
        onOk: async () => {
          await saveNow();
          await send(false);
        },
      });
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="single-pane publish">
      <Flex gap={12} wrap align="start">
        <Card size="small" className="grow" title={t('校验与发布', 'Validate and publish')}
          extra={
            <Flex gap={8}>
              <Button loading={busy === 'validate'} onClick={() => void validate()} icon={<CheckCircleOutlined />}>{t('校验', 'Validate')}</Button>
              <Button type="primary" loading={busy === 'publish'} onClick={() => void publish()} icon={<CloudUploadOutlined />}>{t('发布', 'Publish')}</Button>
            </Flex>
          }>
          {validated === true && !problems.length && <Typography.Text type="success">{t('校验通过，可以发布。', 'Valid: ready to publish.')}</Typography.Text>}
          {(validated !== null || problems.length > 0) && <ProblemsList problems={problems} pkg={draft} onPick={onProblem} />}
          {validated === null && !problems.length && <Typography.Text type="secondary">{t('点击“校验”检查整个应用；发布前会自动校验。', 'Validate checks the whole app; publishing validates first.')}</Typography.Text>}
          {latest !== undefined && (
            <>
              <Typography.Title level={5} className="mt12">{t(`相对 v${latest} 的修改`, `Changes since v${latest}`)}</Typography.Title>
              {pending ? <ChangeList changes={pending} empty={t('草稿与最新版本相同', 'The draft equals the latest version')} /> : <Typography.Text type="secondary">…</Typography.Text>}
            </>
          )}
        </Card>
        <Card size="small" className="versions-card" title={t('版本历史', 'Versions')}>
          <Table
            size="small"
            rowKey="version"
            pagination={false}
            loading={versions.isPending}
            dataSource={[...(versions.data ?? [])].reverse()}
            locale={{ emptyText: t('尚未发布', 'Not published yet') }}
            columns={[
              { title: t('版本', 'Version'), dataIndex: 'version', render: (v: number) => <Tag color={v === latest ? 'green' : undefined}>v{v}</Tag> },
              { title: t('发布时间', 'Published'), dataIndex: 'published_at', render: (at: string) => new Date(at).toLocaleString(lang) },
              {
                title: t('发布人', 'By'),
                dataIndex: 'published_by',
                // The API gives the publisher's user id; only one's own is known by name here.
                render: (id: string) => (id === me.data?.id ? me.data.display_name : <span className="mono small" title={id}>{id.slice(0, 8)}</span>),
              },
              {
                title: '',
                render: (_, v) => (
                  <Flex gap={2}>
                    <Button size="small" type="link" icon={<DownloadOutlined />} aria-label={t(`导出 v${v.version}`, `Export v${v.version}`)}
                      onClick={async () => {
                        downloadJson(`${app}-v${v.version}.json`, await getVersion(app, v.version));
                      }} />
                    {v.version !== latest && (
                      <Popconfirm
                        title={t(`把 v${v.version} 重新发布为最新版本？`, `Publish v${v.version} again as the newest version?`)}
                        description={t('已有记录和进行中的审批保持原版本；草稿不变。', 'Existing records and running approvals keep their version; the draft stays as it is.')}
                        okText={t('回滚', 'Roll back')} cancelText={t('取消', 'Cancel')}
                        onConfirm={async () => {
                          try {
                            await published(await rollback(app, v.version), ['已回滚为', 'Rolled back as']);
                          } catch (e) {
                            message.error(e instanceof Error ? e.message : String(e));
                          }
                        }}>
                        <Button size="small" type="link" icon={<RollbackOutlined />} aria-label={t(`回滚到 v${v.version}`, `Roll back to v${v.version}`)} />
                      </Popconfirm>
                    )}
                  </Flex>
                ),
              },
            ]}
          />
        </Card>
      </Flex>
      <DiffSection app={app} versions={numbers} rev={rev} />
    </div>
  );
}
