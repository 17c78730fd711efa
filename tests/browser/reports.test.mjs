// Issue "Reports, dashboards, views, import/export", end to end in a real browser: sales people
// register projects, the director opens the sample dashboard (ECharts charts over the
// server-drawn bars, which stay with the data tables as the fallback without JavaScript, shared
// filters, a slice that opens the filtered list), the views, a kanban drag (and a refused one)
// and the import page with its progress. Screenshots go to ./screenshots/reports-*.png.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-1';
const APP = '/apps/project-registration';

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-reports-', shotPrefix: 'reports-', demoRecords: true });

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

/** The centre of the first slice of the pie drawn in `figure`, in page coordinates. */
async function firstSlice(figure) {
  const box = await figure.locator('.chart-canvas').boundingBox();
  // The chart spec puts the pie at (50%, 44%) with a ring from 35% to 65% of the radius (30% to
  // 58% when narrow); the first slice starts at twelve o'clock and runs clockwise.
  const r = (Math.min(box.width, box.height) / 2) * 0.47;
  const a = (8 * Math.PI) / 180;
  return { x: box.x + box.width / 2 + r * Math.sin(a), y: box.y + box.height * 0.44 - r * Math.cos(a) };
}

test('the director reads the sample dashboard with data and opens a bar, the views and the import page', async () => {
  const ids = {};
  for (const [user, rows] of [['sales1', PROJECTS.slice(0, 4)], ['sales2', PROJECTS.slice(4)]]) {
    const page = await newPage();
    await signIn(page, user, APP);
    for (const [name, customer, amount, region, line, stage, start, end] of rows) {
      const [status, id] = await page.evaluate(async (body) => {
        const r = await fetch('/api/v1/apps/project-registration/forms/project/records', {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
        });
        return [r.status, (await r.json()).id];
      }, { name, customer, amount, region, business_line: line, stage, start_date: start, end_date: end,
        contact_phone: '13800138000',
        milestones: [{ title: '需求', start_date: start, due_date: start }, { title: '上线', depends_on: '需求', due_date: end }] });
      assert.equal(status, 201);
      ids[name] = id;
    }
    await page.context().close();
  }

  // sales1 takes 仓储系统 back before anyone decides: a withdrawn record is theirs to change,
  // so its card may move; the others stay held by their approval.
  {
    const page = await newPage();
    await signIn(page, 'sales1', APP);
    const status = await page.evaluate(async (id) => {
      const r = await fetch(`/api/v1/records/${id}/withdraw`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ comment: '调整阶段' }),
      });
      return r.status;
    }, ids['仓储系统']);
    assert.equal(status, 200);
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
  // Each chart is drawn by ECharts (SVG) over its fallback, which is hidden then.
  const charts = page.locator('figure.chart.chart-on');
  await charts.first().waitFor();
  assert.ok((await charts.count()) >= 4, 'four report charts');
  assert.ok((await page.locator('figure.chart-on .chart-canvas svg').count()) >= 4);
  assert.equal(await page.locator('figure.chart-on .bars').first().isVisible(), false);
  await shot(page, '02-dashboard');

  await page.selectOption('#p-region', '华东');
  await Promise.all([page.waitForURL(/region=/), page.click('form.filters button[type=submit]')]);
  await shot(page, '03-dashboard-east');

  // A click on a slice of the region pie opens the record list narrowed to that region.
  await page.goto(`${base}${APP}/dashboards/overview`);
  const pie = page.locator('section.widget', { has: page.getByRole('heading', { name: '各区域预计金额' }) }).locator('figure.chart-on');
  await pie.locator('svg').waitFor();
  const slice = await firstSlice(pie);
  await Promise.all([page.waitForURL(/\/forms\/project\/records\?f\.region=/), page.mouse.click(slice.x, slice.y)]);
  await shot(page, '04-click-through-list');

  // A report page draws its chart too, and its export links stay.
  await page.goto(`${base}${APP}/reports/projects_by_status`);
  await page.locator('figure.chart-on svg').waitFor();
  await shot(page, '12-report-chart');

  // On a phone the charts fit the width.
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await signIn(phone, 'director', `${APP}/dashboards/overview`);
  await phone.locator('figure.chart-on svg').first().waitFor();
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling on a phone (${width}px)`);
  await shot(phone, '13-dashboard-phone');
  assert.deepEqual(phone.problems, []);
  await phone.context().close();

  // Without JavaScript the server's bars and the data tables carry the same numbers.
  const nojs = await newPage({ javaScriptEnabled: false });
  await signIn(nojs, 'director', `${APP}/dashboards/overview`);
  assert.equal(await nojs.locator('figure.chart svg').count(), 0);
  assert.ok(await nojs.locator('figure.chart .bars').first().isVisible());
  assert.ok((await nojs.locator('figure.chart .bars li').count()) >= 4);
  assert.ok((await nojs.locator('section.widget details table.data').count()) >= 4);
  const fallback = nojs.locator('figure.chart .bars li a[href*="f.region="]').first();
  await Promise.all([nojs.waitForURL(/\/forms\/project\/records\?f\.region=/), fallback.click()]);
  await nojs.goto(`${base}${APP}/dashboards/overview`);
  await shot(nojs, '14-dashboard-nojs');
  await nojs.context().close();

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

test('sales1 drags a card they may change to another column; a card held by its approval stays, with the reason', async () => {
  const page = await newPage();
  await signIn(page, 'sales1', `${APP}/views/projects_board`);
  await page.locator('.kanban-hint').waitFor();
  const card = (title) => page.locator('.kcard', { has: page.getByRole('link', { name: title, exact: true }) });
  const lane = (value) => page.locator(`[data-lane="${value}"] .lane-cards`);
  assert.equal(await lane('accepting').locator('.kcard', { hasText: '仓储系统' }).count(), 1);
  await shot(page, '15-board');

  // The withdrawn project moves: the server changes its stage.
  const moved = page.waitForResponse((r) => r.url().endsWith('/views/projects_board/move'));
  await card('仓储系统').dragTo(lane('closed'), { sourcePosition: { x: 4, y: 4 } });
  assert.equal((await moved).status(), 200);
  await page.reload();
  assert.equal(await lane('closed').locator('.kcard', { hasText: '仓储系统' }).count(), 1);
  assert.equal(await lane('accepting').locator('.kcard', { hasText: '仓储系统' }).count(), 0);

  // A project in review is held by its approval: the card goes back and the board says why.
  const refused = page.waitForResponse((r) => r.url().endsWith('/views/projects_board/move'));
  await card('智慧园区一期').dragTo(lane('closed'), { sourcePosition: { x: 4, y: 4 } });
  assert.equal((await refused).status(), 409);
  const message = page.locator('#move-message');
  await message.waitFor();
  assert.match(await message.innerText(), /未能移动卡片：审批进行中/);
  assert.equal(await lane('planning').locator('.kcard', { hasText: '智慧园区一期' }).count(), 1);
  assert.equal(await lane('closed').locator('.kcard', { hasText: '智慧园区一期' }).count(), 0);
  await shot(page, '16-board-refused');

  // Without JavaScript the card's own form moves it, and a refusal comes back as a message.
  const nojs = await newPage({ javaScriptEnabled: false });
  await signIn(nojs, 'sales1', `${APP}/views/projects_board`);
  const form = nojs.locator('.kcard', { has: nojs.getByRole('link', { name: '智慧园区一期', exact: true }) }).locator('form.kmove');
  await form.locator('select').selectOption('executing');
  await Promise.all([nojs.waitForURL(/refused=record_in_review/), form.locator('button').click()]);
  assert.match(await nojs.locator('#move-refused').innerText(), /审批进行中/);
  await nojs.context().close();

  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await signIn(phone, 'sales1', `${APP}/views/projects_board`);
  await shot(phone, '17-board-phone');
  await phone.context().close();
  // The refused move's 409 is the one error the browser logs.
  assert.deepEqual(page.problems.filter((p) => !p.includes('status of 409')), []);
});

test('sales1 imports a sheet: the page follows the check and the commit until the records are in', async () => {
  const page = await newPage();
  await signIn(page, 'sales1', `${APP}/forms/project/import`);
  const regions = ['华东', '华南', '华北'];
  const lines = ['项目名称,客户,预计金额（元）,区域,开始日期,contact_phone'];
  for (let i = 0; i < 300; i += 1) lines.push(`导入项目${i},导入客户,${1000 + i}.50,${regions[i % 3]},2026-05-01,13900139000`);
  await page.setInputFiles('#file', { name: 'projects.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
  await Promise.all([page.waitForURL(/\/imports\/[^/?]+$/), page.click('form[enctype] button[type=submit]')]);
  // The page polls the import and shows the outcome once the check is done.
  await page.locator('.badge-ready').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('#import').innerText(), /300/);
  await shot(page, '18-import-ready');
  await page.click('form[action$="/commit"] button');
  // While the commit runs the page says how far it is, then shows the records link.
  await page.locator('a.btn', { hasText: '查看记录' }).waitFor({ timeout: 120_000 });
  await shot(page, '19-import-committed');
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await signIn(phone, 'sales1', new URL(page.url()).pathname);
  await shot(phone, '20-import-phone');
  await phone.context().close();
  assert.deepEqual(page.problems, []);
});
