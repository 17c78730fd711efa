import { beforeAll, describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { addColumn, addField, addSection, blankForm, columnOrder, duplicateField, fieldKind, fieldOrder, moveColumn, moveField, removeField, removeSection, renameField } from './form';
import { KINDS, kindOf } from './fieldKinds';
import { loadPinyin } from './keys';
import { blankPackage, type AppPackage } from './package';
import { blankProcess } from './process';

beforeAll(async () => { await loadPinyin(); });

function app(): AppPackage {
  const pkg = blankPackage('a', { 'zh-CN': 'A' });
  pkg.forms = [blankForm('f', { 'zh-CN': '表单' })];
  return pkg;
}
const form = (pkg: AppPackage) => pkg.forms![0];

describe('form edits', () => {
  it('adds fields with keys from their labels, in order, at a position', () => {
    const pkg = produce(app(), (d) => {
      addField(form(d), 'text', { 'zh-CN': '项目名称' });
      addField(form(d), 'money', { 'zh-CN': '金额' });
      addField(form(d), 'date', { 'zh-CN': '开始日期' }, { index: 1 });
    });
    expect(fieldOrder(form(pkg))).toEqual(['xiang_mu_ming_cheng', 'kai_shi_ri_qi', 'jin_e']);
    expect(form(pkg).ui!.order).toEqual(fieldOrder(form(pkg)));
    expect(form(pkg).ui!.fields!.jin_e.widget).toBe('money');
  });

  it('creates every palette kind so the runtime reads it back as that kind', () => {
    const pkg = produce(app(), (d) => {
      for (const k of KINDS) addField(form(d), k.kind, k.label);
    });
    const kinds = fieldOrder(form(pkg)).map((key) => fieldKind(form(pkg), key));
    expect(kinds).toEqual(KINDS.map((k) => k.kind));
    expect(form(pkg).schema.$defs?.file_ref).toBeDefined();
  });

  it('reads the sample package fields as the runtime does', async () => {
    const { samplePackage } = await import('../test/sample');
    const f = samplePackage().forms![0];
    const kinds = Object.fromEntries(fieldOrder(f).map((k) => [k, kindOf(f.schema.properties![k], f.ui?.fields?.[k]?.widget)]));
    expect(kinds).toMatchObject({ amount: 'money', region: 'select', contact_phone: 'mobile', milestones: 'sub_table', attachments: 'attachments', start_date: 'date', description: 'textarea' });
  });

  it('moves, duplicates and removes fields; removal also clears node field grids', () => {
    let pkg = produce(app(), (d) => {
      for (const l of ['甲', '乙', '丙']) addField(form(d), 'text', { 'zh-CN': l });
      const p = blankProcess('p', { 'zh-CN': '流程' }, 'f');
      (p.nodes[1] as { fields?: Record<string, string> }).fields = { yi: 'editable', jia: 'hidden' };
      d.processes = [p];
    });
    pkg = produce(pkg, (d) => moveField(form(d), 'bing', { index: 0 }));
    expect(fieldOrder(form(pkg))).toEqual(['bing', 'jia', 'yi']);
    pkg = produce(pkg, (d) => { duplicateField(form(d), 'jia'); });
    expect(fieldOrder(form(pkg))).toEqual(['bing', 'jia', 'jia_copy', 'yi']);
    pkg = produce(pkg, (d) => removeField(d, 'f', 'yi'));
    expect(fieldOrder(form(pkg))).toEqual(['bing', 'jia', 'jia_copy']);
    expect((pkg.processes![0].nodes[1] as { fields?: Record<string, string> }).fields).toEqual({ jia: 'hidden' });
  });

  it('renames a key everywhere it is used', () => {
    let pkg = produce(app(), (d) => {
      addField(form(d), 'date', { 'zh-CN': '结束' });
      form(d).schema.required = ['jie_shu'];
      form(d).checks = [{ id: 'c', check: 'jie_shu', path: '/jie_shu', message: { 'zh-CN': 'x' } }];
    });
    pkg = produce(pkg, (d) => renameField(d, 'f', 'jie_shu', 'end_date'));
    const f = form(pkg);
    expect(Object.keys(f.schema.properties!)).toEqual(['end_date']);
    expect(f.schema.required).toEqual(['end_date']);
    expect(f.ui!.order).toEqual(['end_date']);
    expect(f.checks![0].path).toBe('/end_date');
  });

  it('keeps sections and the flat order in step', () => {
    let pkg = produce(app(), (d) => {
      for (const l of ['甲', '乙']) addField(form(d), 'text', { 'zh-CN': l });
      addSection(form(d), { 'zh-CN': '更多' }, 'more');
    });
    expect(form(pkg).ui!.sections!.map((s) => [s.id, s.fields])).toEqual([['basic', ['jia', 'yi']], ['more', []]]);
    pkg = produce(pkg, (d) => { addField(form(d), 'text', { 'zh-CN': '丙' }, { section: 'more' }); });
    pkg = produce(pkg, (d) => moveField(form(d), 'jia', { section: 'more', index: 0 }));
    expect(form(pkg).ui!.sections!.map((s) => s.fields)).toEqual([['yi'], ['jia', 'bing']]);
    expect(form(pkg).ui!.order).toEqual(['yi', 'jia', 'bing']);
    pkg = produce(pkg, (d) => removeSection(form(d), 'more'));
    expect(form(pkg).ui!.sections!.map((s) => s.fields)).toEqual([['yi', 'jia', 'bing']]);
  });

  it('gives a sub-table its own columns in their own order', () => {
    let pkg = produce(app(), (d) => {
      addField(form(d), 'sub_table', { 'zh-CN': '里程碑' });
      addColumn(form(d), 'li_cheng_bei', 'text', { 'zh-CN': '名称' });
      addColumn(form(d), 'li_cheng_bei', 'date', { 'zh-CN': '日期' });
      addColumn(form(d), 'li_cheng_bei', 'user', { 'zh-CN': '负责人' }, 0);
    });
    expect(columnOrder(form(pkg), 'li_cheng_bei')).toEqual(['fu_ze_ren', 'ming_cheng', 'ri_qi']);
    pkg = produce(pkg, (d) => moveColumn(form(d), 'li_cheng_bei', 0, 2));
    expect(columnOrder(form(pkg), 'li_cheng_bei')).toEqual(['ming_cheng', 'ri_qi', 'fu_ze_ren']);
    expect(fieldKind(form(pkg), 'li_cheng_bei', 'ri_qi')).toBe('date');
    expect(() => produce(pkg, (d) => { addColumn(form(d), 'li_cheng_bei', 'sub_table', { 'zh-CN': 'x' }); })).toThrow();
  });
});
