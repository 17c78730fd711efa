// Issue 8, "a stopped instance found, reassigned and completed", end to end in a real browser:
// the real `formwork demo` server on a fresh SQLite database, Debian's Chromium driven by
// playwright-core (nothing is downloaded).
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test instances.test.mjs)
//
// The walk: 财务 周婷 is away (suspended), so two expense claims of sales1 stop at 财务复核 with
// nobody to take it. The admin sees it on the home page, finds both in 流程管理 → 已停止, opens
// one: 重试 stops again (said so); once 周婷 is back, 重试 hands her the task; the admin then
// 改派 it by name to 总经理 赵敏, who approves it from the to-do inbox; the department head
// approves and the claim is 已通过, with every admin step on the timeline. On a phone the admin
// cancels the second claim with a reason, and it becomes 已撤回 for its submitter.
//
// FORMWORK_BIN overrides the binary (default ../../target/debug/formwork), CHROMIUM the browser
// (default: `which chromium`, else /usr/bin/chromium). Screenshots go to ./screenshots/instances-*.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-3';
const APP = 'expense-review';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-instances-', shotPrefix: 'instances-' });

/** An expense claim checked by 财务 周婷 (nobody else), then the submitter's department head. */
const PACKAGE = {
  format: 'formwork/app@1',
  id: APP,
  name: { 'zh-CN': '费用报销', en: 'Expense claims' },
  forms: [{
    id: 'claim',
    name: { 'zh-CN': '报销单', en: 'Claim' },
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'amount'],
      properties: {
        title: { type: 'string', minLength: 2, maxLength: 100 },
        amount: { type: 'string', pattern: '^\\d{1,9}(\\.\\d{1,2})?$' },
        reason: { type: 'string', maxLength: 500 },
      },
    },
    ui: {
      order: ['title', 'amount', 'reason'],
      fields: {
        title: { label: { 'zh-CN': '事由', en: 'Purpose' }, widget: 'text' },
        amount: { label: { 'zh-CN': '金额（元）', en: 'Amount (CNY)' }, widget: 'money' },
        reason: { label: { 'zh-CN': '说明', en: 'Details' }, widget: 'textarea' },
      },
    },
    permissions: { create: ['*'], read_own: ['*'], edit_own: ['*'] },
  }],
  processes: [{
    id: 'claim_review',
    name: { 'zh-CN': '报销审批', en: 'Claim approval' },
    form: 'claim',
    nodes: [
      { id: 'start', kind: 'start' },
      {
        id: 'finance_check', kind: 'approval', name: { 'zh-CN': '财务复核', en: 'Finance check' },
        assignee: { type: 'user', username: 'finance' }, fallback: { type: 'stop' },
        deadline: { hours: 24 },
      },
      {
        id: 'head_approval', kind: 'approval', name: { 'zh-CN': '部门负责人审批', en: 'Department head' },
        assignee: { type: 'department_head', levels: 1 }, fallback: { type: 'stop' },
      },
      { id: 'approved', kind: 'end', outcome: 'approved' },
    ],
    edges: [
      { from: 'start', to: 'finance_check' },
      { from: 'finance_check', to: 'head_approval' },
      { from: 'head_approval', to: 'approved' },
    ],
  }],
};

/** Signs `username` in and lands on `next`. */
async function signIn(page, username, next = '/') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

/** A JSON API call of the signed-in page's person; asserts the status. */
async function api(page, method, path, body, status = 200) {
  const res = await page.request.fetch(`${base}${path}`, { method, data: body });
  assert.equal(res.status(), status, `${method} ${path}: ${await res.text()}`);
  return res.json();
}

/** sales1 submits a claim through the form page; returns the record page's address. */
async function submitClaim(page, title, amount) {
  await page.goto(`${base}/apps/${APP}/forms/claim/new`);
  await page.fill('#f-title', title);
  await page.fill('#f-amount', amount);
  await Promise.all([page.waitForURL(/\/records\/[0-9a-f-]+$/), page.click('form[data-record-form] button[type=submit]')]);
  return page.url();
}

