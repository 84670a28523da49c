// Operator console: plain DOM, no framework. Talks to /v1 with the operator's bearer token.
import { completeSignIn, signInConfig, startSignIn } from './sign-in.js';
const TOKEN_KEY = 'upgrade-cp-token';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
let token = sessionStorage.getItem(TOKEN_KEY) || '';
let me = null;
let pollTimer = null;

const $ = (sel) => document.querySelector(sel);

/** Builds an element; text is always inserted as text (never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const duration = (minutes) => (minutes >= 120 ? `${Math.round(minutes / 6) / 10} h` : `${minutes} min`);
const badge = (text) => h('span', { class: `badge s-${String(text).replace(/[^a-z0-9-]/gi, '')}` }, text);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const hasRole = (role) => role === 'viewer' || (me && me.operator.roles.includes(role));
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

function table(caption, headers, rows, empty = 'None') {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))) : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, empty))),
  );
}

function say(message) {
  $('#status').textContent = message;
}
function fail(error) {
  const p = error.problem;
  // Field messages the detail already states are not repeated.
  const extra = p && Array.isArray(p.errors) ? p.errors.filter((e) => !error.message.includes(e.message)) : [];
  const fields = extra.length > 0 ? ` (${extra.map((e) => `${e.path}: ${e.message}`).join('; ')})` : '';
  $('#error').textContent = `${p?.code ? `${p.code}: ` : ''}${error.message}${fields}`;
}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // One key per user action: a network retry of the same action replays instead of acting twice.
  if (method === 'POST') headers['idempotency-key'] = newKey();
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.detail || res.statusText);
    err.problem = data;
    err.status = res.status;
    if (res.status === 401) signOut();
    throw err;
  }
  return data;
}

/** Runs a user action with its button disabled, reporting success or the problem. */
async function act(button, fn, done) {
  $('#error').textContent = '';
  button.disabled = true;
  button.dataset.busy = 'true';
  let ok = false;
  try {
    const result = await fn();
    ok = true;
    if (done) say(typeof done === 'function' ? done(result) : done);
    return result;
  } catch (e) {
    fail(e);
  } finally {
    delete button.dataset.busy;
    // After a success the view re-rendered and set the button's state; only a failure gives it back.
    if (!ok) button.disabled = false;
  }
}

// ---- session -------------------------------------------------------------------------------------

async function signIn(candidate) {
  token = candidate;
  me = await api('GET', '/v1/me');
  sessionStorage.setItem(TOKEN_KEY, token);
  $('#signin').hidden = true;
  $('#who').hidden = false;
  $('#nav').hidden = false;
  $('#whoami').textContent = `Signed in as ${me.operator.displayName} (${me.operator.roles.join(', ')})`;
  route();
}

function signOut() {
  token = '';
  me = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopPolling();
  $('#signin').hidden = false;
  $('#who').hidden = true;
  $('#nav').hidden = true;
  $('#main').replaceChildren(h('p', { class: 'muted' }, 'Sign in with an operator token to see the fleet.'));
}

// ---- views ---------------------------------------------------------------------------------------

function show(title, ...content) {
  stopPolling();
  const main = $('#main');
  main.replaceChildren(h('h2', { id: 'view-title' }, title), ...content);
  document.title = `${title} — upgrade console`;
  main.focus();
}

async function fleetView() {
  const [{ appliances }, { pairs }] = await Promise.all([api('GET', '/v1/appliances'), api('GET', '/v1/pairs')]);
  show(
    'Fleet',
    table(
      'Failover pairs',
      ['Pair', 'Primary (A)', 'Backup (B)', 'Sync', 'Last sync', ''],
      pairs.map((p) => [p.pairId, p.primaryId ?? '—', p.backupId ?? '—', badge(p.status), when(p.lastSyncAt), h('a', { href: `#/pairs/${encodeURIComponent(p.pairId)}` }, `Open ${p.pairId}`)]),
    ),
    table(
      'Appliances',
      ['Appliance', 'Hostname', 'Version', 'Base', 'Role', 'Pair', 'Sync', 'State', 'Pending updates'],
      appliances.map((a) => [
        a.applianceId + (a.staging ? ' (staging)' : ''),
        a.hostname,
        a.productVersion,
        a.baseVersion,
        a.failover.role,
        a.failover.pairId ?? '—',
        a.failover.pairStatus ? badge(a.failover.pairStatus) : '—',
        badge(a.state),
        (a.pendingUpdates ?? []).map((u) => h('div', {}, u.installable ? u.packageId : `${u.packageId} (blocked: ${u.reason})`)),
      ]),
    ),
  );
}

