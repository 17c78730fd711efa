// Issue "Reports, dashboards, views, import/export", end to end in a real browser: sales people
// register projects, the director opens the sample dashboard (server-drawn bars beside each
// data table, shared filters, a bar that opens the filtered list), the views and the import
// page. Screenshots go to ./screenshots/reports-*.png.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-1';
const APP = '/apps/project-registration';

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-reports-', shotPrefix: 'reports-' });

async function signIn(page, user, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

const PROJECTS = [
  ['智慧园区一期', '上海某某科技', '32000.00', '华东', 'software', 'planning', '2026-03-01', '2026-05-30'],
  ['数据中台', '杭州某某集团', '86000.50', '华东', 'integration', 'executing', '2026-02-10', '2026-08-31'],
  ['智能客服', '广州某某银行', '128000.00', '华南', 'consulting', 'executing', '2026-04-01', '2026-10-15'],
  ['仓储系统', '深圳某某物流', '45000.00', '华南', 'software', 'accepting', '2026-01-15', '2026-04-30'],
  ['运维外包', '北京某某能源', '66000.00', '华北', 'operations', 'planning', '2026-05-01', '2026-12-31'],
  ['财务共享', '武汉某某制造', '23000.80', '华中', 'integration', 'closed', '2026-01-05', '2026-03-20'],
];

test('the director reads the sample dashboard with data and opens a bar, the views and the import page', async () => {
  for (const [user, rows] of [['sales1', PROJECTS.slice(0, 4)], ['sales2', PROJECTS.slice(4)]]) {
    const page = await newPage();
    await signIn(page, user, APP);
    for (const [name, customer, amount, region, line, stage, start, end] of rows) {
      const status = await page.evaluate(async (body) => {
        const r = await fetch('/api/v1/apps/project-registration/forms/project/records', {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
        });
        return r.status;
      }, { name, customer, amount, region, business_line: line, stage, start_date: start, end_date: end,
        contact_phone: '13800138000',
        milestones: [{ title: '需求', start_date: start, due_date: start }, { title: '上线', depends_on: '需求', due_date: end }] });
      assert.equal(status, 201);
    }
    await page.context().close();
  }

  // Department heads and the director decide some steps, so the approval widgets have data.
  for (const [user, action] of [['manager1', 'approve'], ['manager2', 'approve'], ['director', 'return']]) {
    const p = await newPage();
    await signIn(p, user, APP);
    const decided = await p.evaluate(async (action) => {
      const inbox = await (await fetch('/api/v1/tasks')).json();
      let n = 0;
      for (const item of inbox.items.filter((i) => i.task).slice(0, 2)) {
        const r = await fetch(`/api/v1/tasks/${item.task.id}/decide`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ action, comment: '同意' }),
        });
        if (r.ok) n += 1;
      }
      return n;
    }, action);
    assert.ok(decided >= 0);
    await p.context().close();
  }

  const page = await newPage();
  await signIn(page, 'director', APP);
  await shot(page, '01-app-home');
  await page.click(`a[href="${APP}/dashboards/overview"]`);
  await page.waitForURL(`${base}${APP}/dashboards/overview`);
  assert.match(await page.locator('h1').innerText(), /项目概览/);
  assert.ok(await page.getByRole('heading', { name: '各区域预计金额' }).isVisible());
  assert.ok((await page.locator('.bars li').count()) >= 4);
  await shot(page, '02-dashboard');

  await page.selectOption('#p-region', '华东');
  await Promise.all([page.waitForURL(/region=/), page.click('form.filters button[type=submit]')]);
  await shot(page, '03-dashboard-east');

  await page.goto(`${base}${APP}/dashboards/overview`);
  const bar = page.locator('.bars li a[href*="f.region="]').first();
  await Promise.all([page.waitForURL(/\/forms\/project\/records\?f\.region=/), bar.click()]);
  await shot(page, '04-click-through-list');

  for (const [view, n] of [['projects_table', '05'], ['projects_board', '06'], ['projects_gantt', '07'], ['projects_calendar', '08'], ['amount_by_region_and_line', '09']]) {
    await page.goto(`${base}${APP}/views/${view}`);
    assert.equal(await page.locator('.data').count() > 0, true, view);
    await shot(page, `${n}-${view}`);
  }

  await page.goto(`${base}${APP}/dashboards/overview?lang=en`);
  assert.ok(await page.getByRole('heading', { name: 'Amount by region' }).isVisible());
  await shot(page, '11-dashboard-en');

  await page.goto(`${base}${APP}/forms/project/import?lang=zh-CN`);
  await shot(page, '10-import');
  assert.deepEqual(page.problems, []);
});
