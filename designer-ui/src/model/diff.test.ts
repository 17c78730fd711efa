import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { samplePackage } from '../test/sample';
import { diffPackages } from './diff';
import { merge3 } from './merge';
import type { AppPackage } from './package';
import { targetOf } from './problems';

const zh = (pkg: AppPackage, next: AppPackage) => diffPackages(pkg, next).map((c) => `${c.kind} ${c.summary['zh-CN']}`);

describe('diff between versions, in words', () => {
  const a = samplePackage();

  it('finds no change between equal packages, whatever their key order', () => {
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    const b = reversed(a) as AppPackage;
    expect(Object.keys(b)[0]).not.toBe(Object.keys(a)[0]);
    expect(diffPackages(a, b)).toEqual([]);
  });

  it('names fields added, removed and changed, with what changed', () => {
    const b = produce(a, (d) => {
      const f = d.forms![0];
      delete f.schema.properties!.description;
      f.ui!.order = f.ui!.order!.filter((k) => k !== 'description');
      f.schema.properties!.budget = { type: 'string' };
      f.ui!.fields!.budget = { label: { 'zh-CN': '预算', en: 'Budget' }, widget: 'money' };
      f.ui!.order!.push('budget');
      f.ui!.fields!.amount.label = { 'zh-CN': '合同金额' };
      f.schema.required = [...f.schema.required!, 'region'];
    });
    const words = zh(a, b);
    expect(words).toContain('removed 表单「项目登记」删除字段「项目描述」');
    expect(words).toContain('added 表单「项目登记」新增字段「预算」（金额）');
    expect(words).toContain('changed 表单「项目登记」修改字段「合同金额」：标题');
    expect(words).toContain('changed 表单「项目登记」修改字段「区域」：必填');
    expect(diffPackages(a, b).find((c) => c.kind === 'added')?.summary.en).toBe('Form "Project registration": field "Budget" added (Money)');
  });

  it('names permission changes by role', () => {
    const b = produce(a, (d) => { d.forms![0].permissions!.read_all = ['director', 'ceo', 'admin', 'client']; });
    expect(zh(a, b)).toEqual(['changed 表单「项目登记」权限「查看全部」：增加 client，取消 east_head、finance']);
  });

  it('names node and edge changes', () => {
    const b = produce(a, (d) => {
      const p = d.processes![0];
      const ceo = p.nodes.find((n) => n.id === 'ceo_approval')!;
      if (ceo.kind === 'approval') ceo.mode = 'all';
      p.edges.find((e) => e.when === 'amount < 50000')!.when = 'amount < 60000';
      p.nodes = p.nodes.filter((n) => n.id !== 'east_head_approval');
      p.edges = p.edges.filter((e) => e.from !== 'east_head_approval' && e.to !== 'east_head_approval');
      p.layout = { start: { x: 1, y: 2 } };
    });
    const words = zh(a, b);
    expect(words).toContain('changed 流程「项目登记审批」修改节点「总经理审批」：审批方式');
    expect(words).toContain('removed 流程「项目登记审批」删除节点「华东区负责人审批」');
    expect(words).toContain('changed 流程「项目登记审批」修改连线 「按金额分流」→「部门负责人审批」（条件：amount < 60000）');
    expect(words.some((w) => w.includes('位置'))).toBe(false);
  });
});

describe('three-way merge of two edits of one draft', () => {
  const base = samplePackage();

  it('takes what each side changed', () => {
    const mine = produce(base, (d) => { d.forms![0].ui!.fields!.name.label = { 'zh-CN': '名称' }; });
    const theirs = produce(base, (d) => { d.roles!.push({ id: 'pm', name: { 'zh-CN': '项目经理' } }); d.forms![0].numbering = { pattern: 'P-{seq:04}' }; });
    const { value, conflicts } = merge3(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(value.forms![0].ui!.fields!.name.label['zh-CN']).toBe('名称');
    expect(value.roles!.map((r) => r.id)).toContain('pm');
    expect(value.forms![0].numbering!.pattern).toBe('P-{seq:04}');
  });

  it('keeps items added on both sides and removals on one', () => {
    const mine = produce(base, (d) => { d.roles!.push({ id: 'a', name: { 'zh-CN': 'A' } }); });
    const theirs = produce(base, (d) => { d.roles = d.roles!.filter((r) => r.id !== 'finance'); d.roles.push({ id: 'b', name: { 'zh-CN': 'B' } }); });
    const ids = merge3(base, mine, theirs).value.roles!.map((r) => r.id);
    expect(ids).toContain('a');
    expect(ids).toContain('b');
    expect(ids).not.toContain('finance');
  });

  it('keeps my edit where both changed one thing, and says where', () => {
    const mine = produce(base, (d) => { d.name = { 'zh-CN': '我的' }; });
    const theirs = produce(base, (d) => { d.name = { 'zh-CN': '他的' }; });
    const { value, conflicts } = merge3(base, mine, theirs);
    expect(value.name['zh-CN']).toBe('我的');
    expect(conflicts).toEqual(['/name/zh-CN']);
  });
});

describe('where a problem points', () => {
  const pkg = samplePackage();
  it.each([
    ['/forms/0/schema/properties/amount/pattern', { type: 'form', form: 'project', key: 'amount' }],
    ['/forms/0/ui/fields/milestones/fields/owner/label', { type: 'form', form: 'project', key: 'milestones', column: 'owner' }],
    ['/forms/0/checks/1/check', { type: 'form', form: 'project', key: 'end_date' }],
    ['/processes/0/nodes/2/assignee', { type: 'process', process: 'registration_approval', node: 'dept_head_approval' }],
    ['/processes/0/edges/3', { type: 'process', process: 'registration_approval', edge: 3 }],
    ['/roles/1/id', { type: 'role', index: 1 }],
    ['/name', { type: 'app' }],
  ])('%s', (pointer, target) => expect(targetOf(pointer, pkg)).toEqual(target));
});
