// Issue "Approval engine and to-do inbox", item 8, end to end in a real browser: the real
// `formwork demo` server on a fresh SQLite database, Debian's Chromium driven by playwright-core
// (nothing is downloaded).
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test approval.test.mjs)
//
// The walk: sales1 registers a 120,000 华东 project; director approves it from the to-do inbox;
// ceo rejects it back to sales1 with a comment; sales1 revises and resubmits from their to-do;
// director (batch approval), ceo and east_head approve; the timeline shows every step with who,
// what, the comment and how long it took, and the record is 已通过.
//
// FORMWORK_BIN overrides the binary (default ../../target/debug/formwork), CHROMIUM the browser
// (default: `which chromium`, else /usr/bin/chromium). Screenshots go to ./screenshots/approval-*.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-2';
const NEW_FORM = '/apps/project-registration/forms/project/new';

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-approval-', shotPrefix: 'approval-' });

/** Signs `username` in and lands on `next`. */
async function signIn(page, username, next = '/inbox') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

/** The to-do rows as text, one string per row. */
async function todoRows(page) {
  return page.locator('#inbox-table tbody tr').allInnerTexts();
}

/** Opens the to-do row of `number` by its title (a phone's compact card hides 处理). */
async function openTask(page, number) {
  const row = page.locator('#inbox-table tbody tr', { hasText: number });
  await Promise.all([page.waitForURL(/\/tasks\/[0-9a-f-]+$/), row.locator('a.item-title').click()]);
}

/** Presses an action button of the task page and waits for the inbox with its confirmation. */
async function decide(page, label, comment) {
  if (comment !== undefined) await page.fill('#comment', comment);
  await Promise.all([
    page.waitForURL(/\/inbox\?done=/),
    page.locator('#decide-form .decision-buttons').getByRole('button', { name: label, exact: true }).click(),
  ]);
  return page.locator('#flash').innerText();
}

function beijingYear() {
  return new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date());
}