function timeZones() {
  const list = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
  return h('datalist', { id: 'zones' }, list.map((z) => h('option', { value: z })));
}

function localInput(daysAhead, hour) {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:00`;
}

async function pairView(pairId) {
  const [detail, { packages }] = await Promise.all([api('GET', `/v1/pairs/${encodeURIComponent(pairId)}`), api('GET', '/v1/packages')]);
  const { pair, runs, backups } = detail;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const result = h('section', { id: 'plan-result', 'aria-label': 'Plan comparison' });
  const form = h(
    'form',
    { id: 'plan-form', 'aria-label': 'Plan an upgrade' },
    h('div', { class: 'field' }, h('label', { for: 'package' }, 'Package'), h('select', { id: 'package', required: true }, packages.map((p) => h('option', { value: p.packageId }, `${p.name} (${p.kind === 'base' ? 'base software ' : ''}${p.version})`)))),
    h('div', { class: 'field' }, h('label', { for: 'zone' }, 'Time zone'), h('input', { id: 'zone', list: 'zones', value: zone, required: true }), timeZones()),
    [1, 2].map((i) =>
      h(
        'fieldset',
        {},
        h('legend', {}, `Maintenance window ${i}`),
        h('div', { class: 'field' }, h('label', { for: `w${i}-start` }, `Window ${i} start (local time)`), h('input', { id: `w${i}-start`, type: 'datetime-local', value: localInput(i * 2, 1), required: true })),
        h('div', { class: 'field' }, h('label', { for: `w${i}-duration` }, `Window ${i} duration (minutes)`), h('input', { id: `w${i}-duration`, type: 'number', min: 1, max: 1440, value: 180, required: true })),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Plan upgrade')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    const windows = [1, 2].map((i) => ({ localStart: $(`#w${i}-start`).value, durationMinutes: Number($(`#w${i}-duration`).value), timeZone: $('#zone').value }));
    await act(button, async () => renderPlan(result, pair, await api('POST', '/v1/plans', { pairId: pair.pairId, packageId: $('#package').value, windows })), 'Plan ready: compare option 1 and option 2 below');
  });
  show(
    `Pair ${pair.pairId}`,
    h('p', {}, 'Status ', badge(pair.status), ` · last sync ${when(pair.lastSyncAt)}`),
    table('Appliances', ['Appliance', 'Role', 'Version', 'Base', 'Stored data', 'State'], pair.appliances.map((a) => [a.applianceId, a.failover.role, a.productVersion, a.baseVersion, `${a.storedDataGb} GB`, badge(a.state)])),
    table('Backups', ['Appliance', 'Taken', 'Version'], backups.slice(0, 6).map((b) => [b.applianceId, when(b.createdAt), b.productVersion ?? '—']), 'No backups yet'),
    table('Runs', ['Run', 'Option', 'Target', 'Status', 'Created'], runs.map((r) => [h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.runId), r.option, r.targetVersion, badge(r.status), when(r.createdAt)]), 'No runs yet'),
    h('h2', {}, 'Plan an upgrade (dry run)'),
    form,
    result,
  );
}

