// Issue 9 "Approval integrity and the approver's day", end to end in a real browser on desktop
// and on a 390×844 phone: an approved project is locked and changes only through 变更, which the
// director approves before the new amount shows; 驳回 needs a reason and leaves the project
// 已驳回待修改 with the reason and 修改并重新提交 on its page; withdraw → edit (an attachment and
// a milestone row) → 重新提交 goes back to the first approver; a ¥120,000 华东 project's timeline
// shows 销售总监 now and 总经理 → 华东区负责人 ahead.
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test integrity.test.mjs)
//
// Screenshots go to ./screenshots/integrity-*.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { base, newPage, shot, useDemoServer, workDir } from './harness.mjs';

const PASSWORD = 'browser-test-pass-9';
const RECORDS = '/api/v1/apps/project-registration/forms/project/records';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

// Refusals this walk provokes on purpose (an edit page of a locked project, a reasonless 驳回).
useDemoServer({
  password: PASSWORD,
  tmpPrefix: 'formwork-integrity-',
  shotPrefix: 'integrity-',
  ignoreConsole: /status of (409|422)/,
});

async function signIn(page, username, next = '/inbox') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

/** A project submitted through the API with the page's session; its id. */
async function project(page, name, amount, region) {
  const res = await page.request.post(`${base}${RECORDS}`, {
    data: { name, customer: '华信科技有限公司', contact_phone: '010-12345678', amount, region,
            start_date: '2027-01-04', end_date: '2027-06-30' },
  });
  assert.equal(res.status(), 201, await res.text());
  return (await res.json()).id;
}

/** Opens `username`'s task on record `id` from the record's timeline (the task page). */
async function openTaskOf(page, id) {
  const res = await page.request.get(`${base}/api/v1/tasks?box=todo`);
  const item = (await res.json()).items.find((i) => i.record.id === id);
  assert.ok(item, `a to-do on ${id}`);
  await page.goto(`${base}/tasks/${item.task.id}`);
}

/** Presses a decision button and waits for the inbox. */
async function decide(page, label, comment) {
  if (comment !== undefined) await page.fill('#comment', comment);
  await Promise.all([
    page.waitForURL(/\/inbox\?done=/),
    page.locator('#decide-form .decision-buttons').getByRole('button', { name: label, exact: true }).click(),
  ]);
}

