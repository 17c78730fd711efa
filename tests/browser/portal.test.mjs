// Issue 11 ("Client portal …"), the portal walk in a real browser on a phone-sized viewport: the
// real `formwork demo` server with its sample projects, Debian's Chromium driven by playwright-core.
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test portal.test.mjs)
//
// client1 (上海示例科技有限公司) signs in and sees only their customer's projects and milestones,
// uploads a PDF and submits a change request; the project's owner (sales1) finds it in the inbox
// and approves it; client1 sees the outcome; client2, another customer's contact, sees none of it.
// Screenshots go to ./screenshots/portal-*.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-portal';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-portal-', shotPrefix: 'portal-', demoRecords: true });

async function signIn(page, username, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

test('a client follows their project, sends a file and a change request, and sees it accepted', async () => {
  // 1. client1 lands on the portal: their customer's two projects, not the other customer's.
  const client = await newPage(PHONE);
  await signIn(client, 'client1', '/portal');
  assert.equal(await client.locator('#customer').innerText(), '上海示例科技有限公司');
  const projects = client.locator('section[data-form="project"] .p-item-title');
  assert.deepEqual((await projects.allInnerTexts()).sort(), ['示例科技数据中台一期', '示例科技移动办公升级']);
  assert.doesNotMatch(await client.locator('main').innerText(), /另一信息运维外包/);
  await shot(client, '01-home');

  // 2. The approved project: progress, milestones, no internal amount or description.
  await Promise.all([client.waitForURL(/\/portal\/records\//), projects.filter({ hasText: '数据中台' }).click()]);
  const projectUrl = client.url();
  assert.match(await client.locator('#record-status').innerText(), /已通过/);
  assert.match(await client.locator('#progress').innerText(), /部门负责人审批/);
  assert.deepEqual(
    await client.locator('#milestones li').allInnerTexts(),
    ['2026-11-20 需求确认', '2027-02-28 系统上线', '2027-04-30 项目验收'],
  );
  const details = await client.locator('#fields').innerText();
  assert.doesNotMatch(details, /30,?000|预计金额|驻场/);
  await shot(client, '02-project');

  // 3. A PDF for the team.
  await client.setInputFiles('#upload-file', { name: '需求确认单.pdf', mimeType: 'application/pdf', buffer: PDF });
  await Promise.all([client.waitForURL(/done=file/), client.click('form.p-upload button[type=submit]')]);
  assert.match(await client.locator('#notice').innerText(), /文件已上传/);
  assert.match(await client.locator('#files').innerText(), /需求确认单\.pdf/);

  // 4. A change request, with the project filled in by the server.
  await Promise.all([client.waitForURL(/\/new\/change_request$/), client.getByRole('link', { name: '提交变更申请' }).click()]);
  await client.fill('#f-title', '上线日期推迟两周');
  await client.selectOption('#f-change_type', 'schedule');
  await client.fill('#f-details', '因内部评审，希望系统上线推迟到三月中旬。');
  await shot(client, '03-change-request');
  await Promise.all([client.waitForURL(/done=request/), client.click('#request-form button[type=submit]')]);
  const requests = client.locator('#requests-change_request');
  assert.match(await requests.innerText(), /上线日期推迟两周[\s\S]*审批中/);
  await shot(client, '04-submitted');

  // 5. The project's owner approves it from the inbox.
  const owner = await newPage();
  await signIn(owner, 'sales1', '/inbox');
  const row = owner.locator('#inbox-table tbody tr', { hasText: '变更申请' });
  await Promise.all([owner.waitForURL(/\/tasks\/[0-9a-f-]+$/), row.getByRole('link', { name: '处理' }).click()]);
  assert.match(await owner.locator('main').innerText(), /上线日期推迟两周/);
  await owner.fill('#comment', '同意，上线顺延到 3 月 14 日。');
  await Promise.all([
    owner.waitForURL(/\/inbox\?done=/),
    owner.locator('#decide-form .decision-buttons').getByRole('button', { name: '同意', exact: true }).click(),
  ]);
  await shot(owner, '05-owner-approved');

  // 6. client1 sees the outcome.
  await client.goto(projectUrl);
  assert.match(await client.locator('#requests-change_request').innerText(), /上线日期推迟两周[\s\S]*已通过/);
  await shot(client, '06-outcome');
  assert.deepEqual(client.problems, []);

  // 7. Another customer's contact sees none of it, not even by address.
  const other = await newPage(PHONE);
  await signIn(other, 'client2', '/portal');
  const theirs = await other.locator('main').innerText();
  assert.match(theirs, /另一信息运维外包/);
  assert.doesNotMatch(theirs, /示例科技|上线日期推迟两周/);
  const res = await other.goto(projectUrl);
  assert.equal(res.status(), 404);
  await shot(other, '07-other-client');
});
