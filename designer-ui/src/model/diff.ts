// A readable diff between two packages, in words: fields, sections, checks, permissions, nodes
// and edges added, removed or changed. Pure, and shaped like the server's planned
// `GET /api/v1/apps/{app}/diff` answer (`{path, kind, summary: {zh-CN, en}, before, after}`),
// so it can be swapped for that endpoint without touching the views.

import { fieldOrder } from './form';
import { kindOf, kindSpec } from './fieldKinds';
import {
  PERMISSION_LISTS,
  type AppPackage,
  type EdgeDef,
  type FormDef,
  type NodeDef,
  type PermissionList,
  type ProcessDef,
  type Text,
} from './package';
import { nodeSpec } from './process';
import { accessChanges, inboxChanges } from './diffAccess';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface Change {
  path: string;
  kind: ChangeKind;
  summary: Text & { en: string };
  before?: unknown;
  after?: unknown;
}

/** JSON text with sorted keys, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

const zh = (t: Text | undefined, fallback: string) => t?.['zh-CN'] || fallback;
const en = (t: Text | undefined, fallback: string) => t?.en || t?.['zh-CN'] || fallback;

const KIND_WORDS: Record<ChangeKind, [string, string]> = {
  added: ['新增', 'Added'],
  removed: ['删除', 'Removed'],
  changed: ['修改', 'Changed'],
};

function change(path: string, kind: ChangeKind, zhText: string, enText: string, before?: unknown, after?: unknown): Change {
  return { path, kind, summary: { 'zh-CN': zhText, en: enText }, before, after };
}

function byId<T extends { id: string }>(list: T[] | undefined): Map<string, T> {
  return new Map((list ?? []).map((x) => [x.id, x]));
}

/** Added, removed and common ids of two lists, in a stable order (old order, then new ones). */
function pairs<T extends { id: string }>(a: T[] | undefined, b: T[] | undefined) {
  const ma = byId(a);
  const mb = byId(b);
  const ids = [...ma.keys(), ...[...mb.keys()].filter((k) => !ma.has(k))];
  return ids.map((id) => ({ id, before: ma.get(id), after: mb.get(id) }));
}

const PERMISSION_WORDS: Record<PermissionList, [string, string]> = {
  create: ['新建', 'create'],
  read_own: ['查看本人', 'read own'],
  read_department: ['查看本部门', 'read department'],
  read_all: ['查看全部', 'read all'],
  edit_own: ['编辑本人', 'edit own'],
  edit_all: ['编辑全部', 'edit all'],
  read_customer: ['查看本客户', "read own customer's"],
};

const FIELD_ASPECTS: Array<[string, string, (f: FieldView) => unknown]> = [
  ['标题', 'label', (f) => f.ui?.label],
  ['类型', 'kind', (f) => f.kind],
  ['必填', 'required', (f) => f.required],
  ['提示', 'help', (f) => f.ui?.help],
  ['选项', 'options', (f) => [f.schema?.enum ?? f.schema?.items?.enum, f.ui?.options]],
  ['校验', 'validation', (f) => {
    const { type: _t, enum: _e, properties: _p, items: _i, ...rest } = f.schema ?? {};
    return rest;
  }],
  ['提示语', 'messages', (f) => f.ui?.messages],
  ['显示条件', 'visible when', (f) => f.ui?.visible_when],
  ['必填条件', 'required when', (f) => f.ui?.required_when],
  ['只读条件', 'read-only when', (f) => f.ui?.readonly_when],
  ['默认值', 'default', (f) => f.ui?.default],
  ['计算公式', 'formula', (f) => f.ui?.compute],
  ['子表列', 'columns', (f) => [f.schema?.items?.properties, f.ui?.fields, f.columns]],
];

interface FieldView {
  schema?: import('./package').JsonSchema;
  ui?: import('./package').FieldUiDef;
  required: boolean;
  kind: string;
  columns?: string[];
}

