// The palette's field kinds as the designer writes them, kept in tests/fixtures so the Rust side
// can check that formwork-forms reads each one back as the same kind (see
// crates/formwork-forms/tests/designer_kinds.rs). UPDATE_FIXTURES=1 rewrites the file.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { KINDS } from './fieldKinds';
import { addColumn, addField, blankForm, renameField } from './form';
import { blankPackage } from './package';

const FIXTURE = path.resolve(import.meta.dirname, '../../../tests/fixtures/designer-field-kinds.json');

function allKinds() {
  const pkg = blankPackage('kinds', { 'zh-CN': '字段类型', en: 'Field kinds' });
  pkg.forms = [blankForm('kinds', { 'zh-CN': '全部字段类型', en: 'Every field kind' })];
  return produce(pkg, (d) => {
    const form = d.forms![0];
    for (const k of KINDS) {
      const key = addField(form, k.kind, k.label);
      renameField(d, 'kinds', key, `k_${k.kind}`);
    }
    form.schema.properties!.k_relation['x-formwork-form'] = 'kinds';
    addColumn(form, 'k_sub_table', 'text', { 'zh-CN': '名称', en: 'Name' });
  });
}

describe('field kinds fixture', () => {
  it('matches what the designer writes today', () => {
    const text = `${JSON.stringify(allKinds(), null, 2)}\n`;
    if (process.env.UPDATE_FIXTURES) writeFileSync(FIXTURE, text);
    expect(readFileSync(FIXTURE, 'utf8')).toBe(text);
  });
});
