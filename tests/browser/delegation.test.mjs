// Issue 11, delegation in a real browser: manager1 (华东销售部经理 王强) sets an absence with
// manager2 as delegate; a project sales1 registers meanwhile lands in manager2's inbox; manager2
// approves it and the record's timeline says it was on manager1's behalf; manager1 ends the
// absence. Screenshots go to ./screenshots/delegation-*.
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test delegation.test.mjs)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-delegation';

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-delegation-', shotPrefix: 'delegation-' });

async function signIn(page, username, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

test('a task created during an absence lands with the delegate and the timeline says on whose behalf', async () => {
  const away = await newPage();
  await signIn(away, 'manager1', '/settings/delegation');
  // The delegate is picked by name (the picker posts the username; no login id on the page).
  await away.fill('#delegate', '刘洋');
  const options = away.locator('.person-picker:has(#delegate) [role=option]');
  // The search as typed: only 刘洋 matches once the answer for the whole name has arrived.
  for (let i = 0; i < 50 && (await options.count()) !== 1; i += 1) await away.waitForTimeout(100);
  assert.match(await options.innerText(), /刘洋/);
  await away.press('#delegate', 'ArrowDown');
  await away.press('#delegate', 'Enter');
  await Promise.all([away.waitForURL(/moved=0/), away.click('#delegation-form button[type=submit]')]);
  assert.match(await away.locator('#current').innerText(), /华北销售部经理 刘洋/);
  await shot(away, '01-set');

  const sales1 = await newPage();
  await signIn(sales1, 'sales1', '/apps/project-registration/forms/project/new');
  await sales1.fill('#f-name', '外出期间的小项目');
  await sales1.fill('#f-customer', '上海某某科技有限公司');
  await sales1.fill('#f-contact_phone', '13800138000');
  await sales1.fill('#f-amount', '20000');
  await sales1.selectOption('#f-region', '华南');
  await Promise.all([sales1.waitForURL(/\/records\/[0-9a-f-]+$/), sales1.click('form[data-record-form] button[type=submit]')]);
  const recordUrl = sales1.url();

  const delegate = await newPage();
  await signIn(delegate, 'manager2', '/inbox');
  const row = delegate.locator('#inbox-table tbody tr', { hasText: '外出期间的小项目' });
  await Promise.all([delegate.waitForURL(/\/tasks\/[0-9a-f-]+$/), row.getByRole('link', { name: '处理' }).click()]);
  await delegate.fill('#comment', '王强外出，代为审批。');
  await Promise.all([
    delegate.waitForURL(/\/inbox\?done=/),
    delegate.locator('#decide-form .decision-buttons').getByRole('button', { name: '同意', exact: true }).click(),
  ]);

  await sales1.goto(recordUrl);
  assert.match(await sales1.locator('main').innerText(), /华北销售部经理 刘洋[\s\S]*代 华东销售部经理 王强 处理：同意/);
  await shot(sales1, '02-timeline');

  await away.goto(`${base}/settings/delegation`);
  await Promise.all([away.waitForURL(/moved=/), away.click('#take-back')]);
  assert.equal(await away.locator('#current').count(), 0);
  await shot(away, '03-taken-back');
  for (const p of [away, sales1, delegate]) assert.deepEqual(p.problems, []);
});