function renderPlan(container, pair, plan) {
  const recommended = plan.recommendation.option;
  const cards = plan.options.map((o) =>
    h(
      'article',
      { class: `card${o.option === recommended ? ' recommended' : ''}`, 'aria-label': o.title },
      h('h3', {}, o.title, o.option === recommended ? ' — recommended' : ''),
      h('p', {}, h('strong', {}, `Production downtime: ${o.productionDowntimeMinutes} min`), ` · window work ${o.windowMinutes.map((m, i) => `W${i + 1} ${m} min`).join(', ')}`, o.withoutFailoverMinutes !== undefined ? ` · without failover ${duration(o.withoutFailoverMinutes)}` : '', o.blocked ? ' · ' : '', o.blocked ? badge('blocked') : ''),
      h('ol', { class: 'steps' }, o.steps.map((s) => h('li', { class: s.productionDown ? 'down' : '' }, `W${s.window}: ${s.description} (${s.estimatedMinutes} min${s.productionDown ? ', production down' : ''})`))),
      o.risks.length ? h('ul', {}, o.risks.map((r) => h('li', {}, badge(r.severity), ' ', r.message))) : h('p', { class: 'muted' }, 'No risks found'),
    ),
  );
  const choice = h(
    'fieldset',
    {},
    h('legend', {}, 'Choose option'),
    plan.options.map((o) => h('div', { class: 'field' }, h('input', { type: 'radio', name: 'option', id: `choose-${o.option}`, value: o.option, checked: o.option === (recommended ?? plan.options[0].option), disabled: o.blocked }), h('label', { for: `choose-${o.option}` }, o.title))),
  );
  const schedule = h('div', { class: 'field' }, h('input', { type: 'checkbox', id: 'auto-start', checked: true }), h('label', { for: 'auto-start' }, 'Start each window automatically at its scheduled time'));
  const create = h('button', { type: 'button', class: 'primary', disabled: !hasRole('operator') || plan.options.every((o) => o.blocked) }, 'Create run');
  create.addEventListener('click', () =>
    act(create, async () => {
      const option = container.querySelector('input[name=option]:checked').value;
      const windows = [1, 2].map((i) => ({ localStart: $(`#w${i}-start`).value, durationMinutes: Number($(`#w${i}-duration`).value), timeZone: $('#zone').value }));
      const { run } = await api('POST', '/v1/runs', { pairId: pair.pairId, option, packageId: plan.packageId, windows, schedule: $('#auto-start').checked });
      location.hash = `#/runs/${encodeURIComponent(run.runId)}`;
      return run;
    }, (run) => `Run ${run.runId} created`),
  );
  const useWindow = (w) => {
    const b = h('button', { type: 'button' }, `Use ${w.localStart.slice(0, 16).replace('T', ' ')} for window 1`);
    b.addEventListener('click', () => {
      $('#w1-start').value = w.localStart.slice(0, 16);
      $('#zone').value = w.timeZone;
      say(`Window 1 set to ${w.localStart}; plan again to check it`);
    });
    return b;
  };
  const preparation = h(
    'section',
    { id: 'plan-preparation', 'aria-label': 'Before the windows' },
    h('h3', {}, 'Before the windows'),
    table('Settings backups to download before the install', ['Appliance', 'Version', 'Backup', 'Download'], plan.backups.map((b) => [b.applianceId, b.productVersion, b.backupId ?? `none counts yet: ${b.reason}`, b.downloadPath])),
    plan.apiUsers && plan.apiUsers.users.length
      ? [table('API users to prepare for 10.6 (acknowledge on the run)', ['Name', 'Appliance', 'Kind', 'Last call'], plan.apiUsers.users.map((u) => [u.name, u.applianceId, u.kind, `${u.lastCall} ${when(u.lastCallAt)}`])), h('ul', {}, plan.apiUsers.checks.map((c) => h('li', {}, c)))]
      : '',
    plan.integrations && plan.integrations.length
      ? table('Integration Clients registered on the pair', ['Name', 'Target', 'Version', 'Reaches the backup after a role swap'], plan.integrations.map((i) => [i.name, i.target, i.version ?? 'unknown', i.reachesBackupAfterSwap ? 'yes' : `no: ${i.reason ?? ''}`]))
      : '',
    plan.stagingRun ? h('p', { id: 'staging-run' }, h('strong', {}, 'Pre-test first: '), plan.stagingRun.reason) : '',
    plan.proceed ? h('p', { id: 'proceed' }, h('strong', {}, 'How to proceed: '), plan.proceed.reason) : '',
    plan.suggestedWindows && plan.suggestedWindows.length
      ? table(`Quietest windows of the next 14 days (${plan.traffic ? `${plan.traffic.sessions} sessions in ${plan.traffic.timeZone}` : 'session history'})`, ['Local start', 'Length', 'Expected sessions', ''], plan.suggestedWindows.map((w) => [w.localStart, `${w.durationMinutes} min`, w.expectedSessions, useWindow(w)]))
      : '',
  );
  container.replaceChildren(
    h('h2', {}, 'Option 1 vs option 2'),
    h('p', { id: 'recommendation' }, h('strong', {}, 'Recommendation: '), recommended ? `${recommended} — ` : 'none — ', plan.recommendation.reason),
    preparation,
    h('div', { class: 'grid' }, cards),
    choice,
    schedule,
    h('div', { class: 'actions' }, create),
  );
}

