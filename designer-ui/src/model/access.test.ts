import { beforeEach, describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { useEditor } from '../state/editor';
import { samplePackage } from '../test/sample';
import {
  clearFieldPermissions,
  fieldRoleAccess,
  moveInboxColumn,
  setChangePolicy,
  setEditableAfterApproval,
  setEditableFields,
  setFieldRoleAccess,
  setInboxColumns,
} from './access';
import { diffPackages } from './diff';
import { removeField, renameField } from './form';
import type { AppPackage, FormDef } from './package';
import { englishFor, followName } from './process';

const ROLES = ['sales', 'manager', 'director', 'client'];
const project = (p: AppPackage) => p.forms!.find((f) => f.id === 'project')!;
const flow = (p: AppPackage) => p.processes!.find((x) => x.id === 'registration_approval')!;
/** The package as the server stores it: JSON, without undefined entries. */
const roundTrip = <T,>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A sample with none of the settings under test, to build them up from nothing. */
function bare(): AppPackage {
  return produce(samplePackage(), (d) => {
    const f = project(d);
    delete f.permissions!.fields;
    delete f.permissions!.read_customer;
    delete f.after_approval;
    delete flow(d).inbox_columns;
  });
}

describe('per-role field permissions', () => {
  it('hides a field from one role: lists written from all roles, minus that one', () => {
    const p = produce(bare(), (d) => setFieldRoleAccess(project(d), 'amount', 'client', 'hidden', ROLES));
    expect(roundTrip(project(p).permissions!.fields)).toEqual({
      amount: { read: ['sales', 'manager', 'director'], write: ['sales', 'manager', 'director'] },
    });
    expect(fieldRoleAccess(project(p), 'amount', 'client')).toBe('hidden');
    expect(fieldRoleAccess(project(p), 'amount', 'sales')).toBe('write');
  });

  it('makes a field read-only for a role, and drops lists that name every role again', () => {
    let p = produce(bare(), (d) => setFieldRoleAccess(project(d), 'amount', 'manager', 'read', ROLES));
    expect(roundTrip(project(p).permissions!.fields!.amount)).toEqual({ write: ['sales', 'director', 'client'] });
    expect(fieldRoleAccess(project(p), 'amount', 'manager')).toBe('read');
    p = produce(p, (d) => setFieldRoleAccess(project(d), 'amount', 'manager', 'write', ROLES));
    // Everyone may again: the entry stays (its grid stays open) and says nothing more.
    expect(roundTrip(project(p).permissions!.fields)).toEqual({ amount: {} });
    p = produce(p, (d) => clearFieldPermissions(project(d), 'amount'));
    expect(project(p).permissions!.fields).toBeUndefined();
  });

  it('reads the shipped sample: actual cost hidden from sales, readable by the manager', () => {
    const f = project(samplePackage());
    expect(fieldRoleAccess(f, 'actual_cost', 'sales')).toBe('hidden');
    expect(fieldRoleAccess(f, 'actual_cost', 'manager')).toBe('write');
    expect(fieldRoleAccess(f, 'name', 'client')).toBe('write');
  });

  it('goes back to the record permissions, and follows renames and removals of the field', () => {
    let p = produce(bare(), (d) => setFieldRoleAccess(project(d), 'amount', 'client', 'hidden', ROLES));
    p = produce(p, (d) => renameField(d, 'project', 'amount', 'budget'));
    expect(Object.keys(project(p).permissions!.fields!)).toEqual(['budget']);
    const cleared = produce(p, (d) => clearFieldPermissions(project(d), 'budget'));
    expect(project(cleared).permissions!.fields).toBeUndefined();
    const removed = produce(p, (d) => removeField(d, 'project', 'budget'));
    expect(project(removed).permissions!.fields).toBeUndefined();
  });
});

describe('after approval', () => {
  it('keeps milestones editable by the owner, others through a change request, and back to nothing', () => {
    let p = produce(bare(), (d) => {
      setEditableFields(project(d), ['milestones', 'stage']);
      setEditableAfterApproval(project(d), 'stage', ['owner', 'manager']);
      setChangePolicy(project(d), 'change_request');
    });
    expect(roundTrip(project(p).after_approval)).toEqual({
      editable: { milestones: ['owner'], stage: ['owner', 'manager'] },
      changes: 'change_request',
    });
    p = produce(p, (d) => {
      setEditableFields(project(d), []);
      setChangePolicy(project(d), 'locked');
    });
    expect(project(p).after_approval).toBeUndefined();
  });

  it('locks a field again when nobody may edit it, and forgets a removed field', () => {
    let p = produce(bare(), (d) => setEditableFields(project(d), ['milestones', 'stage']));
    p = produce(p, (d) => setEditableAfterApproval(project(d), 'stage', []));
    expect(Object.keys(project(p).after_approval!.editable!)).toEqual(['milestones']);
    p = produce(p, (d) => removeField(d, 'project', 'milestones'));
    expect(project(p).after_approval).toBeUndefined();
  });

  it('builds the sample settings from nothing', () => {
    const want = samplePackage();
    const p = produce(bare(), (d) => {
      setEditableFields(project(d), Object.keys(project(want).after_approval!.editable!));
      setChangePolicy(project(d), 'change_request');
    });
    expect(roundTrip(project(p).after_approval)).toEqual(project(want).after_approval);
  });
});

describe('inbox columns and optional reasons', () => {
  it('sets, reorders and clears the columns, keeping each field once', () => {
    let p = produce(bare(), (d) => setInboxColumns(flow(d), ['customer', 'amount', 'customer', 'region']));
    expect(flow(p).inbox_columns).toEqual(['customer', 'amount', 'region']);
    p = produce(p, (d) => moveInboxColumn(flow(d), 'region', -1));
    expect(flow(p).inbox_columns).toEqual(['customer', 'region', 'amount']);
    p = produce(p, (d) => moveInboxColumn(flow(d), 'customer', -1));
    expect(flow(p).inbox_columns).toEqual(['customer', 'region', 'amount']);
    p = produce(p, (d) => renameField(d, 'project', 'amount', 'budget'));
    expect(flow(p).inbox_columns).toEqual(['customer', 'region', 'budget']);
    p = produce(p, (d) => setInboxColumns(flow(d), []));
    expect('inbox_columns' in flow(p)).toBe(false);
  });

  it('describes every new setting in words, in both languages', () => {
    const a = bare();
    const b = produce(a, (d) => {
      setFieldRoleAccess(project(d), 'amount', 'client', 'hidden', ROLES);
      project(d).permissions!.read_customer = ['client'];
      setEditableFields(project(d), ['milestones']);
      setChangePolicy(project(d), 'change_request');
      setInboxColumns(flow(d), ['customer', 'amount']);
      const n = flow(d).nodes.find((x) => x.kind === 'approval')!;
      if (n.kind === 'approval') n.reason_optional = true;
    });
    const words = diffPackages(a, b).map((c) => c.summary['zh-CN']);
    expect(words).toContain('表单「项目登记」权限「查看本客户」：增加 client');
    expect(words).toContain('表单「项目登记」字段「预计金额（元）」权限：对 总经理、华东区负责人、财务、客户联系人、应用管理员 隐藏');
    expect(words).toContain('表单「项目登记」审批通过后可修改：里程碑（提交人本人）；其余字段通过变更申请修改');
    const b2 = produce(b, (d) => setFieldRoleAccess(project(d), 'contact_phone', 'manager', 'read', d.roles!.map((r) => r.id)));
    expect(diffPackages(b, b2).map((c) => c.summary.en)).toContain('Form "Project registration" field "Contact phone" permissions: read-only for Department manager');
    expect(words.find((w) => w.includes('待办列表的列'))).toMatch(/：默认 → 客户.*、预计金额（元）$/);
    expect(words.some((w) => w.endsWith('：驳回/退回是否须填理由'))).toBe(true);
  });
});

describe('the editor store keeps the settings through undo and redo', () => {
  beforeEach(() => useEditor.getState().load('project-registration', bare(), 1));

  it('undoes a field permission and redoes it', () => {
    const s = useEditor.getState;
    s().edit((d) => setFieldRoleAccess(project(d), 'amount', 'client', 'hidden', ROLES));
    const f = (): FormDef => project(s().present!);
    expect(fieldRoleAccess(f(), 'amount', 'client')).toBe('hidden');
    s().undo();
    expect(fieldRoleAccess(f(), 'amount', 'client')).toBe('write');
    s().redo();
    expect(fieldRoleAccess(f(), 'amount', 'client')).toBe('hidden');
  });
});

describe('node names', () => {
  const roles = [{ name: { 'zh-CN': '总监', en: 'Director' } }];

  it('lets an English name nobody typed follow the Chinese one', () => {
    // A new approval node is 审批 / Approval; the analyst writes 总监审批.
    expect(followName({ 'zh-CN': '审批', en: 'Approval' }, { 'zh-CN': '总监审批', en: 'Approval' }, roles)).toEqual({ 'zh-CN': '总监审批', en: 'Director approval' });
    // Nothing fits: the English goes, so the Chinese shows in both languages.
    expect(followName({ 'zh-CN': '部门负责人审批', en: 'Department head approval' }, { 'zh-CN': '华东区审批', en: 'Department head approval' }, roles)).toEqual({ 'zh-CN': '华东区审批' });
    expect(followName({ 'zh-CN': '华东区审批' }, { 'zh-CN': '已通过' }, roles)).toEqual({ 'zh-CN': '已通过', en: 'Approved' });
  });

  it('keeps an English name the analyst typed', () => {
    expect(followName({ 'zh-CN': '总监审批', en: 'Sign-off' }, { 'zh-CN': '总监复核', en: 'Sign-off' }, roles)).toEqual({ 'zh-CN': '总监复核', en: 'Sign-off' });
    expect(followName({ 'zh-CN': '总监审批', en: 'Director approval' }, { 'zh-CN': '总监审批', en: 'Director OK' }, roles)).toEqual({ 'zh-CN': '总监审批', en: 'Director OK' });
  });

  it('generates English from the roles of the package', () => {
    expect(englishFor('总监审核', roles)).toBe('Director review');
    expect(englishFor('审批', roles)).toBe('Approval');
    expect(englishFor('财务审批', roles)).toBeUndefined();
  });
});
