// The designer edits the access settings the model gained after the designer was built, in a
// real browser against `formwork demo`: `analyst` opens the shipped sample, hides 联系电话 from
// 部门经理 (a per-role field permission), keeps 里程碑 editable after approval, changes the inbox
// columns of the approval flow and lets 销售总监审批 reject without a reason; then publishes
// (the flow test gate passes: the sample's cases hold with the demo people). After publishing
// the runtime honours them: the API leaves the hidden field out for manager1 only, the
// director's inbox shows the new columns, and the director rejects without a reason.
// Screenshots: screenshots/models-*.png.
//
//   designer-ui/build.sh && cargo build -p formwork && (cd tests/browser && node --test designer-models.test.mjs)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage as harnessPage, shot, useDemoServer } from './harness.mjs';

/** A harness page with generous waits: the machine running the suite is shared. A debug build
 *  of the server brotli-compresses the designer's assets on every request (release builds do it
 *  once, at build time), which takes over a minute on a loaded machine; the page fetches them with gzip. */
async function newPage() {
  const page = await harnessPage();
  page.setDefaultTimeout(90_000);
  await page.route('**/designer/assets/**', async (route) => {
    const response = await route.fetch({ headers: { ...route.request().headers(), 'accept-encoding': 'gzip' } });
    await route.fulfill({ response });
  });
  return page;
}

const PASSWORD = 'browser-test-pass-7';
useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-models-', shotPrefix: 'models-' });

const APP = 'project-registration';