async function runView(runId) {
  const path = `/v1/runs/${encodeURIComponent(runId)}`;
  const summary = h('div', { id: 'run-summary' });
  const windows = h('div', { id: 'run-windows' });
  const interim = h('div', { id: 'run-interim' });
  const warnings = h('div', { id: 'run-warnings' });
  const details = h('div', { id: 'run-details' });
  const buttons = {
    start1: h('button', { type: 'button', class: 'primary' }, 'Start window 1'),
    approve: h('button', { type: 'button', class: 'primary' }, 'Approve interim'),
    start2: h('button', { type: 'button', class: 'primary' }, 'Start window 2'),
    cancel: h('button', { type: 'button' }, 'Cancel run'),
    ackApi: h('button', { type: 'button' }, 'Acknowledge API users'),
    ackIc: h('button', { type: 'button' }, 'Override Integration Client order'),
  };
  const comment = h('input', { id: 'approve-comment', maxlength: 500 });
  const reason = h('input', { id: 'cancel-reason', maxlength: 500 });
  const ackReason = h('input', { id: 'ack-reason', maxlength: 500 });
  let current = null;

  // Live traffic (issue 14): one small self-contained section, for the run page rework to place.
  const traffic = h('section', { id: 'run-traffic' });
  const trafficSection = (t) => {
    if (!t) return traffic.replaceChildren();
    const r = t.reconciliation;
    traffic.replaceChildren(
      table('Live traffic: customer-facing downtime (modelled minutes)', ['Window', 'Requests', 'Failed', 'Longest outage', 'Total outage', 'Plan estimate', 'Completed'], t.windows.map((w) => [`Window ${w.window}`, String(w.attempts), String(w.failures), String(w.longestOutageMinutes), String(w.totalOutageMinutes), String(w.estimateMinutes), String(w.completed ?? '—')])),
      r ? h('p', {}, `Reconciliation with ${r.primaryId}: ${r.completed} completed · ${r.present} present · `, r.missing ? badge('failed') : '', ` ${r.missing} missing · ${r.duplicated} duplicated · ${r.renumbered} renumbered`) : h('p', {}, 'Reconciliation: when the run closes'),
    );
  };
  const render = (d) => {
    current = d;
    const r = d.run;
    summary.replaceChildren(
      h('p', {}, 'Status ', h('span', { id: 'run-status' }, badge(r.status)), r.statusReason ? ` — ${r.statusReason}` : ''),
      h('p', {}, `${r.option} · ${r.packageId} → ${r.targetVersion} · A ${r.primaryId}${r.backupId ? ` · B ${r.backupId}` : ''} · created by ${r.createdBy}`),
    );
    trafficSection(d.traffic);
    windows.replaceChildren(
      table('Maintenance windows', ['Window', 'Local start', 'Local end', 'Status', 'Schedule'], d.localWindows.map((lw) => {
        const w = r.windows.find((x) => x.index === lw.index);
        const s = d.schedules.find((x) => x.window === lw.index);
        return [`Window ${lw.index}`, `${lw.localStart} (${lw.timeZone})`, lw.localEnd, badge(w.status), s ? [badge(s.status), s.outcome ? ` ${s.outcome}` : ''] : 'manual'];
      })),
    );
    const checks = r.interim.checks;
    const approval = r.interim.approval;
    interim.replaceChildren(
      r.option === 'single'
        ? ''
        : h(
            'p',
            {},
            'Interim: checks ',
            checks ? badge(checks.passed ? 'succeeded' : 'failed') : badge('pending'),
            ' · approval ',
            approval ? `${approval.by} at ${when(approval.at)}` : badge('pending'),
            approval && approval.comment ? h('span', { id: 'approval-comment' }, ` — “${approval.comment}”`) : '',
            r.interim.override ? ` · overridden by ${r.interim.override.by}: ${r.interim.override.reason}` : '',
          ),
      checks && !checks.passed ? h('p', {}, 'Failed checks: ', checks.results.filter((c) => !c.passed).map((c) => `${c.name} (${c.detail})`).join('; '), '. An approval is accepted only once the checks pass; otherwise override with a reason.') : '',
    );
    const acks = r.acknowledgements || {};
    warnings.replaceChildren(
      d.notice ? h('p', { id: 'run-notice', role: 'status' }, h('strong', {}, 'Note: '), d.notice) : '',
      d.warnings && d.warnings.length ? h('ul', { 'aria-label': 'Warnings' }, d.warnings.map((w) => h('li', {}, badge('warning'), ' ', w.message))) : '',
      acks.apiUsers ? h('p', {}, `API users acknowledged by ${acks.apiUsers.by}: ${acks.apiUsers.reason}`) : '',
      acks.integrationClients ? h('p', {}, `Integration Client order overridden by ${acks.integrationClients.by}: ${acks.integrationClients.reason}`) : '',
      r.installBackups && r.installBackups.length ? table('Backups the installs relied on', ['Window', 'Appliance', 'Version', 'Backup', 'Download'], r.installBackups.map((b) => [b.window, b.applianceId, b.productVersion, b.backupId, b.downloadPath])) : '',
    );
    details.replaceChildren(
      table('Steps', ['Step', 'Status', 'Attempts', 'Ended'], d.steps.map((s) => [s.key, badge(s.status), s.attempts, when(s.endedAt)]), 'No step records yet'),
      table('Audit trail', ['At', 'Step', 'Outcome', 'Actor', 'Detail'], d.audit.map((e) => [when(e.at), e.step, badge(e.outcome), e.actor, e.detail ?? ''])),
    );
    const closed = TERMINAL.has(r.status);
    // An interrupted window (its execution ended without reporting) is resumed by starting it again.
    const interrupted = (i) => Boolean(r.windows[i - 1]?.interrupted);
    buttons.start1.disabled = !hasRole('operator') || !(r.status === 'scheduled' || (r.status === 'window1-running' && interrupted(1)));
    buttons.start1.textContent = interrupted(1) ? 'Resume window 1' : 'Start window 1';
    buttons.approve.disabled = !hasRole('approver') || r.status !== 'interim' || Boolean(r.interim.approval);
    buttons.start2.disabled = !hasRole('operator') || !(r.status === 'interim' || (r.status === 'window2-running' && interrupted(2))) || r.option === 'single';
    buttons.start2.textContent = interrupted(2) ? 'Resume window 2' : 'Start window 2';
    buttons.cancel.disabled = !hasRole('operator') || closed;
    buttons.ackApi.disabled = buttons.ackIc.disabled = !hasRole('operator') || closed;
    buttons.approve.hidden = buttons.start2.hidden = r.option === 'single';
    if (closed) stopPolling();
  };

  const refresh = async () => render(await api('GET', path));
  const post = (button, action, body, message) =>
    act(button, async () => {
      const result = await api('POST', `${path}${action}`, body);
      render({ ...current, ...result });
      await refresh();
      return result;
    }, message);
  buttons.start1.addEventListener('click', () => post(buttons.start1, '/windows/1/start', undefined, 'Window 1 started'));
  buttons.start2.addEventListener('click', () => post(buttons.start2, '/windows/2/start', undefined, 'Window 2 started'));
  buttons.approve.addEventListener('click', () => post(buttons.approve, '/approve', { comment: comment.value || undefined }, 'Interim approved'));
  buttons.cancel.addEventListener('click', () => post(buttons.cancel, '/cancel', { reason: reason.value }, (result) => result.notice || (TERMINAL.has(result.run.status) ? 'Run cancelled' : 'Cancel recorded: the window stops at its next step')));
  buttons.ackApi.addEventListener('click', () => post(buttons.ackApi, '/acknowledge', { subject: 'api-users', reason: ackReason.value }, 'API users acknowledged'));
  buttons.ackIc.addEventListener('click', () => post(buttons.ackIc, '/acknowledge', { subject: 'integration-clients', reason: ackReason.value }, 'Integration Client order overridden'));

  const first = await api('GET', path);
  show(
    `Run ${runId}`,
    summary,
    windows,
    traffic,
    interim,
    warnings,
    h(
      'section',
      { 'aria-label': 'Run actions' },
      h('div', { class: 'actions' }, buttons.start1),
      h('div', { class: 'actions' }, h('label', { for: 'approve-comment' }, 'Approval comment'), comment, buttons.approve),
      h('div', { class: 'actions' }, buttons.start2),
      h('div', { class: 'actions' }, h('label', { for: 'cancel-reason' }, 'Cancel reason'), reason, buttons.cancel),
      h('div', { class: 'actions' }, h('label', { for: 'ack-reason' }, 'Acknowledgement reason (10.6: API users prepared, or why an older Integration Client may stay)'), ackReason, buttons.ackApi, buttons.ackIc),
    ),
    details,
  );
  render(first);
  // Live progress: poll while the run is open (EventSource cannot send the bearer token).
  if (!TERMINAL.has(first.run.status)) {
    pollTimer = setInterval(() => refresh().catch(fail), 1000);
  }
}

