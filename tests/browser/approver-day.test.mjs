// Issue 9, the approver's day on the server-rendered pages, in a real browser in zh-CN on a
// 390×844 phone and on a desktop: the project list as compact cards (title with the number
// beside it, status, 客户 / 预计金额 / 区域) with its filters behind 「筛选」 and a capped count;
// the inbox by deadline; the task page's fixed 同意 / 驳回 bar; people picked by name from a
// searchable list (never a login id); a calendar in Chinese on a browser whose OS language is
// English; and the revise step with form.js (sub-table rows added and removed).
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test approver-day.test.mjs)
//
// Screenshots go to ./screenshots/approver-*.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-a';
const RECORDS = '/api/v1/apps/project-registration/forms/project/records';
const LIST = '/apps/project-registration/forms/project/records';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-approver-', shotPrefix: 'approver-', ignoreConsole: /status of 422/ });

async function signIn(page, username, next = '/') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

async function project(page, name, amount, region, extra = {}) {
  const res = await page.request.post(`${base}${RECORDS}`, {
    data: { name, customer: '华信科技有限公司', contact_phone: '010-12345678', amount, region,
            start_date: '2027-01-04', end_date: '2027-06-30', ...extra },
  });
  assert.equal(res.status(), 201, await res.text());
  return (await res.json()).id;
}

async function taskOf(page, id) {
  const res = await page.request.get(`${base}/api/v1/tasks?box=todo&limit=100`);
  const item = (await res.json()).items.find((i) => i.record.id === id);
  assert.ok(item, `a to-do on ${id}`);
  return item.task.id;
}

/** Every visible input, select and textarea is 16 px (no iOS zoom); every button and link in
 * `scope` is at least 44 px tall. */
