// Flow test cases: sample submissions and the approvers each should reach, kept in the package
// (`processes[].tests`). The server walks each one through the saved draft with the engine's
// side-effect-free walk after every save, and shows pass or fail per case; publishing is
// refused while one fails.

import { CheckCircleFilled, CloseCircleFilled, DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Empty, Flex, Input, Select, Spin, Table, Tag, Tooltip, Typography } from 'antd';
import { useFlowTests, type FlowTestResult } from '../api/designer';
import { useLang, useT } from '../i18n/lang';
import { fieldOrder, uiFields, props } from '../model/form';
import { textOf, type AppPackage, type FlowTestDef, type ProcessDef } from '../model/package';
import { useEditor } from '../state/editor';

/** `director → ceo + cfo → east_head` ⇄ [["director"], ["ceo", "cfo"], ["east_head"]]. */
export const chainText = (chain: string[][]) => chain.map((s) => s.join(' + ')).join(' → ');
export const parseChain = (text: string): string[][] =>
  text
    .split(/→|->|,|，/)
    .map((s) => s.split('+').map((u) => u.trim()).filter(Boolean))
    .filter((s) => s.length > 0);

function nextId(tests: FlowTestDef[]): string {
  for (let i = tests.length + 1; ; i++) if (!tests.some((c) => c.id === `case_${i}`)) return `case_${i}`;
}

function DataEditor({ pkg, proc, index, data }: { pkg: AppPackage; proc: ProcessDef; index: number; data: Record<string, unknown> }) {
  const t = useT();
  const lang = useLang();
  const form = pkg.forms?.find((f) => f.id === proc.form);
  if (!form) return null;
  const labels = uiFields(form);
  const schemas = props(form);
  const set = (key: string, value: unknown) =>
    useEditor.getState().edit((d) => {
      const c = d.processes!.find((p) => p.id === proc.id)!.tests![index];
      if (value === undefined) delete c.data[key];
      else c.data[key] = value;
    }, `test-data:${proc.id}:${index}:${key}`);
  const unused = fieldOrder(form).filter((k) => !(k in data) && schemas[k]?.type !== 'array');
  return (
    <Flex vertical gap={4}>
      {Object.entries(data).map(([key, value]) => {
        const options = (schemas[key]?.enum as string[] | undefined) ?? null;
        const label = textOf(labels[key]?.label, lang) || key;
        return (
          <Flex key={key} gap={4} align="center">
            <span className="test-data-label" title={key}>{label}</span>
            {options ? (
              <Select size="small" style={{ width: 120 }} aria-label={label} value={String(value ?? '')}
                options={options.map((o) => ({ value: o, label: textOf(labels[key]?.options?.[o], lang) || o }))}
                onChange={(v) => set(key, v)} />
            ) : (
              <Input size="small" style={{ width: 120 }} aria-label={label} value={String(value ?? '')} onChange={(e) => set(key, e.target.value)} />
            )}
            <Button size="small" type="text" icon={<DeleteOutlined />} aria-label={t(`移除${label}`, `Remove ${label}`)} onClick={() => set(key, undefined)} />
          </Flex>
        );
      })}
      {unused.length > 0 && (
        <Select size="small" style={{ width: 160 }} placeholder={t('+ 样例字段', '+ Sample field')} value={null} aria-label={t('添加样例字段', 'Add a sample field')}
          options={unused.map((k) => ({ value: k, label: textOf(labels[k]?.label, lang) || k }))}
          onChange={(k: string) => set(k, '')} />
      )}
    </Flex>
  );
}

function ResultCell({ result, loading }: { result?: FlowTestResult; loading: boolean }) {
  const t = useT();
  if (loading) return <Spin size="small" />;
  if (!result) return <Typography.Text type="secondary">{t('保存后运行', 'Runs once saved')}</Typography.Text>;
  const actual = result.steps.map((s) => s.assignees.map((a) => a.username));
  return (
    <Flex vertical gap={2} className="test-result" data-test-result={result.passed ? 'pass' : 'fail'}>
      {result.passed ? (
        <Tag color="success" icon={<CheckCircleFilled />}>{t('通过', 'Pass')}</Tag>
      ) : (
        <Tag color="error" icon={<CloseCircleFilled />}>{t('未通过', 'Fail')}</Tag>
      )}
      {result.problems.length > 0 ? (
        result.problems.map((p, i) => <Typography.Text key={i} type="danger" className="small">{p.message}</Typography.Text>)
      ) : (
        <Tooltip title={result.steps.map((s) => `${s.name}：${s.assignees.map((a) => a.display_name).join('、') || t('无人', 'nobody')}`).join('\n')}>
          <Typography.Text type={result.passed ? 'secondary' : 'danger'} className="small">
            {t('实际：', 'Actual: ')}{chainText(actual) || t('无需审批', 'no approval')}
          </Typography.Text>
        </Tooltip>
      )}
    </Flex>
  );
}