async function noSidewaysScroll(page) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width}px)`);
}

test('an approved project is locked; 变更 raises the amount only once the director approves', async () => {
  const sales1 = await newPage();
  await signIn(sales1, 'sales1', '/');
  const id = await project(sales1, '园区安防升级', '13600', '华南');
  const manager1 = await newPage();
  await signIn(manager1, 'manager1');
  await openTaskOf(manager1, id);
  await decide(manager1, '同意', '同意');

  await sales1.goto(`${base}/records/${id}`);
  assert.match(await sales1.locator('.page-head').innerText(), /已通过/);
  assert.equal(await sales1.getByRole('link', { name: '编辑', exact: true }).count(), 0, 'no 编辑 on an approved project');
  assert.match(await sales1.locator('#locked-hint').innerText(), /变更/);
  await shot(sales1, '01-approved-locked');
  const direct = await sales1.goto(`${base}/records/${id}/edit`);
  assert.equal(direct.status(), 409);
  const { rev } = await (await sales1.request.get(`${base}/api/v1/records/${id}`)).json();
  const patched = await sales1.request.fetch(`${base}/api/v1/records/${id}`, {
    method: 'PATCH', headers: { 'if-match': `"${rev}"` }, data: { amount: '990000' },
  });
  assert.equal(patched.status(), 409);
  assert.match((await patched.json()).message, /变更/);

  await sales1.goto(`${base}/records/${id}`);
  await Promise.all([sales1.waitForURL(/\/change$/), sales1.click('#change')]);
  await sales1.locator('#f-amount').fill('');
  await sales1.locator('#f-amount').pressSequentially('80000');
  assert.equal(await sales1.inputValue('#f-amount'), '80,000', 'thousands separators while typing');
  assert.equal(await sales1.locator('.money-words').first().innerText(), '捌万元整');
  await sales1.fill('#change-comment', '客户追加门禁子系统');
  await shot(sales1, '02-change-form');
  await Promise.all([sales1.waitForURL(`${base}/records/${id}`), sales1.click('form[data-record-form] button[type=submit]')]);
  const pending = await sales1.locator('#pending-change').innerText();
  assert.match(pending, /13,600/);
  assert.match(pending, /80,000/);
  assert.match(await sales1.locator('[data-key="amount"]').innerText(), /13,600/, 'the approved amount stays');
  assert.match(await sales1.locator('#timeline').innerText(), /发起变更/);
  await shot(sales1, '03-change-pending');

  const director = await newPage();
  await signIn(director, 'director');
  await director.waitForSelector('[data-unread]:not([hidden])');
  assert.match(await director.locator('.nav-bell').innerText(), /消息\s*\d+/, 'the bell counts unread messages');
  const row = await director.locator('#inbox-table tbody tr', { hasText: '园区安防升级' }).innerText();
  for (const part of ['客户', '华信科技有限公司', '预计金额', '80,000', '区域', '华南']) {
    assert.ok(row.includes(part), `the inbox row shows ${part}: ${row}`);
  }
  await shot(director, '04a-director-inbox');
  await openTaskOf(director, id);
  assert.match(await director.locator('[data-key="amount"]').innerText(), /80,000/, 'the director decides on the new amount');
  await shot(director, '04-director-change-task');
  await decide(director, '同意', '同意变更');

  await sales1.reload();
  assert.match(await sales1.locator('[data-key="amount"]').innerText(), /80,000/);
  assert.equal(await sales1.locator('#pending-change').count(), 0);
  assert.match(await sales1.locator('.page-head').innerText(), /已通过/);
  await shot(sales1, '05-change-approved');

  const phone = await newPage(PHONE);
  await signIn(phone, 'sales1', `/records/${id}`);
  await noSidewaysScroll(phone);
  await shot(phone, '06-phone-record');
  // The list of the owner's projects on the phone: compact cards, the true status on each.
  await phone.goto(`${base}/apps/project-registration/forms/project/records`);
  await noSidewaysScroll(phone);
  await shot(phone, '06b-phone-list');
  for (const p of [sales1, manager1, director, phone]) assert.deepEqual(p.problems, []);
});

test('驳回 needs a reason; then the owner sees 已驳回待修改, the reason and 修改并重新提交', async () => {
  const sales1 = await newPage();
  await signIn(sales1, 'sales1', '/');
  const id = await project(sales1, '仓储系统改造', '30000', '华南');
  const manager1 = await newPage(PHONE);
  await signIn(manager1, 'manager1');
  await shot(manager1, '07-phone-inbox');
  await openTaskOf(manager1, id);
  await noSidewaysScroll(manager1);
  await shot(manager1, '08-phone-task');
  await manager1.locator('#decide-form .decision-buttons').getByRole('button', { name: '驳回', exact: true }).click();
  await manager1.waitForLoadState();
  assert.match(await manager1.locator('#task-message').innerText(), /请填写理由/);
  assert.match(manager1.dialogs.at(-1), /确定驳回/);
  await shot(manager1, '09-phone-reject-refused');
  await decide(manager1, '驳回', '请补充客户联系人及分项报价');

  await sales1.goto(`${base}/records/${id}`);
  assert.match(await sales1.locator('.page-head').innerText(), /已驳回待修改/);
  assert.match(await sales1.locator('#return-reason').innerText(), /请补充客户联系人及分项报价/);
  const revise = sales1.locator('#revise');
  assert.equal(await revise.innerText(), '修改并重新提交');
  await shot(sales1, '10-returned-record');
  const list = await sales1.request.get(`${base}${RECORDS}?filter=status:eq:returned`);
  assert.equal((await list.json()).items.length, 1);
  await Promise.all([sales1.waitForURL(/\/revise$/), revise.click()]);
  await sales1.getByRole('button', { name: '+ 添加一行' }).click();
  await sales1.locator('table[data-table="milestones"] tbody tr').nth(0).locator('input[name$="[title]"]').fill('补充分项报价');
  const file = path.join(workDir, '分项报价.pdf');
  writeFileSync(file, '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
  await sales1.setInputFiles('#f-attachments', file);
  await sales1.fill('#f-contact_email', 'li@example.com');
  await sales1.fill('#change-comment', '已补充联系人和分项报价');
  await shot(sales1, '11-revise-form');
  await sales1.click('form[data-record-form] button[type=submit]');
  await sales1.waitForLoadState();
  if (sales1.url().endsWith('/revise')) {
    await shot(sales1, '11-revise-refused');
    assert.fail(await sales1.locator('main').innerText());
  }
  await sales1.waitForURL(`${base}/records/${id}`);
  assert.match(await sales1.locator('.page-head').innerText(), /审批中/);
  assert.match(await sales1.locator('[data-key="attachments"]').innerText(), /分项报价\.pdf/);
  assert.match(await sales1.locator('[data-key="milestones"]').innerText(), /补充分项报价/);
  await shot(sales1, '11b-revised-back-in-review');
  await manager1.goto(`${base}/inbox`);
  assert.match(await manager1.locator('#inbox-table').innerText(), /仓储系统改造/);
  for (const p of [sales1, manager1]) assert.deepEqual(p.problems, []);
});

test('withdraw, add an attachment and a milestone row, and 重新提交 goes back to the first approver', async () => {
  const sales1 = await newPage();
  await signIn(sales1, 'sales1', '/');
  const id = await project(sales1, '数据中心运维', '80000', '华北');
  await sales1.goto(`${base}/records/${id}`);
  await Promise.all([sales1.waitForLoadState('load'), sales1.click('#withdraw')]);
  await sales1.waitForURL(`${base}/records/${id}`);
  assert.match(sales1.dialogs.at(-1), /确定撤回/);
  assert.match(await sales1.locator('.page-head').innerText(), /已撤回/);
  assert.match(await sales1.locator('#withdrawn-hint').innerText(), /重新提交/);
  await shot(sales1, '12-withdrawn');

  await Promise.all([sales1.waitForURL(/\/edit$/), sales1.getByRole('link', { name: '编辑', exact: true }).click()]);
  await sales1.getByRole('button', { name: '+ 添加一行' }).click();
  const rows = sales1.locator('table[data-table="milestones"] tbody tr');
  await rows.nth(0).locator('input[name$="[title]"]').fill('机房巡检方案');
  const file = path.join(workDir, '运维方案.pdf');
  writeFileSync(file, '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
  await sales1.setInputFiles('#f-attachments', file);
  await Promise.all([sales1.waitForURL(`${base}/records/${id}`), sales1.click('form[data-record-form] button[type=submit]')]);
  assert.match(await sales1.locator('[data-key="milestones"]').innerText(), /机房巡检方案/);
  assert.match(await sales1.locator('[data-key="attachments"]').innerText(), /运维方案\.pdf/);
  await Promise.all([sales1.waitForURL(`${base}/records/${id}`), sales1.click('#resubmit')]);
  assert.match(await sales1.locator('.page-head').innerText(), /审批中/);
  const timeline = await sales1.locator('#timeline').innerText();
  assert.match(timeline, /撤回/);
  assert.match(timeline, /修改后重新提交/);
  await shot(sales1, '13-resubmitted');

  const director = await newPage();
  await signIn(director, 'director');
  assert.match((await director.locator('#inbox-table').innerText()), /数据中心运维/);
  for (const p of [sales1, director]) assert.deepEqual(p.problems, []);
});

test('a ¥120,000 华东 project shows 销售总监 now and 总经理 → 华东区负责人 ahead', async () => {
  const sales1 = await newPage();
  await signIn(sales1, 'sales1', '/');
  const id = await project(sales1, '智慧园区二期', '120000', '华东');
  await sales1.goto(`${base}/records/${id}`);
  const waiting = await sales1.locator('#timeline li.tl-waiting').allInnerTexts();
  assert.equal(waiting.length, 1);
  assert.match(waiting[0], /销售总监审批（大额）/);
  const ahead = await sales1.locator('#timeline li.tl-upcoming').allInnerTexts();
  assert.equal(ahead.length, 2, ahead.join(' | '));
  assert.match(ahead[0], /总经理审批/);
  assert.match(ahead[1], /华东区负责人审批/);
  await shot(sales1, '14-road-ahead');

  const director = await newPage(PHONE);
  await signIn(director, 'director');
  await openTaskOf(director, id);
  const road = await director.locator('#timeline').innerText();
  assert.match(road, /总经理审批[\s\S]*华东区负责人审批/);
  await noSidewaysScroll(director);
  await shot(director, '15-phone-task-road-ahead');
  for (const p of [sales1, director]) assert.deepEqual(p.problems, []);
});

test('an unknown address is a page for people and JSON for programs', async () => {
  const page = await newPage();
  await signIn(page, 'sales1', '/');
  const res = await page.goto(`${base}/no/such/page`);
  assert.equal(res.status(), 404);
  assert.match(await page.locator('main').innerText(), /找不到|不存在/);
  await shot(page, '16-not-found');
  const api = await page.request.get(`${base}/api/v1/no-such-thing`);
  assert.equal(api.status(), 404);
  assert.equal((await api.json()).error, 'not_found');
});