async function phoneSized(page, scope) {
  const small = await page.evaluate((sel) => {
    const out = [];
    for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 16) out.push(`${el.id || el.name}: ${size}px font`);
    }
    for (const el of document.querySelectorAll(`${sel} a.btn, ${sel} button, ${sel} .record-card`)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.height < 44) out.push(`${el.textContent.trim().slice(0, 20)}: ${Math.round(r.height)}px tall`);
    }
    return out;
  }, scope);
  assert.deepEqual(small, [], 'inputs at 16 px and tap targets of 44 px');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width}px)`);
}

test('the project list on a phone: compact cards, filters behind 筛选, a capped count and 上一页', async () => {
  const sales1 = await newPage(PHONE);
  await signIn(sales1, 'sales1');
  for (let i = 1; i <= 22; i += 1) {
    await project(sales1, `园区项目 ${String(i).padStart(2, '0')}`, String(10000 * i), i % 2 ? '华东' : '华南');
  }
  await sales1.goto(`${base}${LIST}`);
  assert.equal(await sales1.locator('.records-table-wrap').isVisible(), false, 'no table on a phone');
  const cards = sales1.locator('#record-cards .record-card');
  assert.equal(await cards.count(), 20);
  const first = await cards.nth(0).innerText();
  assert.match(first, /园区项目 22/, 'the title is the project name');
  assert.match(first, /PRJ-\d{4}-\d{5}/, 'with the number beside it');
  assert.match(first, /审批中/);
  assert.match(first, /客户\s*华信科技有限公司/);
  assert.match(first, /预计金额（元）\s*¥220,000\.00/);
  assert.match(first, /区域\s*华南/);
  assert.doesNotMatch(first, /联系电话|开始日期/, 'key fields only, not every column');
  assert.equal(await sales1.locator('#list-total').innerText(), '共 22 条');
  // The filters fold behind 「筛选」.
  assert.equal(await sales1.locator('#list-filters').isVisible(), false);
  const toggle = sales1.locator('.filter-toggle');
  await phoneSized(sales1, 'main');
  await shot(sales1, '01-phone-list');
  await toggle.click();
  assert.equal(await sales1.locator('#list-filters').isVisible(), true);
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await sales1.selectOption('#status', 'in_review');
  await shot(sales1, '02-phone-list-filters');
  // Page 2 and back again.
  await sales1.goto(`${base}${LIST}`);
  await Promise.all([sales1.waitForURL(/after=/), sales1.getByRole('link', { name: '下一页' }).click()]);
  assert.equal(await cards.count(), 2);
  assert.match(await cards.nth(1).innerText(), /园区项目 01/);
  await shot(sales1, '03-phone-list-page-2');
  await Promise.all([sales1.waitForURL(`${base}${LIST}?sort=-created_at`), sales1.getByRole('link', { name: '上一页' }).click()]);
  assert.match(await cards.nth(0).innerText(), /园区项目 22/);

  const desktop = await newPage();
  await signIn(desktop, 'sales1', LIST);
  assert.equal(await desktop.locator('#record-cards').isVisible(), false);
  assert.equal(await desktop.locator('#list-filters').isVisible(), true, 'filters open on a desktop');
  assert.equal(await desktop.locator('.filter-toggle').isVisible(), false);
  await shot(desktop, '04-desktop-list');
  const count = await desktop.request.get(`${base}${RECORDS}/count?filter=region:eq:${encodeURIComponent('华东')}`);
  assert.deepEqual(await count.json(), { count: 11, more: false });
  for (const p of [sales1, desktop]) assert.deepEqual(p.problems, []);
});

test('the inbox and a task on a phone: by deadline, a fixed 同意 / 驳回 bar, people by name', async () => {
  const sales1 = await newPage();
  await signIn(sales1, 'sales1');
  const id = await project(sales1, '智慧仓储一期', '36000', '华东');
  const manager1 = await newPage(PHONE);
  await signIn(manager1, 'manager1', '/inbox');
  assert.match(await manager1.locator('#inbox-table').innerText(), /智慧仓储一期/);
  await phoneSized(manager1, '.inbox-card');
  await shot(manager1, '05-phone-inbox');
  await Promise.all([manager1.waitForURL(/sort=due/), manager1.getByRole('link', { name: '按截止时间（超时优先）' }).click()]);
  assert.match(await manager1.locator('#inbox-sort').innerText(), /按截止时间/);

  await manager1.goto(`${base}/tasks/${await taskOf(manager1, id)}`);
  const bar = manager1.locator('#decide-form .decision-buttons');
  const box = await bar.boundingBox();
  assert.ok(box && Math.round(box.y + box.height) >= 843 && box.y > 700, `the bar sits at the bottom (${JSON.stringify(box)})`);
  for (const name of ['同意', '驳回']) {
    const b = bar.getByRole('button', { name, exact: true });
    assert.ok(await b.isVisible(), name);
    assert.ok((await b.boundingBox()).height >= 44, `${name} is 44 px tall`);
  }
  await phoneSized(manager1, '#decide-form');
  await shot(manager1, '06-phone-task');

  // 转交: typed and picked by name, with the department beside it; no login id on the page.
  await manager1.locator('.more-actions summary').click();
  const to = manager1.locator('#transfer-to');
  await to.fill('总监');
  const picked = manager1.locator('.person-picker:has(#transfer-to) .person-options');
  const options = picked.locator('[role=option]');
  // The search as typed: only the director matches 总监.
  for (let i = 0; i < 50 && (await options.count()) !== 1; i += 1) await manager1.waitForTimeout(100);
  assert.equal(await options.count(), 1);
  const listed = await picked.innerText();
  assert.match(listed, /销售中心总监 陈静/);
  assert.match(listed, /销售中心/);
  assert.doesNotMatch(listed, /director/);
  await shot(manager1, '07-phone-person-picker');
  await to.press('ArrowDown');
  await to.press('Enter');
  assert.equal(await to.inputValue(), '销售中心总监 陈静');
  assert.equal(await manager1.locator('#decide-form input[type=hidden][name=transfer_to]').inputValue(), 'director');
  const text = await manager1.locator('main').innerText();
  assert.doesNotMatch(text, /\b(director|manager1|sales1)\b/, 'no login id on the page');
  await Promise.all([manager1.waitForURL(/\/inbox\?done=/), manager1.getByRole('button', { name: '转交', exact: true }).click()]);
  assert.match(await manager1.locator('#flash').innerText(), /转交/);
  const director = await newPage();
  await signIn(director, 'director', '/inbox');
  assert.match(await director.locator('#inbox-table').innerText(), /智慧仓储一期/);
  await shot(director, '08-desktop-inbox');
  for (const p of [sales1, manager1, director]) assert.deepEqual(p.problems, []);
});

test('dates: a Chinese calendar on an English OS, and 2027年1月4日 on the record page', async () => {
  // The browser's (OS) language is English; the person chose 中文 for the pages.
  const sales1 = await newPage({ locale: 'en-US' });
  await signIn(sales1, 'sales1');
  await sales1.request.post(`${base}/lang`, { form: { lang: 'zh-CN', next: '/' } }).catch(() => {});
  await sales1.goto(`${base}/apps/project-registration/forms/project/new?lang=zh-CN`);
  assert.equal(await sales1.getAttribute('html', 'lang'), 'zh-CN');
  const start = sales1.locator('#f-start_date');
  await start.click();
  const calendar = sales1.locator('.flatpickr-calendar.open');
  await calendar.waitFor();
  const month = await calendar.locator('.flatpickr-monthDropdown-months option:checked').innerText();
  assert.match(month, /月/, `a Chinese month name (${month})`);
  assert.match(await calendar.locator('.flatpickr-weekdays').innerText(), /一[\s\S]*二[\s\S]*三/);
  await shot(sales1, '09-desktop-date-picker');
  await calendar.locator('.flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)').nth(14).click();
  assert.match(await start.inputValue(), /^\d{4}-\d{2}-15$/);
  // Typing works too, in the same form as the server reads it.
  await sales1.locator('#f-end_date').fill('2027-06-30');
  assert.equal(await sales1.locator('#f-end_date').inputValue(), '2027-06-30');

  const id = await project(sales1, '园区门禁改造', '18000', '华东');
  await sales1.goto(`${base}/records/${id}?lang=zh-CN`);
  assert.match(await sales1.locator('main').innerText(), /2027年1月4日/);
  await sales1.goto(`${base}/records/${id}?lang=en`);
  assert.match(await sales1.locator('main').innerText(), /Jan 4, 2027/);

  const phone = await newPage({ ...PHONE, locale: 'en-US' });
  await signIn(phone, 'sales1');
  await phone.goto(`${base}/apps/project-registration/forms/project/new?lang=zh-CN`);
  await phone.locator('#f-start_date').click();
  await phone.locator('.flatpickr-calendar.open').waitFor();
  assert.equal(await phone.locator('#f-start_date').getAttribute('type'), 'text', 'not the OS-language native picker');
  await shot(phone, '10-phone-date-picker');
  for (const p of [sales1, phone]) assert.deepEqual(p.problems, []);
});

test('the revise step loads form.js: sub-table rows are added and removed on the task page', async () => {
  const sales1 = await newPage(PHONE);
  await signIn(sales1, 'sales1');
  const id = await project(sales1, '会议系统升级', '26000', '华东',
    { milestones: [{ title: '方案确认', due_date: '2027-02-01' }] });
  const manager1 = await newPage();
  await signIn(manager1, 'manager1');
  await manager1.goto(`${base}/tasks/${await taskOf(manager1, id)}`);
  await manager1.fill('#comment', '请补充分项报价');
  await Promise.all([
    manager1.waitForURL(/\/inbox\?done=/),
    manager1.locator('#decide-form .decision-buttons').getByRole('button', { name: '驳回', exact: true }).click(),
  ]);

  await sales1.goto(`${base}/tasks/${await taskOf(sales1, id)}`);
  assert.equal(await sales1.locator('script[src*="form.js"]').count(), 1, 'the task page loads form.js');
  assert.match(await sales1.locator('#full-form').innerText(), /完整表单/);
  const rows = sales1.locator('table[data-table="milestones"] tbody tr');
  const before = await rows.count();
  // Into the middle of the screen, clear of the sticky top bar and the fixed decision bar.
  const middle = (l) => l.evaluate((e) => e.scrollIntoView({ block: 'center' }));
  const add = sales1.getByRole('button', { name: '+ 添加一行' });
  await middle(add);
  await shot(sales1, '11-phone-revise-task');
  const width = await sales1.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling on the revise step (${width}px)`);
  await add.click();
  assert.equal(await rows.count(), before + 1);
  await middle(rows.last().locator('[data-remove-row]'));
  await rows.last().locator('[data-remove-row]').click();
  assert.equal(await rows.count(), before);
  await shot(sales1, '11-phone-revise-task');
  // The full form has the attachments too.
  await Promise.all([sales1.waitForURL(/\/revise$/), sales1.click('#full-form')]);
  assert.equal(await sales1.locator('#f-attachments').count(), 1);
  assert.equal(await sales1.locator('script[src*="form.js"]').count(), 1);
  for (const p of [sales1, manager1]) assert.deepEqual(p.problems, []);
});
