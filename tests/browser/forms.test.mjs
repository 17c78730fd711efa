// Issue "Forms at runtime", end to end in a real browser: the real `formwork demo` server on a
// fresh SQLite database, Debian's Chromium driven by playwright-core (nothing is downloaded).
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test)
//
// FORMWORK_BIN overrides the binary (default ../../target/debug/formwork), CHROMIUM the browser
// (default: `which chromium`, else /usr/bin/chromium). Screenshots go to ./screenshots/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { base, newPage, shot, useDemoServer, workDir } from './harness.mjs';

const PASSWORD = 'browser-test-pass-1';
const NEW_FORM = '/apps/project-registration/forms/project/new';

// Chrome logs every document answered with 4xx; a 422 form page is the expected answer.
useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-browser-', ignoreConsole: /status of 422/ });

async function signIn(page, next) {
  await page.goto(`${base}${next}`);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('#username', 'sales1');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

/** Submits the record form; resolves to the response of the POST. */
async function submit(page) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(base)),
    page.click('form[data-record-form] button[type=submit]'),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return response;
}

function beijingYear() {
  return new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date());
}

test('sales1 registers a project: errors beside their fields in Chinese, then a numbered record', async () => {
  const page = await newPage();
  await page.goto(`${base}${NEW_FORM}`);
  await page.waitForURL(/\/login\?next=/);
  await shot(page, '01-login');
  await page.fill('#username', 'sales1');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${NEW_FORM}`), page.click('form[action="/login"] button[type=submit]')]);
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.match(await page.locator('h1').innerText(), /新建项目登记/);
  await shot(page, '02-new-form');

  // With the script, the empty no-JS rows are gone and rows are added on demand.
  assert.equal(await page.locator('table[data-table="milestones"] tbody tr').count(), 0);
  assert.ok(await page.getByRole('button', { name: '+ 添加一行' }).isVisible());

  await page.fill('#f-name', '智慧园区一期');
  await page.fill('#f-customer', '上海某某科技有限公司');
  await page.fill('#f-contact_phone', '12345');
  await page.fill('#f-amount', '-5');
  await page.selectOption('#f-business_line', 'software');
  await page.selectOption('#f-region', '华东');
  await page.fill('#f-start_date', '2026-12-01');
  await page.fill('#f-end_date', '2026-11-01');
  await page.locator('#f-description').focus();
  // The script already says what is wrong when a field is left.
  assert.ok(await page.locator('#f-contact_phone-error').isVisible(), 'inline pattern message on blur');
  assert.equal(await page.locator('#f-amount-error').innerText(), '预计金额不能为负数');
  assert.equal(await page.locator('#f-end_date-error').innerText(), '结束日期不能早于开始日期');
  // contact_email is required only while no phone is given (required_when: not contact_phone).
  assert.ok(await page.locator('[data-field="contact_email"] label .req').isHidden());
  await shot(page, '03-inline-errors');

  const rejected = await submit(page);
  assert.equal(rejected.status(), 422);
  const phoneError = await page.locator('#f-contact_phone-error').innerText();
  assert.match(phoneError, /11 位/, `phone message: ${phoneError}`);
  assert.equal(await page.locator('#f-amount-error').innerText(), '预计金额不能为负数');
  assert.equal(await page.locator('#f-end_date-error').innerText(), '结束日期不能早于开始日期');
  for (const id of ['#f-contact_phone-error', '#f-amount-error', '#f-end_date-error']) {
    assert.ok(await page.locator(id).isVisible(), `${id} is shown`);
  }
  // Beside the right field: each input points at its message.
  assert.equal(await page.locator('#f-contact_phone').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#f-amount').getAttribute('aria-describedby'), /f-amount-error/);
  // The input is kept.
  assert.equal(await page.inputValue('#f-contact_phone'), '12345');
  assert.equal(await page.inputValue('#f-amount'), '-5');
  assert.equal(await page.inputValue('#f-end_date'), '2026-11-01');
  assert.equal(await page.inputValue('#f-name'), '智慧园区一期');
  assert.equal(await page.inputValue('#f-region'), '华东');
  const summary = page.locator('#error-summary');
  assert.ok(await summary.isVisible());
  assert.match(await summary.innerText(), /3 处需要修改/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'the summary has focus');
  await shot(page, '04-server-errors');

  // A summary link takes the keyboard to the field.
  await summary.getByRole('link', { name: /预计金额/ }).click();
  assert.equal(await page.evaluate(() => location.hash), '#f-amount');

  await page.fill('#f-contact_phone', '13800138000');
  await page.fill('#f-amount', '120000.5');
  await page.fill('#f-end_date', '2027-03-31');
  await page.locator('#f-description').fill('园区一期：门禁、停车与能耗管理。');
  assert.ok(await page.locator('#f-contact_phone-error').isHidden(), 'a corrected field loses its message');

  const add = page.getByRole('button', { name: '+ 添加一行' });
  await add.click();
  await add.click();
  const rows = page.locator('table[data-table="milestones"] tbody tr');
  assert.equal(await rows.count(), 2);
  await rows.nth(0).locator('input[name$="[title]"]').fill('需求确认');
  await rows.nth(0).locator('input[name$="[due_date]"]').fill('2026-12-15');
  // The owner is picked by name; the picker posts the username.
  const owner = rows.nth(0).locator('.person-picker input[type=text]');
  await owner.fill('张伟');
  const offered = rows.nth(0).locator('.person-picker [role=option]');
  for (let i = 0; i < 50 && (await offered.count()) !== 1; i += 1) await page.waitForTimeout(100);
  assert.match(await offered.innerText(), /张伟/);
  await owner.press('ArrowDown');
  await owner.press('Enter');
  assert.equal(await rows.nth(0).locator('input[name$="[owner]"]').inputValue(), 'sales1');
  await rows.nth(1).locator('input[name$="[title]"]').fill('系统上线');
  await rows.nth(1).locator('input[name$="[due_date]"]').fill('2027-03-15');

  const file = path.join(workDir, '报价单.pdf');
  writeFileSync(file, '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
  await page.setInputFiles('#f-attachments', file);
  await shot(page, '05-corrected');

  const accepted = await submit(page);
  assert.equal(accepted.status(), 303);
  await page.waitForURL(/\/records\/[0-9a-f-]+$/);
  const number = await page.locator('#record-number').innerText();
  assert.equal(number, `PRJ-${beijingYear()}-00001`);
  const milestones = await page.locator('[data-key="milestones"]').innerText();
  assert.match(milestones, /需求确认/);
  assert.match(milestones, /系统上线/);
  assert.match(await page.locator('[data-key="amount"]').innerText(), /¥120,000\.50/);
  const link = page.locator('[data-key="attachments"] a');
  assert.equal(await link.innerText(), '报价单.pdf');
  const download = await page.request.get(new URL(await link.getAttribute('href'), base).href);
  assert.equal(download.status(), 200);
  assert.ok((await download.body()).subarray(0, 4).equals(Buffer.from('%PDF')));
  await shot(page, '06-record');

  // While the approval runs the record cannot be edited; the submitter may withdraw it.
  assert.equal(await page.getByRole('link', { name: '编辑' }).count(), 0);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: '撤回' }).click()]);
  await page.waitForSelector('text=已撤回');
  // The edit page shows the stored rows and files; the script keeps filled rows.
  await Promise.all([page.waitForURL(/\/edit$/), page.getByRole('link', { name: '编辑' }).click()]);
  assert.equal(await page.locator('table[data-table="milestones"] tbody tr').count(), 2);
  assert.equal(await page.inputValue('#f-amount'), '120,000.50', 'money reads in thousands');
  assert.ok(await page.locator('input[name="__keep.attachments"]').isChecked());
  await shot(page, '06b-edit');
  await Promise.all([page.waitForURL(/\/records\/[0-9a-f-]+$/), page.getByRole('link', { name: '取消' }).click()]);

  // A comment, then the page in English.
  await page.fill('#comment-body', '请经理尽快审批，谢谢！');
  await Promise.all([page.waitForURL(/#comments$/), page.click('.comment-form button[type=submit]')]);
  assert.match(await page.locator('.comments').innerText(), /请经理尽快审批/);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'English' }).click()]);
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await page.locator('#details-title').innerText(), /Details/);
  await shot(page, '07-record-en');

  assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
  await page.context().close();
});

test('the form is usable on a phone', async () => {
  const page = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(page, NEW_FORM);
  await page.getByRole('button', { name: '+ 添加一行' }).click();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width}px)`);
  await shot(page, '08-phone-form');
  await page.goto(`${base}/`);
  await shot(page, '09-phone-home');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('without JavaScript the form still works: empty rows are dropped by the server', async () => {
  const page = await newPage({ javaScriptEnabled: false });
  await signIn(page, NEW_FORM);
  const rows = page.locator('table[data-table="milestones"] tbody tr');
  assert.equal(await rows.count(), 3, 'three empty rows to fill');
  assert.ok(await page.getByRole('button', { name: '+ 添加一行' }).isHidden());
  await page.fill('#f-name', '无脚本项目');
  await page.fill('#f-customer', '北京某某公司');
  await page.fill('#f-contact_email', 'li@example.com');
  await page.fill('#f-amount', '8000');
  await rows.nth(1).locator('input[name$="[title]"]').fill('验收');
  await shot(page, '10-nojs-form');
  const response = await submit(page);
  assert.equal(response.status(), 303);
  await page.waitForURL(/\/records\//);
  assert.match(await page.locator('#record-number').innerText(), /^PRJ-\d{4}-00002$/);
  const table = await page.locator('[data-key="milestones"] tbody').innerText();
  assert.match(table, /验收/);
  assert.equal(await page.locator('[data-key="milestones"] tbody tr').count(), 1);
  await page.goto(`${base}/apps/project-registration/forms/project/records`);
  assert.equal(await page.locator('table.records tbody tr').count(), 2);
  await shot(page, '11-my-records');
  await page.context().close();
});

test('the script reads the rules it mirrors and leaves the rest to the server', async () => {
  const page = await newPage();
  await signIn(page, NEW_FORM);
  const results = await page.evaluate(() => {
    const e = window.formworkEvaluate;
    return {
      notEmpty: e('not contact_phone', { contact_phone: null }),
      notFilled: e('not contact_phone', { contact_phone: '13800138000' }),
      negative: e('amount is none or amount >= 0', { amount: -5 }),
      none: e('amount is none or amount >= 0', { amount: null }),
      dates: e('not start_date or not end_date or end_date >= start_date', { start_date: '2026-12-01', end_date: '2026-11-01' }),
      region: e("amount > 100000 and region == '华东'", { amount: 120000.5, region: '华东' }),
      list: e("region in ['华东', '华南']", { region: '华南' }),
      arithmetic: e('(amount - 100) * 2 > 0', { amount: 100 }),
      filter: e('milestones|length > 1', { milestones: [] }),
      unknown: e('nobody > 1', {}),
    };
  });
  assert.deepEqual(results, {
    notEmpty: true,
    notFilled: false,
    negative: false,
    none: true,
    dates: false,
    region: true,
    list: true,
    arithmetic: false,
    filter: undefined,
    unknown: undefined,
  });
  await page.context().close();
});