async function signIn(page, username, next = '/') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`, { waitUntil: 'domcontentloaded', timeout: 60_000 }), page.click('form[action="/login"] button[type=submit]')]);
}

async function saved(page) {
  await page.locator('.save-state', { hasText: '已保存' }).waitFor({ timeout: 15_000 });
}

async function draftOf(page) {
  const res = await page.request.get(`${base}/api/v1/apps/${APP}/draft`);
  assert.equal(res.status(), 200);
  return (await res.json()).package;
}

/** Picks `option` in the open antd select dropdown. */
async function option(page, text) {
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: text }).first().click();
}

/** Opens a collapsed section of the property panel by its title. */
async function openSection(panel, title) {
  const header = panel.locator('.ant-collapse-header', { hasText: title }).first();
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
}

test('an analyst sets field permissions, after-approval editing, inbox columns and optional reasons; the runtime honours them', async () => {
  const page = await newPage();
  await signIn(page, 'analyst');
  await page.goto(`${base}/designer/apps/${APP}/form/project`, { waitUntil: 'commit' });
  await page.locator('.field-card[data-field="contact_phone"]').waitFor().catch(async (e) => {
    await shot(page, 'failed-to-open');
    throw new Error(`${e.message}\n${page.problems.join('\n')}`);
  });

  // The live preview is the bare form page: no site header or footer inside the frame.
  await page.getByRole('button', { name: /预览与试填/ }).click();
  const frame = page.frameLocator('iframe.preview-frame');
  await frame.locator('h1').waitFor();
  assert.equal(await frame.locator('header.topbar').count(), 0, 'no site header in the preview');
  assert.equal(await frame.locator('footer.footer').count(), 0, 'no site footer in the preview');
  await shot(page, '01-preview');
  await page.keyboard.press('Escape');
  await page.locator('.ant-drawer-open').waitFor({ state: 'detached' }).catch(() => {});

  // 1. 联系电话 hidden from 部门经理.
  await page.locator('.field-card[data-field="contact_phone"]').click();
  const fieldPanel = page.getByLabel('字段属性', { exact: true });
  await openSection(fieldPanel, '字段权限');
  await fieldPanel.getByRole('switch', { name: '按角色设置此字段的权限' }).click();
  await fieldPanel.getByRole('radiogroup', { name: '部门经理 · contact_phone' }).getByText('隐藏', { exact: true }).click();
  await saved(page);
  await fieldPanel.locator('.field-access').scrollIntoViewIfNeeded();
  await shot(page, '02-field-permissions');
  let draft = await draftOf(page);
  const perms = draft.forms.find((f) => f.id === 'project').permissions.fields.contact_phone;
  assert.ok(!perms.read.includes('manager') && perms.read.includes('sales') && perms.read.includes('director'), JSON.stringify(perms));

  // 2. After approval: 里程碑 stays editable (taken out and put back), 项目阶段 too, by 部门经理.
  await page.locator('.form-paper .form-title button').click();
  const formPanel = page.getByLabel('表单属性', { exact: true });
  await openSection(formPanel, '审批通过后');
  const editable = formPanel.getByRole('combobox', { name: '审批通过后仍可修改的字段' });
  await formPanel.locator('.after-approval .ant-select-selection-item', { hasText: '里程碑' }).locator('.ant-select-selection-item-remove').click();
  await saved(page);
  draft = await draftOf(page);
  assert.ok(!('milestones' in draft.forms.find((f) => f.id === 'project').after_approval.editable));
  // (The list is virtual: typing brings the option into view.)
  await editable.click();
  await editable.pressSequentially('里程碑');
  await option(page, '里程碑');
  await page.keyboard.press('Escape');
  await formPanel.getByRole('combobox', { name: '谁可以修改 里程碑' }).click();
  await option(page, '部门经理');
  await page.keyboard.press('Escape');
  await saved(page);
  await formPanel.locator('.after-approval').scrollIntoViewIfNeeded();
  await shot(page, '03-after-approval');
  draft = await draftOf(page);
  const after = draft.forms.find((f) => f.id === 'project').after_approval;
  assert.deepEqual(after.editable.milestones, ['owner', 'manager']);
  assert.equal(after.changes, 'change_request');

  // 3. Inbox columns of the approval flow: 区域 out, 项目阶段 in.
  await page.getByRole('tab', { name: '流程设计' }).click();
  const flowPanel = page.getByLabel('流程属性', { exact: true });
  await flowPanel.waitFor();
  await flowPanel.locator('.inbox-columns .ant-select-selection-item', { hasText: '区域' }).locator('.ant-select-selection-item-remove').click();
  const columns = flowPanel.getByRole('combobox', { name: '待办列表显示的列' });
  await columns.click();
  await columns.pressSequentially('项目阶段');
  await option(page, '项目阶段');
  await page.keyboard.press('Escape');
  await saved(page);
  await shot(page, '04-inbox-columns');
  draft = await draftOf(page);
  assert.deepEqual(draft.processes.find((p) => p.id === 'registration_approval').inbox_columns, ['customer', 'amount', 'stage']);

  // 4. 销售总监审批 may reject or return without a reason.
  await page.locator('.fw-node[data-node="director_approval"]').click();
  const nodePanel = page.getByLabel('节点属性', { exact: true });
  await nodePanel.getByRole('switch', { name: '驳回、退回时可不填理由' }).click();
  await saved(page);
  await shot(page, '05-reason-optional');
  draft = await draftOf(page);
  assert.equal(draft.processes.find((p) => p.id === 'registration_approval').nodes.find((n) => n.id === 'director_approval').reason_optional, true);

  // The diff against v1 says each change in words.
  await page.getByRole('tab', { name: '发布与版本' }).click();
  for (const words of ['字段「联系电话」权限', '审批通过后可修改', '待办列表的列', '驳回/退回是否须填理由']) {
    await page.locator('.publish').getByText(words).first().waitFor();
  }
  await shot(page, '06-changes');

  // Publish v2 (the sample's flow test cases pass with the demo people, so no override).
  await page.locator('.publish button', { hasText: '校验' }).click();
  await page.getByText('校验通过，可以发布。').waitFor();
  await page.locator('.publish button', { hasText: '发布' }).click();
  await page.getByRole('dialog').getByRole('button', { name: '发布', exact: true }).click();
  let versions = [];
  for (let i = 0; i < 50 && versions.length < 2; i++) {
    versions = await (await page.request.get(`${base}/api/v1/apps/${APP}/versions`)).json();
    if (versions.length < 2) await page.waitForTimeout(200);
  }
  assert.equal(versions.length, 2, 'published as v2');
  const v2 = await (await page.request.get(`${base}/api/v1/apps/${APP}/versions/2`)).json();
  assert.deepEqual(v2.processes.find((p) => p.id === 'registration_approval').inbox_columns, ['customer', 'amount', 'stage']);
  assert.deepEqual(page.problems, []);

  // The runtime honours them. sales1 submits 60,000 华北 → 销售总监 (director).
  const sales = await newPage();
  await signIn(sales, 'sales1');
  const data = { name: '权限验证项目', customer: '客户乙', contact_phone: '13800138000', amount: 60000, region: '华北', stage: 'planning', start_date: '2026-01-01', end_date: '2026-06-30' };
  const res = await sales.request.post(`${base}/api/v1/apps/${APP}/forms/project/records`, { data });
  assert.equal(res.status(), 201, await res.text());
  const record = await res.json();
  const read = async (username) => {
    const p = await newPage();
    await signIn(p, username);
    const r = await p.request.get(`${base}/api/v1/records/${record.id}`);
    assert.equal(r.status(), 200, `${username}: ${await r.text()}`);
    return { page: p, data: (await r.json()).data };
  };
  assert.equal((await sales.request.get(`${base}/api/v1/records/${record.id}`).then((r) => r.json())).data.contact_phone, '13800138000');
  const manager = await read('manager1');
  assert.ok(!('contact_phone' in manager.data), `hidden from manager1: ${JSON.stringify(manager.data)}`);
  assert.equal(manager.data.customer, '客户乙');
  const director = await read('director');
  assert.equal(director.data.contact_phone, '13800138000');

  // The director's inbox shows 客户, 预计金额 and 项目阶段, not 区域.
  await director.page.goto(`${base}/inbox`);
  const item = director.page.locator('tr', { hasText: '权限验证项目' });
  const cols = await item.locator('dl.key-fields dt').allTextContents();
  assert.deepEqual(cols, ['客户', '预计金额（元）', '项目阶段'], cols.join(','));
  await shot(director.page, '07-inbox-columns-runtime');

  // And rejects without a reason at that step.
  const tl = await (await sales.request.get(`${base}/api/v1/records/${record.id}/timeline`)).json();
  const current = tl.entries.find((e) => e.state === 'current');
  const decided = await director.page.request.post(`${base}/api/v1/tasks/${current.detail.task_id}/decide`, { data: { action: 'reject' } });
  assert.equal(decided.status(), 200, await decided.text());
});