async function runsView() {
  const { runs } = await api('GET', '/v1/runs?limit=100');
  show('Runs', table('Runs, newest first', ['Run', 'Option', 'Target', 'Appliances', 'Status', 'Created by', 'Created'], runs.map((r) => [h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.runId), r.option, r.targetVersion, [r.primaryId, r.backupId].filter(Boolean).join(' / '), badge(r.status), r.createdBy, when(r.createdAt)]), 'No runs yet'));
}

async function campaignsView() {
  const { campaigns } = await api('GET', '/v1/campaigns');
  show(
    'Campaigns',
    table('Campaigns, newest first', ['Campaign', 'Package', 'Status', 'Progress', 'Created by', 'Started by', 'Reason'], campaigns.map((c) => {
      const ok = c.targets.filter((t) => t.status === 'succeeded').length;
      return [c.campaignId, c.targetVersion, badge(c.status), `${ok}/${c.targets.length} (canary + ${c.targets.length - 1})`, c.createdBy, c.startedBy ?? '—', c.statusReason ?? ''];
    }), 'No campaigns yet (create one with POST /v1/campaigns)'),
  );
}

function stopPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
}

async function route() {
  if (!me) return;
  const [, view, id] = (location.hash || '#/fleet').split('/');
  const name = id ? decodeURIComponent(id) : undefined;
  for (const b of document.querySelectorAll('#nav button')) b.setAttribute('aria-current', b.dataset.view === view || (view === 'pairs' && b.dataset.view === 'fleet') ? 'page' : 'false');
  $('#error').textContent = '';
  try {
    if (view === 'pairs' && name) await pairView(name);
    else if (view === 'runs' && name) await runView(name);
    else if (view === 'runs') await runsView();
    else if (view === 'campaigns') await campaignsView();
    else await fleetView();
  } catch (e) {
    fail(e);
  }
}

$('#signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('#error').textContent = '';
  try {
    await signIn($('#token').value.trim());
    $('#token').value = '';
  } catch (e) {
    token = '';
    fail(e);
  }
});
$('#signout').addEventListener('click', signOut);
for (const b of document.querySelectorAll('#nav button')) {
  b.addEventListener('click', () => {
    say(''); // the last action's message belongs to the view it was done in
    location.hash = `#/${b.dataset.view}`;
  });
}
window.addEventListener('hashchange', route);
// The skip link moves focus to the content; it must not change the hash (that would route to Fleet).
$('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  $('#main').focus();
});

// Single sign-on when the deployment has an identity provider; operator tokens work either way.
(async () => {
  const oidc = await signInConfig().catch(() => null);
  if (oidc) {
    $('#sso').hidden = false;
    $('#sso').addEventListener('click', () => startSignIn(oidc).catch(fail));
    try {
      const signedIn = await completeSignIn(oidc);
      if (signedIn) return await signIn(signedIn);
    } catch (e) {
      signOut();
      return fail(e);
    }
  }
  if (token) signIn(token).catch(() => signOut());
  else signOut();
})();
