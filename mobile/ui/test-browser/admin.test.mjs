// The console's administration views in headless Chromium against the fixture server (see
// fixture.mjs): the jurisdiction tree searched by alias, a community added (a bad code refused
// beside the form), renamed, kept after a reload and withdrawn; a notification channel refused
// with a Chinese message, then added with a route, still there after a reload, and shown as what
// the town's claim alert reaches; an e-mail channel refused for a bad recipient, then added
// without its password ever coming back; a deadline refused out of order, then changed, saved
// and still there after a reload; a record the server cannot read left out of the results with
// a count and listed; a lockout after repeated wrong sign-in codes listed and
// lifted; none of it offered to a town user; and no Content-Security-Policy violation anywhere
// (the jurisdiction tree's indentation included).
//
// Run: `npm run test:browser` (after `npm run build` and the fixture's cargo build).

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { FixtureServer, launch, shots } from "./fixture.mjs";

describe("the console's administration views in Chromium", () => {
  let server;
  let info;
  let context;
  let page;
  let work;
  const violations = [];

  before(async () => {
    server = new FixtureServer();
    info = await server.next();
    work = mkdtempSync(join(tmpdir(), "outpost-console-admin-"));
    mkdirSync(shots, { recursive: true });
    context = await launch(work);
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${info.url}/console/`);
    await page.locator('[data-testid="signin-use-admin"]').click();
    await page.locator('[data-testid="signin-admin-token"]').fill(info.admin_token);
    await page.locator('[data-testid="signin-submit"]').click();
    await page.locator('[data-testid="view-results"]').waitFor();
  });

  after(async () => {
    await context?.close();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const testid = (id) => page.locator(`[data-testid="${id}"]`);

  it("browses the jurisdiction tree and searches it by alias", async () => {
    await testid("nav-jurisdictions").click();
    await testid("view-jurisdictions").waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="juris-row"]').length > 10);
    const nansha = page.locator('[data-testid="juris-row"][data-code="440115001"]');
    assert.match(await nansha.textContent(), /南沙街道.*440115001.*镇街/);
    await testid("juris-search").fill("南沙街");
    await page.waitForFunction(() => document.querySelector('[data-testid="juris-count"]')?.textContent?.startsWith("找到"));
    const codes = await page.locator('[data-testid="juris-row"]').evaluateAll((rows) => rows.map((r) => r.dataset.code));
    assert.ok(codes.includes("440115001") && codes.includes("440115"), `${codes}`);
    assert.ok(!codes.includes("440115002"), "珠江街道 does not match");
    await testid("juris-search").fill("火星");
    await testid("juris-none").waitFor();
    await page.screenshot({ path: join(shots, "console-jurisdictions.png") });
  });

  it("adds a community below a town, renames it, refuses a bad code, withdraws it", async () => {
    await testid("juris-search").fill("");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="juris-row"]').length > 10);
    const row = (code) => page.locator(`[data-testid="juris-row"][data-code="${code}"]`);
    await row("440115001").locator('[data-testid="juris-add-child"]').click();
    await testid("juris-editor").waitFor();
    assert.match(await testid("juris-editor").textContent(), /在“南沙街道”下新增社区\/村/);
    // Checked before sending: the code must extend the town's, the name must not be a sibling's.
    await testid("juris-form-code").fill("440115002003");
    await testid("juris-form-name").fill("金沙社区");
    await testid("juris-form-save").click();
    assert.equal(await testid("juris-form-code-error").textContent(), "代码须为上级代码 440115001 加三位数字（不能是000）");
    assert.equal(await testid("juris-form-name-error").textContent(), "同一上级下已有名为“金沙社区”的单位");
    assert.equal(await testid("juris-form-name-en-error").textContent(), "请填写英文名称（拼音即可）");
    await testid("juris-form-code").fill("440115001003");
    await testid("juris-form-name").fill("滨海社区");
    await testid("juris-form-name-en").fill("Binhai Community");
    await testid("juris-form-aliases").fill("滨海，滨海居委");
    await testid("juris-form-save").click();
    await row("440115001003").waitFor();
    assert.equal(await testid("juris-notice").textContent(), "已保存，立即生效；外勤设备下次同步即更新");
    assert.match(await row("440115001003").textContent(), /滨海社区.*440115001003.*社区\/村.*滨海、滨海居委.*控制台新增/);
    assert.match(await testid("juris-changes").textContent(), /控制台新增 1 个、修改 0 个单位/);

    // Found by its alias; renamed; still there after a reload.
    await testid("juris-search").fill("滨海居委");
    await page.waitForFunction(() => document.querySelector('[data-testid="juris-count"]')?.textContent?.startsWith("找到 1"));
    await row("440115001003").locator('[data-testid="juris-edit"]').click();
    await testid("juris-form-name").fill("滨海湾社区");
    await testid("juris-form-save").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="juris-row"][data-code="440115001003"]')?.textContent?.includes("滨海湾社区"));
    await page.reload();
    await testid("nav-jurisdictions").click();
    await row("440115001003").waitFor();
    assert.match(await row("440115001003").textContent(), /滨海湾社区/);

    // A file's unit renamed shows as changed and goes back to the file's name.
    await row("440115002").locator('[data-testid="juris-edit"]').click();
    await testid("juris-form-aliases").fill("珠江");
    await testid("juris-form-save").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="juris-row"][data-code="440115002"]')?.dataset.origin === "changed");
    await row("440115002").locator('[data-testid="juris-restore"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="juris-row"][data-code="440115002"]')?.dataset.origin === "file");

    // Withdrawn: nothing uses it yet.
    await row("440115001003").locator('[data-testid="juris-withdraw"]').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="juris-row"][data-code="440115001003"]'));
    assert.equal(await testid("juris-notice").textContent(), "已撤销");
    await page.screenshot({ path: join(shots, "console-jurisdictions-edit.png") });
  });

  it("adds a notification channel and a route, keeps them after a reload and shows who the alerts reach", async () => {
    await testid("nav-notifications").click();
    await testid("notify-new-channel").waitFor();
    // A bad address is refused beside the form, in Chinese.
    await testid("notify-channel-id").fill("sms-adapter");
    await testid("notify-channel-kind").selectOption("webhook");
    await testid("notify-channel-url").fill("sms.example/adapter");
    await testid("notify-channel-secret").fill("adapter-secret-0123");
    await testid("notify-add-channel").click();
    assert.equal(await testid("notify-channel-error").textContent(), "推送地址须是以 https:// 开头的完整网址");
    await testid("notify-channel-url").fill("https://sms.example/adapter?key=k1");
    await testid("notify-add-channel").click();
    const row = page.locator('[data-testid="notify-channel-row"][data-channel="sms-adapter"]');
    await row.waitFor();
    assert.match(await row.textContent(), /sms\.example.*是.*控制台/);
    assert.equal(await testid("notify-notice").textContent(), "已保存，立即生效");
    assert.ok(!(await page.content()).includes("adapter-secret-0123"), "the secret is never shown");

    // A route without a channel is refused; with one it is saved.
    await testid("notify-route-unit").selectOption("440115001");
    await testid("notify-route-recipient").selectOption("town_leader");
    await testid("notify-add-route").click();
    assert.equal(await testid("notify-route-error").textContent(), "请至少选择一个渠道");
    await page.locator('[data-testid="notify-route-channel"][value="sms-adapter"]').check();
    await testid("notify-add-route").click();
    const route = page.locator('[data-testid="notify-route-row"][data-unit="440115001"][data-recipient="town_leader"]');
    await route.waitFor();

    // Stored on the server: still there after a reload.
    await page.reload();
    await testid("view-notifications").waitFor();
    await route.waitFor();
    assert.match(await route.textContent(), /南沙街道.*sms-adapter.*控制台/);

    // Who 南沙街道's claim alert reaches, and on which channels.
    await testid("notify-reach-unit").selectOption("440115001");
    await testid("notify-reach-show").click();
    const reach = page.locator('[data-testid="notify-reach-row"][data-rule="claim"][data-step="1"][data-recipient="town_leader"]');
    await reach.waitFor();
    assert.match(await reach.textContent(), /sms-adapter/);

    // An e-mail channel: a bad recipient refused beside the form, then saved; the password
    // never comes back, and the route added before is kept.
    await testid("notify-channel-id").fill("duty-mail");
    await testid("notify-channel-kind").selectOption("smtp");
    assert.ok(await testid("notify-channel-url").isHidden(), "no push address for e-mail");
    await testid("notify-smtp-host").fill("smtp.nansha.example");
    await testid("notify-smtp-username").fill("outpost");
    await testid("notify-smtp-password").fill("relay-password-4711");
    await testid("notify-smtp-from").fill("Outpost 告警 <alerts@outpost.example>");
    await testid("notify-smtp-to").fill("duty@nansha.example\n值班室");
    await testid("notify-add-channel").click();
    assert.equal(await testid("notify-channel-error").textContent(), "收件人 值班室 不是有效的邮箱地址");
    await testid("notify-smtp-to").fill("duty@nansha.example；南沙街道领导 <leader@nansha.example>");
    await testid("notify-add-channel").click();
    const mail = page.locator('[data-testid="notify-channel-row"][data-channel="duty-mail"]');
    await mail.waitFor();
    assert.match(await mail.textContent(), /电子邮件.*smtp\.nansha\.example.*发往 duty@nansha\.example、南沙街道领导 <leader@nansha\.example>.*控制台/);
    assert.ok(!(await page.content()).includes("relay-password-4711"), "the password is never shown");
    await route.waitFor();
    await page.screenshot({ path: join(shots, "console-notifications.png"), fullPage: true });
  });

  it("changes a deadline, refusing a ladder out of order, and keeps it after a reload", async () => {
    await testid("nav-programs").click();
    const w1 = page.locator('[data-testid="settings-program"][data-program="w1-close-contact-whereabouts"]');
    await w1.waitFor();
    const step = (n) => w1.locator(`[data-testid="settings-step"][data-rule="claim"][data-step="${n}"]`);
    await step(2).locator('[data-testid="settings-step-value"]').fill("5m");
    await w1.locator('[data-testid="settings-save"]').click();
    assert.equal(await step(2).locator('[data-testid="settings-step-error"]').textContent(), "须晚于上一步（10分钟）");
    assert.equal(await w1.locator('[data-testid="settings-error"]').textContent(), "请先更正标红的项");

    await step(1).locator('[data-testid="settings-step-value"]').fill("15m");
    await step(2).locator('[data-testid="settings-step-value"]').fill("45m");
    // The task force no longer hears of the first step.
    await step(1).locator('[data-testid="settings-step-recipient"][value="task_force_group"]').uncheck();
    await w1.locator('[data-testid="settings-save"]').click();
    await w1.locator('[data-testid="settings-customised"]').waitFor();
    assert.equal(await w1.locator('[data-testid="settings-notice"]').textContent(), "已保存，立即生效");

    await page.reload();
    await w1.waitFor();
    assert.equal(await step(1).locator('[data-testid="settings-step-value"]').inputValue(), "15分钟");
    assert.equal(await step(2).locator('[data-testid="settings-step-value"]').inputValue(), "45分钟");
    assert.equal(await step(1).locator('[data-testid="settings-step-recipient"][value="task_force_group"]').isChecked(), false);
    assert.match(await step(1).textContent(), /项目文件：10分钟/);
    await page.screenshot({ path: join(shots, "console-deadlines.png"), fullPage: true });

    // Back to the program file.
    await w1.locator('[data-testid="settings-reset"]').click();
    await page.waitForFunction(
      () =>
        document.querySelector('[data-program="w1-close-contact-whereabouts"] [data-rule="claim"][data-step="1"] input')?.value === "10分钟",
    );
  });

  it("switches the administration views to English", async () => {
    await testid("console-lang").selectOption("en");
    await testid("nav-programs").waitFor();
    assert.equal(await testid("nav-programs").textContent(), "Deadlines");
    assert.equal(await page.locator("h1").first().textContent(), "Program deadlines and escalation");
    await testid("console-lang").selectOption("zh-CN");
  });

  it("lists a lockout after repeated wrong sign-in codes and lifts it", async () => {
    const answers = await page.evaluate(async () => {
      const out = [];
      for (let i = 0; i < 11; i++) {
        const r = await fetch("/console/api/session", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ code: `ZZZZ-ZZ${String(i).padStart(2, "0")}` }),
        });
        out.push([r.status, r.headers.get("retry-after"), (await r.json()).message_zh]);
      }
      return out;
    });
    assert.deepEqual(answers.slice(0, 10).map(([status]) => status), Array(10).fill(401));
    assert.deepEqual(answers[10], [429, "60", "尝试次数过多，请 1 分钟后再试"]);
    await testid("nav-lockouts").click();
    await testid("view-lockouts").waitFor();
    const row = page.locator('[data-testid="lockout-row"][data-kind="sign_in_code"]');
    await row.waitFor();
    assert.match(await row.textContent(), /控制台登录码来源地址 127\.0\.0\.1/);
    assert.match(await row.locator('[data-testid="lockout-until"]').textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    await page.screenshot({ path: join(shots, "console-lockouts.png") });
    await row.locator('[data-testid="lockout-lift"]').click();
    await testid("lockouts-none").waitFor();
    assert.equal(await testid("lockouts-notice").textContent(), "已解除锁定：127.0.0.1");
  });

  it("leaves a record the server cannot read out of the results, says so, and lists it", async () => {
    const { record } = await server.send("break-record");
    await testid("nav-results").click();
    await testid("filter-search").fill("138");
    await testid("filter-apply").click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="results-unreadable"]')?.textContent?.startsWith("另有 1 条记录无法读取"),
      null,
      { timeout: 10_000 },
    );
    assert.equal(await page.locator(`[data-testid="result-row"][data-id="${record}"]`).count(), 0);
    await testid("nav-quarantine").click();
    await testid("view-quarantine").waitFor();
    const row = page.locator(`[data-testid="quarantine-row"][data-record="${record}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /控制台查询/);
    await page.screenshot({ path: join(shots, "console-quarantine.png") });
  });

  it("offers none of it to a town user", async () => {
    const { code } = await server.send("code nansha-worker");
    await testid("console-sign-out").click();
    await testid("signin-code").fill(code);
    await testid("signin-submit").click();
    await testid("console-who").waitFor();
    assert.equal(await testid("nav-programs").count(), 0);
    assert.equal(await testid("nav-notifications").count(), 0);
    await page.goto(`${info.url}/console/#programs`);
    await testid("settings-only").waitFor();
    const status = await page.evaluate(async () => {
      const token = sessionStorage.getItem("outpost-console-token");
      return (await fetch("/console/api/admin/programs", { headers: { Authorization: `Bearer ${token}` } })).status;
    });
    assert.equal(status, 403);
  });

  it("ran under its Content-Security-Policy without a violation", () => {
    assert.deepEqual(violations, []);
  });
});
