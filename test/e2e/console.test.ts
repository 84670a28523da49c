/**
 * End-to-end: the operator console in headless Chromium (playwright-core driving Debian's chromium).
 * Skipped, with a message, when no browser is installed: see docs/control.md for the one-time setup.
 * The upgrade runs through the real state machines (statemachines/failover-option2.asl.json) on a real pair.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { getAppliance } from '../../functions/emulator/app/appliance-store.js';
import { listRuns, updateRun } from '../../functions/control-plane/app/run-store.js';
import type { RunTraffic } from '../../functions/control-plane/core/pipeline.js';
import { estimateInstallMinutes } from '../../functions/platform/core/install.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { controlClient, issueTestTokens, TOKENS } from '../helpers/control.js';
import { newRun, pairFixture } from '../helpers/workflow-fixture.js';
import { createApp } from '../../functions/platform/api/app.js';
import { routes } from '../../functions/local/routes.js';
import { ROOT } from '../helpers/process.js';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
// CHROMIUM_PATH=none forces the skip (to check the message on a machine that has a browser).
const browserPath = process.env.CHROMIUM_PATH === 'none' ? undefined : CANDIDATES.find((p) => existsSync(p));
if (!browserPath && process.env.REQUIRE_E2E === '1') {
  throw new Error('[e2e] REQUIRE_E2E=1 but no Chromium was found (looked at CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome)');
}
if (!browserPath) {
  process.stderr.write('\n[e2e] SKIPPED: no Chromium found (looked at CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome). One-time setup: sudo apt-get install -y chromium\n\n');
}

const SHOTS = join(ROOT, 'test-output', 'e2e');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// 100 ms per modelled minute: a 17-minute install takes 1.7 s, long enough for a loaded machine to see it in the
// page and stop the runtime during it (at 40 ms, 0.7 s, that was a race under load).
const RUNTIME_ENV = { SCHEDULER_INTERVAL_MS: '0', TIME_SCALE_MS_PER_MINUTE: '100' };

// Waits poll for their condition; the deadlines (60 s per wait, 300 s per test; expect.poll's default is 15 s in
// vitest.config.ts) only bound a condition that never comes, sized for a loaded shared machine.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!browserPath)('operator console in headless Chromium', () => {
  let runtime: TestRuntime;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let pairId: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true }); // only this run's screenshots
    mkdirSync(SHOTS, { recursive: true });
    runtime = await startTestRuntime({ env: RUNTIME_ENV });
    await issueTestTokens(runtime.services);
    ({ a, b } = await pairFixture(runtime.services, 'e2e'));
    pairId = (await getAppliance(runtime.services, a))!.failover.pairId!;
    const { chromium } = await import('playwright-core');
    profile = await mkdtemp(join(tmpdir(), 'e2e-chromium-'));
    // A fresh profile (user data dir) per run; Playwright adds --headless itself.
    context = await chromium.launchPersistentContext(profile, { executablePath: browserPath, headless: true, args: FLAGS });
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await runtime?.dispose();
  });

  const signIn = async (token: string) => {
    if (await page.getByRole('button', { name: 'Sign out' }).isVisible()) await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Operator token').fill(token);
    await page.getByLabel('Operator token').press('Enter'); // keyboard only
    await expect.poll(() => page.locator('#whoami').textContent()).toContain('Signed in as');
  };
  const runStatus = () => page.locator('#run-status').textContent();

  /** A screenshot of each step in test-output/e2e (git-ignored), numbered in the order taken. */
  let shot = 0;
  const snap = async (name: string) => {
    shot += 1;
    await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  /** axe-core injected into the page (CDP evaluation is not subject to the console's CSP); serious or worse fails. */
  const axe = async (where: string) => {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, `axe on ${where}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
  };
  it('drives an option-2 run through the console only: refused approval, dialogs, lost connection, approval, window 2', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(runtime.url);
    await snap('sign-in');
    await axe('the sign-in page');
    await signIn(TOKENS.carol);

    // Fleet overview → pair detail
    await expect.poll(() => page.getByRole('table', { name: 'Appliances' }).textContent()).toContain(a);
    await snap('fleet');
    await axe('the fleet');
    await page.getByRole('link', { name: `Open ${pairId}` }).click();
    await expect.poll(() => page.locator('#view-title').textContent()).toBe(`Pair ${pairId}`);

    // Plan (dry run): option 1 vs option 2, with 8-hour windows
    await page.getByLabel('Package', { exact: true }).selectOption('bomgar-10.6.0');
    for (const i of [1, 2]) await page.getByLabel(`Window ${i} duration (minutes)`).fill('480');
    await page.getByLabel('Time zone').fill('Asia/Tokyo');
    await page.getByRole('button', { name: 'Plan upgrade' }).click();
    await expect.poll(() => page.locator('#recommendation').textContent()).toContain('option2');
    const option2 = page.getByRole('article', { name: /Option 2/ });
    expect(await option2.textContent()).toContain('Production downtime: 5 min');
    expect(await page.getByRole('article', { name: /Option 1/ }).textContent()).toContain(`Production downtime: ${estimateInstallMinutes({ storedDataGb: 20 })} min`);
    expect(await page.getByRole('table', { name: 'Settings backups to download before the install' }).textContent()).toContain(`/appliances/${a}/login/software-management/backups`);
    expect(await option2.textContent()).toMatch(/without failover \d/);
    // Every package side by side with the same windows.
    await page.getByRole('button', { name: 'Compare every package' }).click();
    await expect.poll(() => page.getByRole('table', { name: `Every package for ${pairId}, with the same windows` }).textContent()).toContain('10.6.0');
    await snap('plan-side-by-side');
    await axe('the plan');

    // Create the run (option 2 is preselected as recommended), keep the windows manual for the test
    expect(await page.getByRole('radio', { name: /Option 2/ }).isChecked()).toBe(true);
    await page.getByLabel('Start each window automatically at its scheduled time').uncheck();
    await page.getByRole('button', { name: 'Create run' }).click();
    // Creating a run enrols both appliances with the driver and places the holds over HTTP first.
    await expect.poll(() => page.locator('#view-title').textContent(), { timeout: 60_000 }).toMatch(/^Run run-/);
    const runId = (await page.locator('#view-title').textContent())!.replace('Run ', '');
    await expect.poll(() => runStatus()).toBe('scheduled');
    // The pipeline is the plan's steps, in order, window by window; times in the window's zone with its offset.
    const w1Steps = page.getByRole('table', { name: 'Window 1 steps' });
    expect(await w1Steps.getByRole('row').count()).toBeGreaterThan(2);
    expect(await page.locator('#run-window-1').textContent()).toContain('+09:00');
    expect(await page.locator('#run-window-1 time').first().getAttribute('title')).toMatch(/UTC$/);
    await snap('run-scheduled');
    await axe('the run page');

    // An approver tries to approve before the checks ran: refused, with the reason.
    await signIn(TOKENS.approver);
    await page.goto(`${runtime.url}/#/runs/${runId}`);
    await expect.poll(() => runStatus()).toBe('scheduled');
    expect(await page.getByRole('button', { name: 'Approve interim' }).getAttribute('aria-disabled')).toBe('true');
    // aria-disabled keeps it focusable with its reason; activating it by keyboard asks the API, which refuses.
    await page.getByRole('button', { name: 'Approve interim' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#error').textContent()).toContain('InterimChecksPending');
    await snap('approval-refused-before-checks');

    // The operator starts window 1 through a confirmation dialog naming the pair and what changes.
    await signIn(TOKENS.carol);
    await page.goto(`${runtime.url}/#/runs/${runId}`);
    await expect.poll(() => runStatus()).toBe('scheduled');
    await page.getByRole('button', { name: 'Start window 1…' }).click();
    const confirm = page.getByRole('dialog');
    await expect.poll(() => confirm.isVisible()).toBe(true);
    const startText = (await confirm.textContent())!;
    expect(startText).toContain(pairId);
    expect(startText).toContain('What it changes in production');
    await snap('confirm-start-window-1');
    // Esc keeps things as they are: nothing started.
    await page.keyboard.press('Escape');
    await expect.poll(() => confirm.isVisible()).toBe(false);
    expect(await runStatus()).toBe('scheduled');
    await page.getByRole('button', { name: 'Start window 1…' }).click();
    await confirm.getByRole('button', { name: 'Start window 1 now' }).click();
    await expect.poll(runStatus, { timeout: 60_000 }).toBe('interim');
    await expect.poll(() => page.locator('#run-interim').textContent(), { timeout: 60_000 }).toContain('passed');
    await snap('interim-checks');

    // The approver opens the override dialog: it names the pair and insists on a reason; she keeps things as they are.
    await signIn(TOKENS.approver);
    await page.goto(`${runtime.url}/#/runs/${runId}`);
    await expect.poll(() => runStatus()).toBe('interim');
    await page.getByRole('button', { name: 'Override the gate…' }).click();
    await expect.poll(() => confirm.isVisible()).toBe(true);
    expect(await confirm.textContent()).toContain(pairId);
    await confirm.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#confirm-problem').textContent()).toContain('A reason is required');
    await snap('override-dialog');
    await confirm.getByRole('button', { name: 'Keep things as they are' }).click();
    await expect.poll(() => confirm.isVisible()).toBe(false);
    expect(await page.locator('#override').count()).toBe(0);

    // She approves with a comment, kept and shown.
    await page.getByLabel('Approval comment').fill('B verified in production');
    await page.getByRole('button', { name: 'Approve interim' }).click();
    await expect.poll(() => page.locator('#run-interim').textContent()).toContain('amy');
    expect(await page.locator('#approval-comment').textContent()).toContain('B verified in production');
    expect(await page.getByRole('button', { name: 'Start window 2…' }).isDisabled()).toBe(true); // approver lacks the operator role
    await snap('approved');

    // Back to the operator for window 2
    await signIn(TOKENS.carol);
    await page.goto(`${runtime.url}/#/runs/${runId}`);
    await expect.poll(() => runStatus()).toBe('interim');
    await page.getByRole('button', { name: 'Start window 2…' }).click();
    await confirm.getByRole('button', { name: 'Start window 2 now' }).click();
    // Mid-window (A's install running) the API goes away: a banner, actions disabled, "Offline". The runtime,
    // and with it the window's execution, is stopped and restarted on the same port and data; the page
    // recovers by itself and shows the window interrupted, to be resumed without repeating finished steps.
    await expect.poll(() => page.locator('#current-step').textContent(), { timeout: 60_000, interval: 50 }).toMatch(/Install Bomgar-10\.6\.0 on e2e-a/);
    const port = Number(new URL(runtime.url).port);
    const dataDir = runtime.dataDir;
    await runtime.stop();
    await expect.poll(() => page.locator('#offline').isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('#offline').textContent()).toContain('Cannot reach the control API');
    expect(await page.getByRole('button', { name: 'Cancel run…' }).isDisabled()).toBe(true);
    expect(await page.locator('#live').textContent()).toContain('Offline');
    await snap('lost-connection-mid-window');
    runtime = await startTestRuntime({ port, dataDir, env: RUNTIME_ENV });
    await expect.poll(() => page.locator('#offline').isVisible(), { timeout: 60_000 }).toBe(false);
    await expect.poll(() => page.getByRole('button', { name: 'Cancel run…' }).isDisabled()).toBe(false);
    expect(await page.locator('#live').textContent()).toMatch(/last updated \d\d:\d\d:\d\d/);
    await expect.poll(() => page.locator('#run-window-2').textContent(), { timeout: 60_000 }).toContain('interrupted');
    await snap('reconnected-window-interrupted');
    await page.getByRole('button', { name: 'Resume window 2…' }).click();
    expect(await confirm.textContent()).toContain('the steps it finished are not repeated');
    await confirm.getByRole('button', { name: 'Resume window 2 now' }).click();
    await expect.poll(runStatus, { timeout: 60_000 }).toBe('succeeded');
    await snap('succeeded');

    // No live traffic on this run: no downtime section. Once the traffic area stores its measurements on the
    // run (the issue-14 contract, written here as the fixture), the page shows them beside the estimate.
    expect(await page.locator('#run-traffic').isHidden()).toBe(true);
    const traffic: RunTraffic = {
      windows: [
        { window: 1, from: '2026-12-03T16:00:00.000Z', to: '2026-12-03T16:40:00.000Z', attempts: 400, failures: 6, longestOutageMinutes: 1.5, totalOutageMinutes: 2, estimateMinutes: 5 },
        { window: 2, from: '2026-12-05T16:00:00.000Z', to: '2026-12-05T16:40:00.000Z', attempts: 380, failures: 0, longestOutageMinutes: 0, totalOutageMinutes: 0, estimateMinutes: 0 },
      ],
      reconciliation: { at: '2026-12-05T16:45:00.000Z', primaryId: b, completed: 30, present: 29, missing: 1, duplicated: 0, renumbered: 3, byAppliance: { [b]: 29 } },
    };
    await updateRun(runtime.services, runId, (r) => ({ ...r, traffic }) as typeof r);
    await page.reload();
    const measured = page.getByRole('table', { name: 'Measured downtime beside the estimate' });
    await expect.poll(() => measured.isVisible()).toBe(true);
    expect((await measured.getByRole('row').nth(1).textContent())!).toMatch(/Window 1.*5 min.*1\.5 min.*2 min.*6 of 400.*2026-12-04 01:00:00 \+09:00/);
    const reconciled = page.getByRole('table', { name: /Sessions reconciled at 2026-12-06 01:45:00 \+09:00/ });
    expect(await reconciled.textContent()).toContain(`${b}: 29`);
    await snap('measured-downtime');

    const audit = (await page.getByRole('table', { name: 'Audit trail' }).textContent())!;
    for (const entry of ['run.create', 'window1.start', 'interim.approve', 'window2.end']) expect(audit).toContain(entry);
    expect(audit).toContain('amy');

    // 200 % zoom at 1280×800 (a 640×400 CSS viewport): no horizontal scrolling of the page itself.
    await page.setViewportSize({ width: 640, height: 400 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await snap('run-at-200-percent');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Fleet shows both appliances on 10.6.0
    await page.getByRole('button', { name: 'Fleet' }).click();
    const rows = page.getByRole('table', { name: 'Appliances' }).getByRole('row');
    await expect.poll(async () => (await rows.filter({ hasText: a }).textContent()) ?? '').toContain('10.6.0');
    expect(await rows.filter({ hasText: b }).textContent()).toContain('10.6.0');
    expect((await getAppliance(runtime.services, a))?.productVersion).toBe('10.6.0');
    expect((await getAppliance(runtime.services, b))?.productVersion).toBe('10.6.0');
    expect((await getAppliance(runtime.services, b))?.failover).toMatchObject({ role: 'primary', pairStatus: 'established' });
    expect((await listRuns(runtime.services)).runs.find((r) => r.runId === runId)?.status).toBe('succeeded');
  }, 300_000);

  it('where responses are buffered (API Gateway HTTP API on AWS) the run page falls back to ETag polling and still follows the run', async () => {
    // The Lambda entry's app (bufferedResponses, as functions/platform/api/lambda-handler.ts builds it) answers the
    // events request whole: one snapshot and a `fallback` event. The browser gets exactly that answer.
    const lambdaApp = createApp(runtime.services, routes, { bufferedResponses: true });
    let buffered = 0;
    await page.route('**/v1/runs/*/events', async (route) => {
      const request = route.request();
      const answer = await lambdaApp.fetch(new Request(new URL(request.url()).href, { headers: await request.allHeaders() }));
      buffered += 1;
      await route.fulfill({ status: answer.status, headers: Object.fromEntries(answer.headers), body: await answer.text() });
    });
    try {
      const fb = await pairFixture(runtime.services, 'fallback');
      const run = await newRun(runtime.services, 'option2', fb.a, fb.b);
      await signIn(TOKENS.carol);
      await page.goto(`${runtime.url}/#/runs/${run.runId}`);
      await expect.poll(() => runStatus()).toBe('scheduled');
      await expect.poll(() => page.locator('#live').textContent()).toContain('Checking every second');
      expect(buffered).toBeGreaterThan(0);
      // A change made elsewhere (the API, another operator) reaches the page by polling.
      const cancelled = await controlClient(runtime.url, TOKENS.carol).post(`/v1/runs/${run.runId}/cancel`, { reason: 'fallback test' }, { 'idempotency-key': `fb-${run.runId}` });
      expect(cancelled.status).toBeLessThan(300);
      await expect.poll(runStatus, { timeout: 60_000 }).toBe('cancelled');
      await snap('buffered-fallback-polling');
    } finally {
      await page.unroute('**/v1/runs/*/events');
    }
    // As long as the first test's: a clean CI machine runs this file while the rest of the suite transforms.
  }, 300_000);
});
