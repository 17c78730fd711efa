// Issue "Background jobs, automation rules, notifications and the working-time calendar", seen
// in a real browser against the real `formwork demo` server (its worker runs beside it; no SMTP
// server is configured, so mail shows as skipped).
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test automation.test.mjs)
//
// The walk: sales2 registers a ¥150,000 project, director and ceo approve it; the sample app's
// rule notifies finance, whose message shows on /messages and whose run (with the mail recorded
// as skipped) shows on the record's page; an admin reads the jobs page and the working calendar
// (2026 国庆节 and its 调休 day) and imports a year with a mistake on line 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-3';

// The import with a mistake answers 422 on purpose.
useDemoServer({
  password: PASSWORD,
  tmpPrefix: 'formwork-automation-',
  shotPrefix: 'automation-',
  ignoreConsole: /status of 422/,
});

async function signIn(page, username, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

async function api(page, method, path, data) {
  const res = await page.request.fetch(`${base}${path}`, { method, data });
  assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${await res.text()}`);
  return res.json();
}

async function approveAs(username, recordId) {
  const page = await newPage();
  await signIn(page, username, '/inbox');
  const inbox = await api(page, 'GET', '/api/v1/tasks?box=todo');
  const item = inbox.items.find((i) => i.record.id === recordId);
  assert.ok(item, `${username} has the task`);
  await api(page, 'POST', `/api/v1/tasks/${item.task.id}/decide`, { action: 'approve' });
  await page.context().close();
}

test('an approved large project tells finance, and the run, the jobs and the calendar show in Chinese', async () => {
  const sales = await newPage();
  await signIn(sales, 'sales2', '/');
  const record = await api(sales, 'POST', '/api/v1/apps/project-registration/forms/project/records', {
    name: '华北数据中心', customer: '北方电网', contact_phone: '13800138000', amount: '150000', region: '华北',
  });
  await approveAs('director', record.id);
  await approveAs('ceo', record.id);

  // The worker runs the rule within a few rounds; the record page shows the run.
  let shown = false;
  for (let i = 0; i < 60 && !shown; i += 1) {
    await sales.goto(`${base}/records/${record.id}`);
    shown = (await sales.locator('#rule-runs').count()) > 0;
    if (!shown) await sales.waitForTimeout(500);
  }
  assert.ok(shown, 'the rule run shows on the record page');
  const runs = await sales.locator('#rule-runs').innerText();
  assert.match(runs, /大额项目通过后通知财务/);
  assert.match(runs, /流程结束时/);
  assert.match(runs, /未配置邮件服务器/);
  await shot(sales, 'record-rule-runs');

  const finance = await newPage();
  await signIn(finance, 'finance', '/messages');
  const messages = await finance.locator('#messages').innerText();
  assert.match(messages, /大额项目已通过：华北数据中心/);
  assert.match(messages, /大额项目已通过审批，请跟进合同与回款计划/);
  await shot(finance, 'messages');

  const admin = await newPage();
  await signIn(admin, 'admin', '/admin/jobs');
  assert.match(await admin.locator('h1').innerText(), /后台任务/);
  assert.ok((await admin.locator('#jobs-table tbody tr').count()) > 0, 'jobs are listed');
  await shot(admin, 'jobs');
  await admin.goto(`${base}/admin/jobs?state=done&lang=en`);
  assert.match(await admin.locator('h1').innerText(), /Background jobs/);
  await shot(admin, 'jobs-en');

  await admin.goto(`${base}/admin/calendar?lang=zh-CN`);
  const year2026 = await admin.locator('#year-2026').innerText();
  assert.match(year2026, /国庆节/);
  assert.match(year2026, /调休上班/);
  await admin.fill('#import-year', '2027');
  await admin.fill('#import-schedule', '2027-01-01,holiday,元旦\n2027-02-30,holiday,不存在的日子');
  await admin.click('form.calendar-import button[type=submit]');
  assert.match(await admin.locator('#calendar-errors').innerText(), /第 2 行/);
  await shot(admin, 'calendar-import-error');

  for (const page of [sales, finance, admin]) {
    assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
  }
});