function fieldView(form: FormDef, key: string): FieldView {
  const schema = form.schema.properties?.[key];
  const ui = form.ui?.fields?.[key];
  const kind = kindOf(schema ?? {}, ui?.widget);
  return {
    schema,
    ui,
    required: form.schema.required?.includes(key) ?? false,
    kind,
    // Without an explicit order, columns are as the stored (key-sorted) JSON has them.
    columns: kind === 'sub_table' ? (ui?.order ?? Object.keys(schema?.items?.properties ?? {}).sort()) : undefined,
  };
}

function kindName(kind: string): [string, string] {
  const spec = kindSpec(kind as never);
  return [spec?.label['zh-CN'] ?? kind, spec?.label.en ?? kind];
}

function formChanges(at: string, a: FormDef, b: FormDef, roles: import('./package').RoleDef[] = []): Change[] {
  const out: Change[] = [];
  const fname = [zh(b.name, b.id), en(b.name, b.id)];
  if (!same(a.name, b.name)) out.push(change(`${at}/name`, 'changed', `表单「${fname[0]}」改名（原「${zh(a.name, a.id)}」）`, `Form "${fname[1]}" renamed (was "${en(a.name, a.id)}")`, a.name, b.name));
  const ka = fieldOrder(a);
  const kb = fieldOrder(b);
  for (const key of [...ka, ...kb.filter((k) => !ka.includes(k))]) {
    const path = `${at}/schema/properties/${key}`;
    const inA = ka.includes(key);
    const inB = kb.includes(key);
    if (inA && !inB) {
      const f = fieldView(a, key);
      out.push(change(path, 'removed', `表单「${fname[0]}」删除字段「${zh(f.ui?.label, key)}」`, `Form "${fname[1]}": field "${en(f.ui?.label, key)}" removed`, f, undefined));
    } else if (!inA && inB) {
      const f = fieldView(b, key);
      const [kz, ke] = kindName(f.kind);
      out.push(change(path, 'added', `表单「${fname[0]}」新增字段「${zh(f.ui?.label, key)}」（${kz}）`, `Form "${fname[1]}": field "${en(f.ui?.label, key)}" added (${ke})`, undefined, f));
    } else {
      const fa = fieldView(a, key);
      const fb = fieldView(b, key);
      const aspects = FIELD_ASPECTS.filter(([, , get]) => !same(get(fa), get(fb)));
      if (aspects.length) {
        out.push(change(path, 'changed',
          `表单「${fname[0]}」修改字段「${zh(fb.ui?.label, key)}」：${aspects.map(([z]) => z).join('、')}`,
          `Form "${fname[1]}": field "${en(fb.ui?.label, key)}" changed: ${aspects.map(([, e]) => e).join(', ')}`, fa, fb));
      }
    }
  }
  const common = ka.filter((k) => kb.includes(k));
  const commonB = kb.filter((k) => ka.includes(k));
  if (!same(common, commonB)) out.push(change(`${at}/ui/order`, 'changed', `表单「${fname[0]}」调整了字段顺序`, `Form "${fname[1]}": fields reordered`, ka, kb));
  if (!same(a.ui?.sections?.map((s) => [s.id, s.title, s.columns]), b.ui?.sections?.map((s) => [s.id, s.title, s.columns]))) {
    out.push(change(`${at}/ui/sections`, 'changed', `表单「${fname[0]}」调整了分组与布局`, `Form "${fname[1]}": sections or columns changed`, a.ui?.sections, b.ui?.sections));
  }
  for (const { id, before, after } of pairs(a.checks, b.checks)) {
    const kind: ChangeKind | null = !before ? 'added' : !after ? 'removed' : same(before, after) ? null : 'changed';
    if (!kind) continue;
    const msg = (after ?? before)!.message;
    out.push(change(`${at}/checks/${id}`, kind, `表单「${fname[0]}」${KIND_WORDS[kind][0]}校验规则「${zh(msg, id)}」`, `Form "${fname[1]}": check "${en(msg, id)}" ${KIND_WORDS[kind][1].toLowerCase()}`, before, after));
  }
  if (!same(a.numbering, b.numbering)) out.push(change(`${at}/numbering`, a.numbering ? (b.numbering ? 'changed' : 'removed') : 'added', `表单「${fname[0]}」编号规则：${a.numbering?.pattern ?? '无'} → ${b.numbering?.pattern ?? '无'}`, `Form "${fname[1]}" numbering: ${a.numbering?.pattern ?? 'none'} → ${b.numbering?.pattern ?? 'none'}`, a.numbering, b.numbering));
  for (const list of PERMISSION_LISTS) {
    const ra = a.permissions?.[list] ?? [];
    const rb = b.permissions?.[list] ?? [];
    const added = rb.filter((r) => !ra.includes(r));
    const removed = ra.filter((r) => !rb.includes(r));
    if (!added.length && !removed.length) continue;
    const [wz, we] = PERMISSION_WORDS[list];
    const parts = [added.length ? `增加 ${added.join('、')}` : '', removed.length ? `取消 ${removed.join('、')}` : ''].filter(Boolean).join('，');
    const partsEn = [added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
    out.push(change(`${at}/permissions/${list}`, 'changed', `表单「${fname[0]}」权限「${wz}」：${parts}`, `Form "${fname[1]}" permission "${we}": ${partsEn}`, ra, rb));
  }
  out.push(...accessChanges(at, a, b, fname, roles));
  return out;
}

const NODE_ASPECTS: Array<[string, string, (n: NodeDef) => unknown]> = [
  ['名称', 'name', (n) => n.name],
  ['类型', 'kind', (n) => n.kind],
  ['处理人', 'assignee', (n) => ('assignee' in n ? n.assignee : undefined)],
  ['审批方式', 'mode', (n) => ('mode' in n ? [n.mode, n.ratio] : undefined)],
  ['期限', 'deadline', (n) => ('deadline' in n ? n.deadline : undefined)],
  ['无人处理时', 'fallback', (n) => ('fallback' in n ? n.fallback : undefined)],
  ['字段权限', 'field access', (n) => ('fields' in n ? n.fields : undefined)],
  ['驳回/退回是否须填理由', 'reason for reject/return required', (n) => ('reason_optional' in n ? n.reason_optional ?? false : false)],
  ['结果', 'outcome', (n) => ('outcome' in n ? n.outcome : undefined)],
  ['设置字段', 'set fields', (n) => ('set' in n ? n.set : undefined)],
  ['等待', 'wait', (n) => (n.kind === 'wait' ? [n.hours, n.until_field] : undefined)],
];

const edgeKey = (e: EdgeDef) => `${e.from}→${e.to}${e.on ? `:${e.on}` : ''}`;

function processChanges(at: string, a: ProcessDef, b: ProcessDef, forms: [FormDef | undefined, FormDef | undefined]): Change[] {
  const out: Change[] = [];
  const pname = [zh(b.name, b.id), en(b.name, b.id)];
  if (!same(a.name, b.name)) out.push(change(`${at}/name`, 'changed', `流程「${pname[0]}」改名`, `Process "${pname[1]}" renamed`, a.name, b.name));
  for (const { id, before, after } of pairs(a.nodes, b.nodes)) {
    const n = (after ?? before)!;
    const nz = zh(n.name, id);
    const ne = en(n.name, id);
    const kz = nodeSpec(n.kind)?.label['zh-CN'] ?? n.kind;
    const ke = nodeSpec(n.kind)?.label.en ?? n.kind;
    if (!before) out.push(change(`${at}/nodes/${id}`, 'added', `流程「${pname[0]}」新增${kz}节点「${nz}」`, `Process "${pname[1]}": ${ke} node "${ne}" added`, undefined, after));
    else if (!after) out.push(change(`${at}/nodes/${id}`, 'removed', `流程「${pname[0]}」删除节点「${nz}」`, `Process "${pname[1]}": node "${ne}" removed`, before, undefined));
    else {
      const aspects = NODE_ASPECTS.filter(([, , get]) => !same(get(before), get(after)));
      if (aspects.length) out.push(change(`${at}/nodes/${id}`, 'changed', `流程「${pname[0]}」修改节点「${nz}」：${aspects.map(([z]) => z).join('、')}`, `Process "${pname[1]}": node "${ne}" changed: ${aspects.map(([, e]) => e).join(', ')}`, before, after));
    }
  }
  const name = (p: ProcessDef, id: string) => p.nodes.find((n) => n.id === id)?.name;
  const ea = new Map(a.edges.map((e) => [edgeKey(e), e]));
  const eb = new Map(b.edges.map((e) => [edgeKey(e), e]));
  for (const key of [...ea.keys(), ...[...eb.keys()].filter((k) => !ea.has(k))]) {
    const before = ea.get(key);
    const after = eb.get(key);
    const e = (after ?? before)!;
    const p = after ? b : a;
    const words = `「${zh(name(p, e.from), e.from)}」→「${zh(name(p, e.to), e.to)}」`;
    const wordsEn = `"${en(name(p, e.from), e.from)}" → "${en(name(p, e.to), e.to)}"`;
    const kind: ChangeKind | null = !before ? 'added' : !after ? 'removed' : same(before, after) ? null : 'changed';
    if (!kind) continue;
    const cond = after?.when ? `（条件：${after.when}）` : after?.default ? '（默认分支）' : '';
    const condEn = after?.when ? ` (when ${after.when})` : after?.default ? ' (default branch)' : '';
    out.push(change(`${at}/edges/${key}`, kind, `流程「${pname[0]}」${KIND_WORDS[kind][0]}连线 ${words}${cond}`, `Process "${pname[1]}": connection ${wordsEn} ${KIND_WORDS[kind][1].toLowerCase()}${condEn}`, before, after));
  }
  out.push(...inboxChanges(at, a, b, forms, pname));
  return out;
}

/** Every change from `a` to `b`, in words. */
export function diffPackages(a: AppPackage, b: AppPackage): Change[] {
  const out: Change[] = [];
  if (!same(a.name, b.name)) out.push(change('/name', 'changed', `应用改名为「${zh(b.name, b.id)}」`, `App renamed to "${en(b.name, b.id)}"`, a.name, b.name));
  for (const { id, before, after } of pairs(a.roles, b.roles)) {
    const r = (after ?? before)!;
    const kind: ChangeKind | null = !before ? 'added' : !after ? 'removed' : same(before, after) ? null : 'changed';
    if (kind) out.push(change(`/roles/${id}`, kind, `${KIND_WORDS[kind][0]}角色「${zh(r.name, id)}」（${id}）`, `Role "${en(r.name, id)}" (${id}) ${KIND_WORDS[kind][1].toLowerCase()}`, before, after));
  }
  for (const { id, before, after } of pairs(a.forms, b.forms)) {
    const f = (after ?? before)!;
    if (!before) out.push(change(`/forms/${id}`, 'added', `新增表单「${zh(f.name, id)}」（${fieldOrder(f).length} 个字段）`, `Form "${en(f.name, id)}" added (${fieldOrder(f).length} fields)`, undefined, after));
    else if (!after) out.push(change(`/forms/${id}`, 'removed', `删除表单「${zh(f.name, id)}」`, `Form "${en(f.name, id)}" removed`, before, undefined));
    else out.push(...formChanges(`/forms/${id}`, before, after, b.roles ?? []));
  }
  for (const { id, before, after } of pairs(a.processes, b.processes)) {
    const p = (after ?? before)!;
    if (!before) out.push(change(`/processes/${id}`, 'added', `新增流程「${zh(p.name, id)}」（${p.nodes.length} 个节点）`, `Process "${en(p.name, id)}" added (${p.nodes.length} nodes)`, undefined, after));
    else if (!after) out.push(change(`/processes/${id}`, 'removed', `删除流程「${zh(p.name, id)}」`, `Process "${en(p.name, id)}" removed`, before, undefined));
    else out.push(...processChanges(`/processes/${id}`, before, after, [a.forms?.find((f) => f.id === before.form), b.forms?.find((f) => f.id === after.form)]));
  }
  for (const part of ['reports', 'dashboards', 'rules'] as const) {
    if (!same(a[part], b[part])) {
      const [z, e] = { reports: ['报表', 'Reports'], dashboards: ['仪表盘', 'Dashboards'], rules: ['自动化规则', 'Rules'] }[part];
      out.push(change(`/${part}`, 'changed', `${z}有修改`, `${e} changed`, a[part], b[part]));
    }
  }
  return out;
}