function ProcessTests({ pkg, proc, results, loading }: { pkg: AppPackage; proc: ProcessDef; results: FlowTestResult[]; loading: boolean }) {
  const t = useT();
  const lang = useLang();
  const tests = proc.tests ?? [];
  const edit = (fn: (tests: FlowTestDef[]) => void, coalesce?: string) =>
    useEditor.getState().edit((d) => {
      // A recipe must not return a value (immer would take it for the new state).
      fn((d.processes!.find((p) => p.id === proc.id)!.tests ??= []));
    }, coalesce);
  const passed = results.filter((r) => r.passed).length;
  return (
    <Card size="small" className="mb12"
      title={<>{textOf(proc.name, lang)} {results.length > 0 && <Tag color={passed === results.length ? 'success' : 'error'}>{`${passed}/${results.length} ${t('通过', 'pass')}`}</Tag>}</>}
      extra={
        <Button size="small" type="primary" icon={<PlusOutlined />}
          onClick={() => edit((ts) => { ts.push({ id: nextId(ts), name: { 'zh-CN': t(`用例 ${ts.length + 1}`, `Case ${ts.length + 1}`) }, submitter: 'sales1', data: {}, expect: [] }); })}>
          {t('添加用例', 'Add case')}
        </Button>
      }>
      <Table<FlowTestDef>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={tests}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('还没有测试用例：添加一个样例提交，并写下它应经过的审批人', 'No test cases yet: add a sample submission and the approvers it should reach')} /> }}
        columns={[
          {
            title: t('用例名称', 'Name'), width: 180,
            render: (_, c, i) => (
              <Input size="small" aria-label={t('用例名称', 'Case name')} value={textOf(c.name, lang)}
                onChange={(e) => edit((ts) => { ts[i].name = { ...(ts[i].name ?? { 'zh-CN': '' }), [lang]: e.target.value }; }, `test-name:${proc.id}:${i}`)} />
            ),
          },
          {
            title: t('提交人', 'Submitter'), width: 110,
            render: (_, c, i) => (
              <Input size="small" aria-label={t('提交人', 'Submitter')} value={c.submitter}
                onChange={(e) => edit((ts) => { ts[i].submitter = e.target.value.trim(); }, `test-sub:${proc.id}:${i}`)} />
            ),
          },
          { title: t('样例数据', 'Sample data'), render: (_, c, i) => <DataEditor pkg={pkg} proc={proc} index={i} data={c.data} /> },
          {
            title: t('期望审批人（按顺序，用 → 分隔）', 'Expected approvers (in order, → between steps)'), width: 240,
            render: (_, c, i) => (
              <Input size="small" aria-label={t('期望审批人', 'Expected approvers')} placeholder="director → ceo" defaultValue={chainText(c.expect)}
                key={chainText(c.expect)}
                onBlur={(e) => edit((ts) => { ts[i].expect = parseChain(e.target.value); })}
                onPressEnter={(e) => edit((ts) => { ts[i].expect = parseChain((e.target as HTMLInputElement).value); })} />
            ),
          },
          { title: t('结果', 'Result'), width: 200, render: (_, c) => <ResultCell result={results.find((r) => r.test === c.id)} loading={loading} /> },
          {
            title: '', width: 40,
            render: (_, c, i) => (
              <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t(`删除用例${textOf(c.name, lang)}`, `Delete case ${textOf(c.name, lang)}`)}
                onClick={() => edit((ts) => { ts.splice(i, 1); })} />
            ),
          },
        ]}
      />
    </Card>
  );
}

export function FlowTestsPanel() {
  const t = useT();
  const app = useEditor((s) => s.appId)!;
  const pkg = useEditor((s) => s.present)!;
  const rev = useEditor((s) => s.rev);
  const saveState = useEditor((s) => s.saveState);
  const run = useFlowTests(app, rev);
  const results = run.data?.results ?? [];
  const loading = run.isFetching || saveState === 'saving';
  return (
    <div className="single-pane tests-pane">
      <div className="pane-head">
        <Typography.Title level={5}>{t('流程测试用例', 'Flow test cases')}</Typography.Title>
        <Button size="small" icon={<ReloadOutlined />} loading={run.isFetching} onClick={() => void run.refetch()}>{t('重新运行', 'Run again')}</Button>
      </div>
      <Alert type="info" showIcon className="mb8"
        title={t('每次保存后，系统都会用草稿模拟提交每个用例（不产生任何数据），检查它经过的审批人是否符合预期。有用例未通过时不能发布（管理员可强制发布，并留有审计记录）。',
          'After every save each case is submitted to the draft in a simulation (nothing is stored) and the approvers it reaches are compared with the expected ones. Publishing is refused while a case fails (an admin may override; it is audited).')} />
      {run.isError && <Alert type="error" className="mb8" title={String(run.error)} />}
      {(pkg.processes ?? []).length === 0 ? (
        <Empty description={t('还没有流程', 'No flows yet')} />
      ) : (
        pkg.processes!.map((p) => <ProcessTests key={p.id} pkg={pkg} proc={p} results={results.filter((r) => r.process === p.id)} loading={loading} />)
      )}
    </div>
  );
}
