// Issue 7 "Drafts (暂存)", end to end in a real browser: sales1 saves a half-filled project with
// 暂存, finds it under 我的草稿, reopens and completes it, and submits it; it takes the next
// number (sales2's project, submitted meanwhile, took the one before), its approval starts at
// manager1, and sales2 never sees the draft.
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test drafts.test.mjs)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-3';
const NEW_FORM = '/apps/project-registration/forms/project/new';

// A 404 page for sales2 and a 422 form page are expected answers; Chrome logs both.
useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-drafts-', shotPrefix: 'drafts-', ignoreConsole: /status of (404|422)/ });

async function signIn(page, username, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

function beijingYear() {
  return new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date());
}

test('a half-filled project saved as a draft is reopened, completed and submitted into the next number', async () => {
  // 1. sales1 fills in only the name and presses 暂存: no required-field errors, no number.
  const sales1 = await newPage();
  await signIn(sales1, 'sales1', NEW_FORM);
  await sales1.fill('#f-name', '智慧园区三期');
  await shot(sales1, '01-half-filled');
  await Promise.all([sales1.waitForURL(/\/drafts\/[0-9a-f-]+\?saved=1$/), sales1.click('#save-draft')]);
  assert.match(await sales1.locator('#notice').innerText(), /已暂存/);
  assert.match(await sales1.locator('h1').innerText(), /继续填写/);
  assert.equal(await sales1.inputValue('#f-name'), '智慧园区三期');
  const draftPath = new URL(sales1.url()).pathname;
  await shot(sales1, '02-saved');

  // 2. It is under 我的草稿.
  await sales1.click('.topnav a[href="/drafts"]');
  await sales1.waitForURL(`${base}/drafts`);
  assert.match(await sales1.locator('#drafts').innerText(), /智慧园区三期/);
  await shot(sales1, '03-my-drafts');

  // 3. sales2 cannot see it, and submits a project of their own meanwhile.
  const sales2 = await newPage();
  await signIn(sales2, 'sales2', NEW_FORM);
  const hidden = await sales2.goto(`${base}${draftPath}`);
  assert.equal(hidden.status(), 404);
  await sales2.goto(`${base}/drafts`);
  assert.ok(await sales2.locator('#drafts-empty').isVisible());
  await sales2.goto(`${base}${NEW_FORM}`);
  await sales2.fill('#f-name', '北方数据中心');
  await sales2.fill('#f-customer', '北京某某信息技术有限公司');
  await sales2.fill('#f-contact_phone', '13900139000');
  await sales2.fill('#f-amount', '20000');
  await sales2.selectOption('#f-region', '华北');
  await Promise.all([sales2.waitForURL(/\/records\/[0-9a-f-]+$/), sales2.click('form[data-record-form] button[type=submit]')]);
  assert.equal(await sales2.locator('#record-number').innerText(), `PRJ-${beijingYear()}-00001`);

  // 4. sales1 reopens the draft from the list and completes it; submitting validates in full.
  await sales1.click('#drafts a');
  await sales1.waitForURL(`${base}${draftPath}`);
  await Promise.all([sales1.waitForLoadState('domcontentloaded'), sales1.click('form[data-record-form] button.btn-primary')]);
  assert.ok(await sales1.locator('#error-summary').isVisible(), 'required fields are checked on submit');
  await shot(sales1, '04-submit-incomplete');
  await sales1.fill('#f-customer', '上海某某科技有限公司');
  await sales1.fill('#f-contact_phone', '13800138000');
  await sales1.fill('#f-amount', '30000');
  await sales1.selectOption('#f-region', '华南');
  await Promise.all([sales1.waitForURL(/\/records\/[0-9a-f-]+$/), sales1.click('form[data-record-form] button.btn-primary')]);
  assert.equal(new URL(sales1.url()).pathname, draftPath.replace('/drafts/', '/records/'));
  assert.equal(await sales1.locator('#record-number').innerText(), `PRJ-${beijingYear()}-00002`);
  assert.match(await sales1.locator('.page-head').innerText(), /审批中/);
  await shot(sales1, '05-submitted');
  await sales1.goto(`${base}/drafts`);
  assert.ok(await sales1.locator('#drafts-empty').isVisible());

  // 5. Its approval started: manager1 has it to do.
  const manager1 = await newPage();
  await signIn(manager1, 'manager1', '/inbox');
  assert.match((await manager1.locator('#inbox-table tbody').innerText()), new RegExp(`PRJ-${beijingYear()}-00002`));
  await shot(manager1, '06-manager1-inbox');

  for (const p of [sales1, sales2, manager1]) assert.deepEqual(p.problems, []);
});
