// The access part of the package diff, worded as the server's `designer/diff_access.rs`:
// per-field permissions, what stays editable after approval (变更) and a process's inbox columns.

import type { Change } from './diff';
import { same } from './diff';
import type { FieldPermissionDef, FormDef, ProcessDef, RoleDef } from './package';

const label = (form: FormDef | undefined, key: string, lang: 'zh-CN' | 'en') => {
  const t = form?.ui?.fields?.[key]?.label;
  return (lang === 'en' ? t?.en : undefined) || t?.['zh-CN'] || key;
};

/** `owner` and role ids, named as the package names the roles. */
const who = (roles: RoleDef[], list: string[], lang: 'zh-CN' | 'en') =>
  list.map((r) => {
    if (r === 'owner') return lang === 'en' ? 'the owner' : '提交人本人';
    const n = roles.find((x) => x.id === r)?.name;
    return (lang === 'en' ? n?.en : undefined) || n?.['zh-CN'] || r;
  }).join(lang === 'en' ? ', ' : '、');

/** The package's roles a field is hidden from and read-only for (a missing list: nobody). */
function restricted(roles: RoleDef[], p: FieldPermissionDef): [string[], string[]] {
  const has = (l: string[] | undefined, r: string) => l === undefined || l.includes(r);
  const ids = roles.map((r) => r.id);
  return [ids.filter((r) => !has(p.read, r)), ids.filter((r) => has(p.read, r) && !has(p.write, r))];
}

const mk = (path: string, kind: Change['kind'], z: string, e: string, before: unknown, after: unknown): Change => ({ path, kind, summary: { 'zh-CN': z, en: e }, before, after });

/** `roles`: the newer package's, for their names. */
export function accessChanges(at: string, a: FormDef, b: FormDef, [fz, fe]: string[], roles: RoleDef[]): Change[] {
  const out: Change[] = [];
  const pa: Record<string, FieldPermissionDef> = a.permissions?.fields ?? {};
  const pb: Record<string, FieldPermissionDef> = b.permissions?.fields ?? {};
  for (const key of [...Object.keys(pa), ...Object.keys(pb).filter((k) => !(k in pa))]) {
    const x = pa[key];
    const y = pb[key];
    if (same(x, y)) continue;
    const form = y ? b : a;
    const [lz, le] = [label(form, key, 'zh-CN'), label(form, key, 'en')];
    const kind = !x ? 'added' : !y ? 'removed' : 'changed';
    if (!y) {
      out.push(mk(`${at}/permissions/fields/${key}`, kind, `表单「${fz}」字段「${lz}」取消单独的字段权限（随记录权限）`, `Form "${fe}" field "${le}": own permissions removed (as the record's)`, x, y));
    } else {
      const [hidden, readOnly] = restricted(roles, y);
      const z = [hidden.length ? `对 ${who(roles, hidden, 'zh-CN')} 隐藏` : '', readOnly.length ? `对 ${who(roles, readOnly, 'zh-CN')} 只读` : ''].filter(Boolean);
      const e = [hidden.length ? `hidden from ${who(roles, hidden, 'en')}` : '', readOnly.length ? `read-only for ${who(roles, readOnly, 'en')}` : ''].filter(Boolean);
      out.push(mk(`${at}/permissions/fields/${key}`, kind, `表单「${fz}」字段「${lz}」权限：${z.join('，') || '各角色均可编辑'}`, `Form "${fe}" field "${le}" permissions: ${e.join('; ') || 'every role may edit it'}`, x, y));
    }
  }
  const [x, y] = [a.after_approval, b.after_approval];
  if (!same(x, y)) {
    const kind = !x ? 'added' : !y ? 'removed' : 'changed';
    if (!y) {
      out.push(mk(`${at}/after_approval`, kind, `表单「${fz}」审批通过后全部锁定（取消“通过后可修改”设置）`, `Form "${fe}": everything locked after approval (settings removed)`, x, y));
    } else {
      const fields = (lang: 'zh-CN' | 'en') => {
        const list = Object.entries(y.editable ?? {}).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))
          .map(([k, w]) => (lang === 'en' ? `${label(b, k, lang)} (${who(roles, w, lang)})` : `${label(b, k, lang)}（${who(roles, w, lang)}）`));
        return list.length ? list.join(lang === 'en' ? ', ' : '、') : lang === 'en' ? 'none' : '无';
      };
      const [cz, ce] = y.changes === 'change_request' ? ['其余字段通过变更申请修改', 'other fields change through a change request'] : ['其余字段锁定', 'other fields locked'];
      out.push(mk(`${at}/after_approval`, kind, `表单「${fz}」审批通过后可修改：${fields('zh-CN')}；${cz}`, `Form "${fe}" after approval editable: ${fields('en')}; ${ce}`, x, y));
    }
  }
  return out;
}

export function inboxChanges(at: string, a: ProcessDef, b: ProcessDef, forms: [FormDef | undefined, FormDef | undefined], [pz, pe]: string[]): Change[] {
  const ca = a.inbox_columns ?? [];
  const cb = b.inbox_columns ?? [];
  if (same(ca, cb)) return [];
  const words = (cols: string[], form: FormDef | undefined, lang: 'zh-CN' | 'en') =>
    cols.length ? cols.map((k) => label(form, k, lang)).join(lang === 'en' ? ', ' : '、') : lang === 'en' ? 'default' : '默认';
  return [mk(`${at}/inbox_columns`, 'changed',
    `流程「${pz}」待办列表的列：${words(ca, forms[0], 'zh-CN')} → ${words(cb, forms[1], 'zh-CN')}`,
    `Process "${pe}" inbox columns: ${words(ca, forms[0], 'en')} → ${words(cb, forms[1], 'en')}`, a.inbox_columns, b.inbox_columns)];
}
