// Issue "Client portal, field-level permissions everywhere, delegation, and people
// administration", item 4, in a real browser: the real `formwork demo` server on a fresh SQLite
// database, Debian's Chromium driven by playwright-core.
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test people.test.mjs)
//
// The walk: admin creates a department 华南销售部, drags it onto 销售中心 (it moves under it),
// tries to drag 销售中心 under its own sub-department (refused, in words), sets a head with the
// keyboard-friendly form, then creates a service user and issues it a token whose secret is
// shown once — and the token works against the API. Screenshots at desktop size and on a
// 390×844 phone: ./screenshots/people-*.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-4';

useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-people-', shotPrefix: 'people-' });

async function signIn(page, username, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

/** The tree as "depth:name" strings, top-down. */
async function tree(page) {
  return page.locator('#dept-tree li.dept').evaluateAll((items) =>
    items.map((li) => `${getComputedStyle(li).getPropertyValue('--depth').trim()}:${li.dataset.name}`),
  );
}

const line = (page, name) => page.locator(`#dept-tree li.dept[data-name="${name}"] > .dept-line`);

test('admin keeps the department tree by dragging, sets a head, and issues a service user a token', async () => {
  const admin = await newPage();
  await signIn(admin, 'admin', '/admin/departments');
  assert.deepEqual(await tree(admin), ['0:销售中心', '1:华东销售部', '1:华北销售部']);

  // A new top department…
  await admin.fill('#new-name', '华南销售部');
  await Promise.all([admin.waitForURL(/done=created/), admin.click('#new-department button[type=submit]')]);
  assert.equal(await admin.locator('#flash').innerText(), '部门已创建');
  assert.deepEqual(await tree(admin), ['0:华南销售部', '0:销售中心', '1:华东销售部', '1:华北销售部']);

  // …dragged onto 销售中心 moves under it.
  await Promise.all([admin.waitForURL(/done=moved/), line(admin, '华南销售部').dragTo(line(admin, '销售中心'))]);
  assert.equal(await admin.locator('#flash').innerText(), '部门已移动');
  assert.deepEqual(await tree(admin), ['0:销售中心', '1:华东销售部', '1:华北销售部', '1:华南销售部']);

  // 销售中心 dragged onto its own sub-department: refused, and nothing moves.
  await Promise.all([admin.waitForURL(/error=/), line(admin, '销售中心').dragTo(line(admin, '华东销售部'))]);
  assert.equal(await admin.locator('#error').innerText(), '不能把「销售中心」移到它的下级部门「华东销售部」之下');
  assert.deepEqual(await tree(admin), ['0:销售中心', '1:华东销售部', '1:华北销售部', '1:华南销售部']);

  // The head, chosen in the department's edit panel.
  const south = admin.locator('#dept-tree li.dept[data-name="华南销售部"]');
  await south.locator('summary').click();
  await south.locator('select[name=head]').selectOption('east_head');
  await Promise.all([admin.waitForURL(/done=head/), south.getByRole('button', { name: '设为负责人' }).click()]);
  assert.match(await admin.locator('#dept-tree li.dept[data-name="华南销售部"] .dept-head').innerText(), /华东区负责人 孙磊/);
  await shot(admin, '01-departments');

  // Deleting a department with people in it is refused with the reason.
  const east = admin.locator('#dept-tree li.dept[data-name="华东销售部"]');
  await east.locator('summary').click();
  await Promise.all([admin.waitForURL(/error=/), east.getByRole('button', { name: '删除部门' }).click()]);
  assert.match(await admin.locator('#error').innerText(), /「华东销售部」还有 2 名成员/);

  // A service user with the finance role, and a token for it.
  await admin.goto(`${base}/admin/people`);
  await admin.fill('#service-username', 'erp-sync');
  await admin.fill('#service-name', 'ERP 同步程序');
  await admin.locator('#new-service-user input[name=roles][value=finance]').check();
  await Promise.all([admin.waitForURL(/done=service/), admin.click('#new-service-user button[type=submit]')]);
  const service = admin.locator('[data-service="erp-sync"]');
  assert.match(await service.innerText(), /还没有令牌/);
  await service.locator('input[name=name]').fill('ERP 夜间同步');
  await Promise.all([admin.waitForLoadState('load'), service.getByRole('button', { name: '签发令牌' }).click()]);
  const secret = (await admin.locator('#secret').innerText()).trim();
  assert.match(secret, /^fwk_/);
  assert.match(await admin.locator('#issued').innerText(), /只显示这一次/);
  await shot(admin, '02-token-issued');

  // The token acts as the service user, with its roles (from a browser with no session).
  const program = await newPage();
  const me = await program.request.get(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(me.status(), 200);
  assert.equal((await me.json()).username, 'erp-sync');

  // Shown once: the page afterwards lists the token by its first characters only.
  await admin.goto(`${base}/admin/people#service-users`);
  assert.equal(await admin.locator('#secret').count(), 0);
  assert.match(await admin.locator('[data-service="erp-sync"]').innerText(), /ERP 夜间同步/);
  assert.deepEqual(admin.problems, []);

  // On a phone: no sideways scrolling, and the tree still reads.
  const phone = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(phone, 'admin', '/admin/departments');
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width}px)`);
  await phone.locator('#dept-tree li.dept[data-name="华南销售部"] summary').click();
  await shot(phone, '03-phone-departments');
  await phone.goto(`${base}/admin/people#service-users`);
  await shot(phone, '04-phone-people');
  assert.deepEqual(phone.problems, []);
});