/** Presses a button of the admin's instance page and waits for its confirmation. */
async function adminAct(page, form, label) {
  await Promise.all([
    page.waitForURL(/\/admin\/instances\/[0-9a-f-]+\?done=/),
    page.locator(form).getByRole('button', { name: label, exact: true }).click(),
  ]);
  return page.locator('#flash').innerText();
}

test('a stopped claim is found by the admin, retried, reassigned by name and completed', async () => {
  const analyst = await newPage();
  await signIn(analyst, 'analyst');
  await api(analyst, 'POST', '/api/v1/apps', PACKAGE, 201);
  await api(analyst, 'POST', `/api/v1/apps/${APP}/publish`, {});

  const admin = await newPage();
  await signIn(admin, 'admin');
  await api(admin, 'POST', '/api/v1/users/finance/suspend', {});

  // 1. sales1 submits two claims; both stop at 财务复核 with nobody to take it.
  const sales1 = await newPage();
  await signIn(sales1, 'sales1');
  const first = await submitClaim(sales1, '北京出差差旅费', '3280.50');
  const second = await submitClaim(sales1, '客户招待费（重复提交）', '860');
  await sales1.goto(first);
  const submitterTimeline = await sales1.locator('#timeline').innerText();
  assert.match(submitterTimeline, /流程停止：找不到处理人，等待管理员处理/);
  assert.match(await sales1.locator('#process-status').innerText(), /已停止/);
  await shot(sales1, '01-submitter-sees-it-stopped');

  // 2. The admin's home page points at stopped processes; the list shows both, with why.
  await admin.goto(`${base}/`);
  assert.match(await admin.locator('#stopped-processes').innerText(), /已停止/);
  assert.ok(await admin.locator('.topnav .nav-admin').isVisible(), 'the top bar reaches 流程管理');
  await shot(admin, '02-admin-home');
  await Promise.all([admin.waitForURL(/\/admin\/instances\?status=stopped$/), admin.click('#stopped-processes a')]);
  const rows = await admin.locator('#instances-table tbody tr').allInnerTexts();
  assert.equal(rows.length, 2, rows.join('\n'));
  for (const row of rows) {
    assert.match(row, /财务复核/);
    assert.match(row, /找不到处理人/);
    assert.match(row, /华东销售 张伟/);
  }
  assert.match(await admin.locator('.tabs a[aria-current="page"]').innerText(), /已停止/);
  await shot(admin, '03-stopped-list');

  // 3. Retrying while 周婷 is away stops again, and the page says so.
  await Promise.all([
    admin.waitForURL(/\/admin\/instances\/[0-9a-f-]+$/),
    admin.locator('#instances-table tbody tr', { hasText: '北京出差差旅费' }).getByRole('link', { name: '查看' }).click(),
  ]);
  assert.match(await admin.locator('#stopped-alert').innerText(), /流程停止于「财务复核」：找不到处理人/);
  await shot(admin, '04-instance-stopped');
  assert.equal(await adminAct(admin, '#retry-form', '重试'), '已重试，但流程再次停止，原因见下方。');

  // 4. 周婷 is back: a retry hands her the task.
  await api(admin, 'POST', '/api/v1/users/finance/reinstate', {});
  assert.equal(await adminAct(admin, '#retry-form', '重试'), '已重试，流程继续。');
  assert.match(await admin.locator('#instance-status').innerText(), /审批中/);
  const open = await admin.locator('#open-tasks tbody tr').allInnerTexts();
  assert.equal(open.length, 1);
  assert.match(open[0], /财务复核/);
  assert.match(open[0], /财务 周婷/);
  await shot(admin, '05-instance-retried');

  // 5. She is busy with the month's close: the admin gives it to 总经理 赵敏 by name.
  const picker = admin.locator('#open-tasks .reassign-form .person-picker input[type=text]');
  await picker.fill('赵敏');
  const options = admin.locator('#open-tasks .reassign-form .person-picker [role=option]');
  for (let i = 0; i < 50 && (await options.count()) !== 1; i += 1) await admin.waitForTimeout(100);
  assert.match(await options.innerText(), /总经理 赵敏/, 'the picker offers people by name');
  await picker.press('ArrowDown');
  await picker.press('Enter');
  assert.equal(await adminAct(admin, '#open-tasks .reassign-form', '改派'), '已改派。');
  assert.match((await admin.locator('#open-tasks tbody tr').allInnerTexts())[0], /总经理 赵敏/);
  const adminTimeline = await admin.locator('#timeline').innerText();
  assert.match(adminTimeline, /系统管理员\s*重试此步骤/);
  assert.match(adminTimeline, /将待办由 财务 周婷 改派给 总经理 赵敏/);
  await shot(admin, '06-reassigned');

  // 6. 赵敏 approves it from her inbox; 张伟's department head approves; the claim is 已通过.
  for (const [who, step] of [['ceo', '财务复核'], ['manager1', '部门负责人审批']]) {
    const page = await newPage();
    await signIn(page, who, '/inbox');
    const row = page.locator('#inbox-table tbody tr', { hasText: '北京出差差旅费' });
    assert.match(await row.innerText(), new RegExp(step));
    await Promise.all([page.waitForURL(/\/tasks\/[0-9a-f-]+$/), row.getByRole('link', { name: '处理' }).click()]);
    if (who === 'ceo') await shot(page, '07-assignee-task');
    await page.fill('#comment', '同意报销');
    await Promise.all([
      page.waitForURL(/\/inbox\?done=/),
      page.locator('#decide-form .decision-buttons').getByRole('button', { name: '同意', exact: true }).click(),
    ]);
    assert.deepEqual(page.problems, []);
  }
  await sales1.goto(first);
  assert.match(await sales1.locator('#process-status').innerText(), /已通过/);
  const finalTimeline = await sales1.locator('#timeline').innerText();
  assert.match(finalTimeline, /总经理 赵敏\s*同意/);
  assert.match(finalTimeline, /将待办由 财务 周婷 改派给 总经理 赵敏/);
  await shot(sales1, '08-claim-approved');

  // 7. On a phone the admin cancels the duplicate claim with a reason; it becomes 已撤回.
  const phone = await newPage(PHONE);
  await signIn(phone, 'admin', '/admin/instances?status=stopped');
  assert.equal(await phone.locator('#instances-table tbody tr').count(), 1);
  await shot(phone, '09-phone-stopped-list');
  // On a phone the card's title is what opens it.
  await Promise.all([phone.waitForURL(/\/admin\/instances\/[0-9a-f-]+$/), phone.locator('#instances-table .item-title').click()]);
  await shot(phone, '10-phone-instance');
  await phone.fill('#cancel-reason', '与 3 月 5 日的报销单重复，已电话告知张伟。');
  await phone.check('#cancel-form input[value="withdrawn"]');
  assert.equal(await adminAct(phone, '#cancel-form', '终止流程'), '已终止流程。');
  assert.match(await phone.locator('#instance-status').innerText(), /已撤回/);
  assert.match(await phone.locator('#timeline').innerText(), /终止流程，结果为已撤回/);
  await shot(phone, '11-phone-cancelled');
  await sales1.goto(second);
  assert.match(await sales1.locator('.page-head').innerText(), /已撤回/);
  assert.match(await sales1.locator('#timeline').innerText(), /与 3 月 5 日的报销单重复/);

  // The running list, on a desktop, with filters.
  await admin.goto(`${base}/admin/instances?status=running&app=${APP}`);
  assert.match(await admin.locator('#instances-empty').innerText(), /没有符合条件的流程/);
  await admin.goto(`${base}/admin/instances?status=stopped`);
  assert.match(await admin.locator('#instances-empty').innerText(), /没有已停止的流程/);
  await shot(admin, '12-stopped-list-empty');

  for (const page of [analyst, admin, sales1, phone]) assert.deepEqual(page.problems, []);
});