test('a 120,000 华东 project goes through the inbox: approve, reject back, revise, approve to the end', async () => {
  const number = `PRJ-${beijingYear()}-00001`;

  // 1. sales1 registers the project through the form page.
  const sales1 = await newPage();
  await signIn(sales1, 'sales1', NEW_FORM);
  await sales1.fill('#f-name', '智慧园区二期');
  await sales1.fill('#f-customer', '上海某某科技有限公司');
  await sales1.fill('#f-contact_phone', '13800138000');
  await sales1.fill('#f-amount', '120000');
  await sales1.selectOption('#f-business_line', 'software');
  await sales1.selectOption('#f-region', '华东');
  await sales1.fill('#f-description', '园区二期：门禁与能耗管理。');
  await Promise.all([sales1.waitForURL(/\/records\/[0-9a-f-]+$/), sales1.click('form[data-record-form] button[type=submit]')]);
  const recordUrl = sales1.url();
  assert.equal(await sales1.locator('#record-number').innerText(), number);
  assert.match(await sales1.locator('.page-head').innerText(), /审批中/);
  await shot(sales1, '01-submitted');

  // 2. director finds it in the to-do inbox and approves it on the task page.
  const director = await newPage();
  await signIn(director, 'director');
  assert.match(await director.locator('.topnav .nav-todo').innerText(), /待办\s*1/);
  assert.match(await director.locator('.tabs a[aria-current="page"]').innerText(), /待办\s*1/);
  const [row] = await todoRows(director);
  for (const part of [number, '智慧园区二期', '华东销售 张伟', '销售总监审批（大额）']) {
    assert.ok(row.includes(part), `the to-do row shows ${part}: ${row}`);
  }
  await shot(director, '02-director-inbox');
  await openTask(director, number);
  assert.equal(await director.locator('#task-step').innerText(), '销售总监审批（大额）');
  assert.equal(await director.locator('#task-status').innerText(), '待处理');
  assert.match(await director.locator('[data-key="amount"]').innerText(), /120,000/);
  assert.equal(await director.locator('#f-amount').count(), 0, 'nothing is editable at this step');
  for (const label of ['同意', '驳回']) {
    assert.ok(await director.getByRole('button', { name: label, exact: true }).isVisible(), label);
  }
  await director.locator('.more-actions summary').click();
  assert.ok(await director.locator('#transfer-to').isVisible());
  assert.ok(await director.locator('#signer').isVisible());
  await shot(director, '03-director-task');
  assert.equal(await decide(director, '同意', '同意立项，请总经理审批。'), `已同意 ${number}`);
  assert.match(await director.locator('#inbox-empty').innerText(), /暂无待办/);
  await shot(director, '04-director-approved');
  await director.click('.tabs a[data-box="done"]');
  const done = (await todoRows(director))[0];
  assert.ok(done.includes('同意') && done.includes(number), done);
  await shot(director, '05-director-done');

  // 3. ceo rejects it back to the submitter with a comment.
  const ceo = await newPage();
  await signIn(ceo, 'ceo');
  await openTask(ceo, number);
  assert.equal(await ceo.locator('#task-step').innerText(), '总经理审批');
  const timeline = await ceo.locator('#timeline').innerText();
  assert.match(timeline, /销售中心总监 陈静\s*同意/);
  assert.match(timeline, /同意立项，请总经理审批。/);
  await ceo.fill('#comment', '预算依据不足，请补充分项报价后重新提交。');
  await shot(ceo, '06-ceo-task');
  assert.equal(await decide(ceo, '驳回'), `已驳回 ${number}`);

  // 4. sales1 finds it in their to-do, revises the description and resubmits.
  await sales1.goto(`${base}/inbox`);
  const [revise] = await todoRows(sales1);
  assert.ok(revise.includes('修改后重新提交'), revise);
  await shot(sales1, '07-sales1-inbox');
  await openTask(sales1, number);
  const sentBack = await sales1.locator('#task-sent-back').innerText();
  assert.match(sentBack, /退回原因：总经理 赵敏 驳回/);
  assert.match(sentBack, /预算依据不足，请补充分项报价后重新提交。/);
  assert.equal(await sales1.inputValue('#f-description'), '园区二期：门禁与能耗管理。');
  await sales1.fill('#f-description', '园区二期：门禁与能耗管理。附分项报价：硬件 7 万，软件 5 万。');
  await shot(sales1, '08-sales1-revise');
  assert.equal(await decide(sales1, '提交', '已补充分项报价。'), `已重新提交 ${number}，等待审批`);
  await sales1.click('.tabs a[data-box="submitted"]');
  const mine = (await todoRows(sales1))[0];
  assert.ok(mine.includes('销售总监审批（大额）') && mine.includes('审批中'), mine);
  await shot(sales1, '09-sales1-submitted');

  // 5. director approves again, this time with the batch approval of the inbox; then the
  //    to-do list and task page on a phone.
  const phone = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(phone, 'director');
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width}px)`);
  await shot(phone, '10-phone-inbox');
  await openTask(phone, number);
  assert.match(await phone.locator('[data-key="description"]').innerText(), /附分项报价/);
  await shot(phone, '11-phone-task');
  await phone.context().close();

  await director.goto(`${base}/inbox`);
  await director.locator('#inbox-table tbody tr', { hasText: number }).locator('input[name=task]').check();
  await director.fill('#batch-comment', '同意');
  await Promise.all([director.waitForLoadState('load'), director.click('#batch-approve')]);
  const results = await director.locator('#batch-results').innerText();
  assert.match(results, /已批量同意 1 条待办/);
  assert.match(results, new RegExp(`${number}[\\s\\S]*已同意`));
  await shot(director, '12-director-batch');

  // 6. ceo approves (the page in English first), then east_head.
  await ceo.goto(`${base}/inbox`);
  await openTask(ceo, number);
  const taskUrl = ceo.url();
  await ceo.goto(`${taskUrl}?lang=en`);
  assert.equal(await ceo.locator('#task-step').innerText(), 'CEO approval');
  assert.ok(await ceo.getByRole('button', { name: 'Approve', exact: true }).isVisible());
  await shot(ceo, '13-ceo-task-en');
  await ceo.goto(taskUrl);
  assert.equal(await decide(ceo, '同意', '同意。'), `已同意 ${number}`);

  const east = await newPage();
  await signIn(east, 'east_head');
  await openTask(east, number);
  assert.equal(await east.locator('#task-step').innerText(), '华东区负责人审批');
  await shot(east, '14-east-task');
  assert.equal(await decide(east, '同意', '华东区同意。'), `已同意 ${number}`);

  // 7. The finished timeline: every step with who, what, the comment and the time taken.
  await east.click('.tabs a[data-box="done"]');
  await Promise.all([
    east.waitForURL(/\/tasks\//),
    east.locator('#inbox-table tbody tr', { hasText: number }).getByRole('link', { name: number }).click(),
  ]);
  assert.equal(await east.locator('#process-status').innerText(), '已通过');
  assert.match(await east.locator('#task-closed').innerText(), /你已处理该任务：同意/);
  assert.equal(await east.locator('#decide-form').count(), 0, 'no actions on a handled task');
  const rows = await east.locator('#timeline li').allInnerTexts();
  const expect = [
    [/提交/, /华东销售 张伟/, /提交审批/],
    [/销售总监审批（大额）/, /陈静/, /同意/, /用时/, /同意立项，请总经理审批。/],
    [/总经理审批/, /赵敏/, /驳回/, /用时/, /预算依据不足/],
    [/修改后重新提交/, /张伟/, /提交/, /用时/, /已补充分项报价。/],
    [/销售总监审批（大额）/, /陈静/, /同意/, /用时/],
    [/总经理审批/, /赵敏/, /同意/, /用时/, /同意。/],
    [/华东区负责人审批/, /同意/, /用时/, /华东区同意。/],
    [/审批通过/],
  ];
  assert.equal(rows.length, expect.length, `timeline rows:\n${rows.join('\n---\n')}`);
  expect.forEach((patterns, i) => {
    for (const p of patterns) assert.match(rows[i], p, `row ${i + 1}: ${rows[i]}`);
  });
  await shot(east, '15-timeline-approved');

  // The submitter's record page says 已通过 too.
  await sales1.goto(recordUrl);
  assert.match(await sales1.locator('.page-head').innerText(), /已通过/);
  assert.match(await sales1.locator('[data-key="description"]').innerText(), /附分项报价/);
  await shot(sales1, '16-record-approved');

  // Nobody has anything left to do.
  await sales1.goto(`${base}/inbox`);
  assert.match(await sales1.locator('#inbox-empty').innerText(), /暂无待办/);
  assert.equal(await sales1.locator('.nav-todo .count-badge').count(), 0);

  for (const page of [sales1, director, ceo, east]) {
    assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
    await page.context().close();
  }
});

test('a task that was handled meanwhile says so instead of deciding twice', async () => {
  const sales2 = await newPage();
  await signIn(sales2, 'sales2', NEW_FORM);
  await sales2.fill('#f-name', '华北数据中心');
  await sales2.fill('#f-customer', '北京某某公司');
  await sales2.fill('#f-contact_phone', '13900139000');
  await sales2.fill('#f-amount', '60000');
  await Promise.all([sales2.waitForURL(/\/records\//), sales2.click('form[data-record-form] button[type=submit]')]);

  // The director opens the task in two tabs and approves in the first.
  const director = await newPage();
  await signIn(director, 'director');
  await openTask(director, '-00002');
  const second = await director.context().newPage();
  await second.goto(director.url());
  await decide(director, '同意');
  await second.fill('#comment', '晚了一步');
  const [response] = await Promise.all([
    second.waitForResponse((r) => r.request().method() === 'POST'),
    second.getByRole('button', { name: '同意', exact: true }).click(),
  ]);
  await second.waitForLoadState('domcontentloaded');
  assert.equal(response.status(), 409);
  assert.match(await second.locator('#task-message').innerText(), /该待办已被处理/);
  assert.match(await second.locator('#task-closed').innerText(), /你已处理该任务：同意/);
  await shot(second, '17-already-handled');
  await director.context().close();
  await sales2.context().close();
});
