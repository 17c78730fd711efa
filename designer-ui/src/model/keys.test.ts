import { beforeAll, describe, expect, it } from 'vitest';
import { idFromName, keyFromLabel, loadPinyin, uniqueKey, KEY_PATTERN, type Transliterate } from './keys';

let tr: Transliterate;
beforeAll(async () => {
  tr = await loadPinyin();
});

describe('key generation', () => {
  it('turns a Chinese label into pinyin words', () => {
    expect(keyFromLabel('项目名称', [], 'field', tr)).toBe('xiang_mu_ming_cheng');
    expect(keyFromLabel('区域', [], 'field', tr)).toBe('qu_yu');
  });

  it('keeps latin words and digits of mixed labels', () => {
    expect(keyFromLabel('Due date', [], 'field', tr)).toBe('due_date');
    expect(keyFromLabel('联系人 Email', [], 'field', tr)).toBe('lian_xi_ren_email');
  });

  it('adds a counter when the key is taken or reserved', () => {
    expect(keyFromLabel('项目名称', ['xiang_mu_ming_cheng'], 'field', tr)).toBe('xiang_mu_ming_cheng_2');
    expect(keyFromLabel('项目名称', ['xiang_mu_ming_cheng', 'xiang_mu_ming_cheng_2'], 'field', tr)).toBe('xiang_mu_ming_cheng_3');
    expect(keyFromLabel('Status', [], 'field', tr)).toBe('status_2');
    expect(uniqueKey('row', [])).toBe('row_2');
  });

  it('starts with a letter and stays a valid key whatever the label', () => {
    for (const label of ['2024 预算', '！！！', '', '金额（元）', 'a'.repeat(100), '😀']) {
      const key = keyFromLabel(label, [], 'field', tr);
      expect(key, label).toMatch(KEY_PATTERN);
      expect(key.length).toBeLessThanOrEqual(64);
    }
  });

  it('cuts long labels at a word boundary', () => {
    const key = keyFromLabel('这是一个非常非常非常长的字段标题用来测试', [], 'field', tr);
    expect(key.length).toBeLessThanOrEqual(32);
    expect(key.endsWith('_')).toBe(false);
  });

  it('falls back to a readable slug without pinyin', () => {
    expect(keyFromLabel('项目名称', [], 'field', null)).toBe('field');
    expect(keyFromLabel('项目名称', ['field'], 'field', null)).toBe('field_2');
  });

  it('makes app ids the same way', () => {
    expect(idFromName('客户项目报备', [], 'app', tr)).toBe('ke_hu_xiang_mu_bao_bei');
  });
});
