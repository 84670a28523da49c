// Operator console: plain DOM, no framework, no build. Talks to /v1 with the operator's bearer token.
// The run page follows the run's server-sent events through a streaming fetch (EventSource cannot send a
// bearer token) and falls back to ETag polling where the deployment buffers responses (API Gateway).
import { completeSignIn, signInConfig, startSignIn } from './sign-in.js';
import { formatClock, formatMinutes, formatUtc, offsetOf } from './clock.js';

const TOKEN_KEY = 'upgrade-cp-token';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
let token = sessionStorage.getItem(TOKEN_KEY) || '';
let me = null;
/** The view on screen: `{ stop(), refresh() }`; replaced on every navigation. */
let view = null;

const $ = (sel) => document.querySelector(sel);
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

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
    if (c === null || c === undefined || c === false || c === '') continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const badge = (text, label) => h('span', { class: `badge s-${String(text).replace(/[^a-z0-9-]/gi, '')}` }, label ?? text);
/** One clock: the time in `zone` with its offset, UTC on hover. */
const time = (iso, zone) => (iso ? h('time', { datetime: new Date(iso).toISOString(), title: formatUtc(iso) }, formatClock(iso, zone)) : '—');
const zoneNote = (zone) => h('p', { class: 'muted' }, `Times in ${zone} (UTC${offsetOf(Date.now(), zone)}); hover a time for UTC.`);
const hasRole = (role) => role === 'viewer' || (me && me.operator.roles.includes(role));
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);
const pairName = (r) => (r.backupId ? `${r.pairId ?? 'pair'} (A ${r.primaryId}, B ${r.backupId})` : r.primaryId);

function table(caption, headers, rows, empty = 'None') {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.length ? rows.map((r) => (r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c))))) : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, empty))),
    ),
  );
}

function say(message) {
  $('#status').textContent = message;
}
function problemText(error) {
  const p = error.problem;
  // Field messages the detail already states are not repeated.
  const extra = p && Array.isArray(p.errors) ? p.errors.filter((e) => !error.message.includes(e.message)) : [];
  const fields = extra.length > 0 ? ` (${extra.map((e) => `${e.path}: ${e.message}`).join('; ')})` : '';
  return `${p?.code ? `${p.code}: ` : ''}${error.message}${fields}`;
}
function fail(error) {
  if (error && error.offline) return; // the banner says it
  $('#error').textContent = problemText(error);
}

// ---- connection: one place decides whether the API can be reached --------------------------------------

const connection = { online: true, since: null, probe: null, lastUpdated: null, mode: '' };

/** Marks a button allowed (or not) by the state it acts on; while offline every action is disabled anyway. */
function allow(button, allowed, why) {
  button.dataset.allowed = allowed ? 'true' : 'false';
  button.disabled = !allowed || !connection.online;
  if (why !== undefined) button.title = allowed ? '' : why;
}
function applyConnection() {
  // Every action on the page (and in an open dialog) waits for the API; buttons whose state allows them come back.
  for (const b of document.querySelectorAll('main button, #confirm-ok')) {
    if (!connection.online) {
      if (!b.disabled) b.dataset.offline = 'true';
      b.disabled = true;
    } else if (b.dataset.allowed !== undefined) {
      b.disabled = b.dataset.allowed !== 'true';
      delete b.dataset.offline;
    } else if (b.dataset.offline) {
      b.disabled = false;
      delete b.dataset.offline;
    }
  }
  const banner = $('#offline');
  banner.hidden = connection.online;
  banner.textContent = connection.online ? '' : `Cannot reach the control API since ${formatClock(connection.since, browserZone)}: what you see may be out of date and actions are disabled. Retrying every 2 seconds.`;
  renderLive();
}
function wentOffline() {
  if (!connection.online) return;
  connection.online = false;
  connection.since = new Date().toISOString();
  applyConnection();
  // Recover by itself: probe until the API answers, then refresh what is on screen.
  connection.probe = setInterval(async () => {
    try {
      const res = await fetch('/v1/me', { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
      if (res.status < 500 || res.headers.get('content-type')?.includes('problem+json')) backOnline();
    } catch {
      // still unreachable
    }
  }, 2000);
}
function backOnline() {
  if (connection.online) return;
  connection.online = true;
  clearInterval(connection.probe);
  connection.probe = null;
  applyConnection();
  say(`Connection to the control API restored at ${formatClock(Date.now(), browserZone)}`);
  view?.refresh?.();
}
function updated(mode) {
  connection.lastUpdated = Date.now();
  if (mode) connection.mode = mode;
  renderLive();
}
function renderLive() {
  const el = $('#live');
  if (!me) return void (el.textContent = '');
  const last = connection.lastUpdated ? `last updated ${formatClock(connection.lastUpdated, browserZone).slice(11)}` : 'not updated yet';
  el.textContent = `${connection.online ? connection.mode || 'Up to date' : 'Offline'} · ${last}`;
  el.title = connection.lastUpdated ? formatUtc(connection.lastUpdated) : '';
}

class ApiError extends Error {}

async function api(method, path, body, extra = {}) {
  const headers = { authorization: `Bearer ${token}`, ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // One key per user action: a network retry of the same action replays instead of acting twice.
  if (method === 'POST') headers['idempotency-key'] = newKey();
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    wentOffline();
    throw Object.assign(new ApiError('the control API cannot be reached'), { offline: true });
  }
  // A gateway's 502/503/504 without a problem document: the API behind it is not there.
  if ([502, 503, 504].includes(res.status) && !res.headers.get('content-type')?.includes('problem+json')) {
    wentOffline();
    throw Object.assign(new ApiError(`the control API is unavailable (${res.status})`), { offline: true });
  }
  backOnline();
  if (res.status === 304) return { notModified: true, etag: res.headers.get('etag') };
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new ApiError(data.detail || res.statusText);
    err.problem = data;
    err.status = res.status;
    if (res.status === 401) signOut();
    throw err;
  }
  Object.defineProperty(data, '__etag', { value: res.headers.get('etag'), enumerable: false });
  return data;
}

/** Runs a user action with its button disabled, reporting success or the problem. */
async function act(button, fn, done) {
  $('#error').textContent = '';
  button.disabled = true;
  button.dataset.busy = 'true';
  try {
    const result = await fn();
    if (result === undefined) return undefined; // dismissed
    if (done) say(typeof done === 'function' ? done(result) : done);
    return result;
  } catch (e) {
    fail(e);
  } finally {
    delete button.dataset.busy;
    button.disabled = button.dataset.allowed === 'false' || !connection.online;
  }
}

// ---- confirmation of production-changing actions ---------------------------------------------------------

/**
 * Asks before an action that changes production: names the pair and the consequence. Resolves with
 * `{ reason }` when confirmed, `undefined` when dismissed (Esc, the cancel button).
 */
function confirmAction({ title, body, confirmLabel, reason }) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-body').replaceChildren(...body.map((line) => (line instanceof Node ? line : h('p', {}, line))));
  $('#confirm-problem').textContent = '';
  const ok = $('#confirm-ok');
  ok.textContent = confirmLabel;
  const field = $('#confirm-reason-field');
  const input = $('#confirm-reason');
  field.hidden = !reason;
  input.value = '';
  input.required = Boolean(reason);
  if (reason) $('#confirm-reason-label').textContent = reason;
  allow(ok, true);
  return new Promise((resolve) => {
    const finish = (value) => {
      dialog.removeEventListener('close', onClose);
      $('#confirm-cancel').removeEventListener('click', onCancel);
      $('#confirm-form').removeEventListener('submit', onSubmit);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onClose = () => finish(undefined);
    const onCancel = () => finish(undefined);
    const onSubmit = (event) => {
      event.preventDefault();
      if (reason && !input.value.trim()) {
        $('#confirm-problem').textContent = 'A reason is required: it is recorded in the audit trail.';
        input.focus();
        return;
      }
      finish({ reason: input.value.trim() });
    };
    dialog.addEventListener('close', onClose);
    $('#confirm-cancel').addEventListener('click', onCancel);
    $('#confirm-form').addEventListener('submit', onSubmit);
    dialog.showModal();
    (reason ? input : $('#confirm-cancel')).focus();
  });
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
  view?.stop?.();
  view = null;
  $('#signin').hidden = false;
  $('#who').hidden = true;
  $('#nav').hidden = true;
  renderLive();
  $('#main').replaceChildren(h('p', { class: 'muted' }, 'Sign in with an operator token to see the fleet.'));
}

// ---- views ---------------------------------------------------------------------------------------

function show(title, ...content) {
  const main = $('#main');
  main.replaceChildren(h('h2', { id: 'view-title' }, title), ...content);
  document.title = `${title} — upgrade console`;
  main.focus();
}

/** Polls `path` with If-None-Match every `ms` and calls `onData` only when it changed. */
function poller(path, ms, onData) {
  let etag = null;
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      const data = await api('GET', path, undefined, etag ? { 'if-none-match': etag } : {});
      if (!data.notModified) {
        etag = data.__etag;
        onData(data);
      }
      updated(`Checking every ${ms / 1000} s`);
    } catch (e) {
      fail(e);
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  return {
    start(first) {
      if (first) etag = first.__etag;
      timer = setTimeout(tick, ms);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    now: () => {
      clearTimeout(timer);
      return tick();
    },
  };
}

async function fleetView() {
  const load = () => Promise.all([api('GET', '/v1/appliances'), api('GET', '/v1/pairs')]);
  const pairsBox = h('div', { id: 'fleet-pairs' });
  const appliancesBox = h('div', { id: 'fleet-appliances' });
  const render = ([{ appliances }, { pairs }]) => {
    pairsBox.replaceChildren(
      table('Failover pairs', ['Pair', 'Primary (A)', 'Backup (B)', 'Sync', 'Last sync', ''], pairs.map((p) => [p.pairId, p.primaryId ?? '—', p.backupId ?? '—', badge(p.status), time(p.lastSyncAt, browserZone), h('a', { href: `#/pairs/${encodeURIComponent(p.pairId)}` }, `Open ${p.pairId}`)])),
    );
    appliancesBox.replaceChildren(
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
  };
  render(await load());
  updated('Checking every 5 s');
  show('Fleet', zoneNote(browserZone), pairsBox, appliancesBox);
  let timer = setInterval(async () => {
    try {
      render(await load());
      updated('Checking every 5 s');
    } catch (e) {
      fail(e);
    }
  }, 5000);
  return { stop: () => clearInterval(timer), refresh: async () => render(await load()) };
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
  const result = h('section', { id: 'plan-result', 'aria-label': 'Plan comparison' });
  const compare = h('section', { id: 'package-comparison', 'aria-label': 'Packages compared' });
  const windowsOf = () => [1, 2].map((i) => ({ localStart: $(`#w${i}-start`).value, durationMinutes: Number($(`#w${i}-duration`).value), timeZone: $('#zone').value }));
  const form = h(
    'form',
    { id: 'plan-form', 'aria-label': 'Plan an upgrade' },
    h('div', { class: 'field' }, h('label', { for: 'package' }, 'Package'), h('select', { id: 'package', required: true }, packages.map((p) => h('option', { value: p.packageId }, `${p.name} (${p.kind === 'base' ? 'base software ' : ''}${p.version})`)))),
    h('div', { class: 'field' }, h('label', { for: 'zone' }, 'Time zone'), h('input', { id: 'zone', list: 'zones', value: browserZone, required: true, autocomplete: 'off' }), timeZones()),
    [1, 2].map((i) =>
      h(
        'fieldset',
        {},
        h('legend', {}, `Maintenance window ${i}`),
        h('div', { class: 'field' }, h('label', { for: `w${i}-start` }, `Window ${i} start (local time)`), h('input', { id: `w${i}-start`, type: 'datetime-local', value: localInput(i * 2, 1), required: true })),
        h('div', { class: 'field' }, h('label', { for: `w${i}-duration` }, `Window ${i} duration (minutes)`), h('input', { id: `w${i}-duration`, type: 'number', min: 1, max: 1440, value: 180, required: true })),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Plan upgrade'), h('button', { type: 'button', id: 'compare-packages' }, 'Compare every package')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    await act(button, async () => renderPlan(result, pair, await api('POST', '/v1/plans', { pairId: pair.pairId, packageId: $('#package').value, windows: windowsOf() })), 'Plan ready: option 1 and option 2 side by side below');
  });
  form.querySelector('#compare-packages').addEventListener('click', (event) =>
    act(event.currentTarget, async () => {
      const windows = windowsOf();
      const plans = await Promise.all(packages.map(async (p) => [p, await api('POST', '/v1/plans', { pairId: pair.pairId, packageId: p.packageId, windows }).catch((e) => ({ error: e }))]));
      renderComparison(compare, pair, plans, (plan) => renderPlan(result, pair, plan));
      return plans;
    }, `Compared ${packages.length} packages`),
  );
  show(
    `Pair ${pair.pairId}`,
    zoneNote(browserZone),
    h('p', {}, 'Status ', badge(pair.status), ' · last sync ', time(pair.lastSyncAt, browserZone)),
    table('Appliances', ['Appliance', 'Role', 'Version', 'Base', 'Stored data', 'State'], pair.appliances.map((a) => [a.applianceId, a.failover.role, a.productVersion, a.baseVersion, `${a.storedDataGb} GB`, badge(a.state)])),
    table('Backups', ['Appliance', 'Taken', 'Version'], backups.slice(0, 6).map((b) => [b.applianceId, time(b.createdAt, browserZone), b.productVersion ?? '—']), 'No backups yet'),
    table('Runs', ['Run', 'Option', 'Target', 'Status', 'Created'], runs.map((r) => [h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.runId), r.option, r.targetVersion, badge(r.status), time(r.createdAt, r.windows[0]?.timeZone ?? browserZone)]), 'No runs yet'),
    h('h2', {}, 'Plan an upgrade (dry run)'),
    form,
    compare,
    result,
  );
  return {};
}

function renderComparison(container, pair, plans, open) {
  const rows = plans.map(([p, plan]) => {
    if (plan.error) return [p.name, { colspan: 4, text: problemText(plan.error) }, ''];
    const o = (name) => plan.options.find((x) => x.option === name);
    const cell = (x) => (!x ? '—' : x.blocked ? h('span', {}, badge('blocker', 'blocked')) : `${x.productionDowntimeMinutes} min down`);
    const showButton = h('button', { type: 'button' }, `Show the ${p.name} plan`);
    showButton.addEventListener('click', () => {
      $('#package').value = p.packageId;
      open(plan);
      say(`Showing the plan for ${p.name}`);
    });
    return [p.name, cell(o('option1')), cell(o('option2')), plan.nothingToUpgrade ? plan.nothingToUpgrade : `${plan.recommendation.option ?? 'none'}: ${plan.recommendation.reason}`, plan.risks.filter((r) => r.severity === 'blocker').length, showButton];
  });
  container.replaceChildren(
    table(
      `Every package for ${pair.pairId}, with the same windows`,
      ['Package', 'Option 1', 'Option 2', 'Recommendation', 'Blockers', ''],
      rows.map((r) => (r[1] && r[1].colspan ? h('tr', {}, h('td', {}, r[0]), h('td', { colspan: 5 }, r[1].text)) : r)),
    ),
  );
}

function renderPlan(container, pair, plan) {
  const recommended = plan.recommendation.option;
  if (plan.nothingToUpgrade) {
    container.replaceChildren(h('h2', {}, 'Option 1 vs option 2'), h('p', { id: 'recommendation' }, h('strong', {}, 'Nothing to upgrade: '), plan.nothingToUpgrade.replace(/^nothing to upgrade: /, ''), '. No run is offered.'));
    return plan;
  }
  const cards = plan.options.map((o) =>
    h(
      'article',
      { class: `card${o.option === recommended ? ' recommended' : ''}`, 'aria-label': o.title },
      h('h3', {}, o.title, o.option === recommended ? ' — recommended' : ''),
      h('p', {}, h('strong', {}, `Production downtime: ${o.productionDowntimeMinutes} min`), ` · window work ${o.windowMinutes.map((m, i) => `W${i + 1} ${m} min`).join(', ')}`, o.withoutFailoverMinutes !== undefined ? ` · without failover ${formatMinutes(o.withoutFailoverMinutes)}` : '', o.blocked ? ' · ' : '', o.blocked ? badge('blocker', 'blocked') : ''),
      h('ol', { class: 'steps' }, o.steps.map((s) => h('li', { class: s.productionDown ? 'down' : '' }, `W${s.window}: ${s.description} (${s.estimatedMinutes} min${s.productionDown ? ', production down' : ''})`))),
      o.risks.length ? h('ul', {}, o.risks.map((r) => h('li', {}, badge(r.severity), ' ', r.message))) : h('p', { class: 'muted' }, 'No risks found'),
    ),
  );
  const choice = h(
    'fieldset',
    {},
    h('legend', {}, 'Choose option'),
    plan.options.map((o) => h('div', { class: 'field' }, h('input', { type: 'radio', name: 'option', id: `choose-${o.option}`, value: o.option, checked: o.option === (recommended ?? plan.options.find((x) => !x.blocked)?.option), disabled: o.blocked }), h('label', { for: `choose-${o.option}` }, o.title))),
  );
  const schedule = h('div', { class: 'field' }, h('input', { type: 'checkbox', id: 'auto-start', checked: true }), h('label', { for: 'auto-start' }, 'Start each window automatically at its scheduled time'));
  const create = h('button', { type: 'button', class: 'primary' }, 'Create run');
  allow(create, hasRole('operator') && !plan.options.every((o) => o.blocked), hasRole('operator') ? 'every option is blocked' : 'needs the operator role');
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
    table('Settings backups to download before the install', ['Appliance', 'Version', 'Backup', 'Download'], plan.backups.map((b) => [b.applianceId, b.productVersion, b.backupId ?? `none counts yet: ${b.reason}`, h('code', {}, b.downloadPath)])),
    plan.apiUsers && plan.apiUsers.users.length
      ? [table('API users to prepare for 10.6 (acknowledge on the run)', ['Name', 'Appliance', 'Kind', 'Last call'], plan.apiUsers.users.map((u) => [u.name, u.applianceId, u.kind, [u.lastCall, ' ', time(u.lastCallAt, $('#zone').value)]])), h('ul', {}, plan.apiUsers.checks.map((c) => h('li', {}, c)))]
      : '',
    plan.integrations && plan.integrations.length
      ? table('Integration Clients registered on the pair', ['Name', 'Target', 'Version', 'Reaches the backup after a role swap'], plan.integrations.map((i) => [i.name, i.target, i.version ?? 'unknown', i.reachesBackupAfterSwap ? 'yes' : `no: ${i.reason ?? ''}`]))
      : '',
    plan.stagingRun ? h('p', { id: 'staging-run' }, h('strong', {}, 'Pre-test first: '), plan.stagingRun.reason) : '',
    plan.proceed ? h('p', { id: 'proceed' }, h('strong', {}, 'How to proceed: '), plan.proceed.reason) : '',
    plan.suggestedWindows && plan.suggestedWindows.length
      ? table(`Quietest windows of the next 14 days (${plan.traffic ? `${plan.traffic.sessions} sessions in ${plan.traffic.timeZone}` : 'session history'})`, ['Local start', 'Length', 'Expected sessions', ''], plan.suggestedWindows.map((w) => [time(w.start, w.timeZone), `${w.durationMinutes} min`, w.expectedSessions, useWindow(w)]))
      : '',
  );
  container.replaceChildren(
    h('h2', {}, 'Option 1 vs option 2'),
    h('p', { id: 'recommendation' }, h('strong', {}, 'Recommendation: '), recommended ? `${recommended} — ` : 'none — ', plan.recommendation.reason),
    h('div', { class: 'grid' }, cards),
    preparation,
    choice,
    schedule,
    h('div', { class: 'actions' }, create),
  );
  return plan;
}

// ---- the run page ----------------------------------------------------------------------------------

/** Replaces a section's content only when what it shows changed (no whole-page redraw, focus kept). */
function patch(el, signature, build) {
  const key = JSON.stringify(signature);
  if (el.dataset.sig === key) return;
  el.dataset.sig = key;
  el.replaceChildren(...[build()].flat(Infinity).filter((x) => x !== '' && x !== null && x !== undefined));
}

const STATUS_WORD = { pending: 'pending', running: 'running', succeeded: 'succeeded', failed: 'failed', skipped: 'skipped' };

function outputsList(outputs) {
  if (!outputs.length) return '';
  return h('dl', { class: 'outputs' }, outputs.map((o) => [h('dt', {}, o.label), h('dd', {}, o.value)]));
}

function stepRow(s, zone) {
  const duration = s.durationMinutes === undefined ? '—' : `${formatMinutes(s.durationMinutes)}${s.estimatedMinutes ? ` of ~${formatMinutes(s.estimatedMinutes)}` : ''}`;
  return h(
    'tr',
    { class: s.current ? 'current' : '', 'aria-current': s.current ? 'step' : false, 'data-step': s.index },
    h('td', { class: 'num' }, String(s.index)),
    h('td', {}, s.description, s.applianceId ? h('div', { class: 'muted' }, s.applianceId) : '', s.productionDown ? h('div', {}, badge('warning', 'production down')) : ''),
    h('td', {}, badge(s.status, STATUS_WORD[s.status]), s.current ? h('div', {}, h('strong', {}, 'current step')) : '', s.note ? h('div', { class: 'why' }, s.note) : ''),
    h('td', {}, time(s.startedAt, zone)),
    h('td', {}, duration),
    h('td', {}, outputsList(s.outputs)),
  );
}

async function runView(runId) {
  const path = `/v1/runs/${encodeURIComponent(runId)}`;
  const el = {
    summary: h('div', { id: 'run-summary' }),
    progress: h('div', { id: 'run-progress', class: 'progress', role: 'status', 'aria-live': 'polite' }),
    window1: h('section', { id: 'run-window-1', 'aria-label': 'Window 1' }),
    gate: h('section', { id: 'run-interim', class: 'gate', 'aria-label': 'Interim gate' }),
    window2: h('section', { id: 'run-window-2', 'aria-label': 'Window 2' }),
    traffic: h('section', { id: 'run-traffic', 'aria-label': 'Measured downtime and reconciliation' }),
    warnings: h('div', { id: 'run-warnings' }),
    audit: h('div', { id: 'run-audit' }),
  };
  const buttons = {
    start1: h('button', { type: 'button', class: 'primary', 'data-action': 'start1' }, 'Start window 1'),
    approve: h('button', { type: 'button', class: 'primary', 'aria-describedby': 'approve-why' }, 'Approve interim'),
    override: h('button', { type: 'button' }, 'Override the gate…'),
    start2: h('button', { type: 'button', class: 'primary' }, 'Start window 2'),
    cancel: h('button', { type: 'button', class: 'danger' }, 'Cancel run…'),
    ackApi: h('button', { type: 'button' }, 'Acknowledge API users'),
    ackIc: h('button', { type: 'button' }, 'Override Integration Client order'),
  };
  const approveWhy = h('span', { id: 'approve-why', class: 'why' });
  const comment = h('input', { id: 'approve-comment', maxlength: 500 });
  const ackReason = h('input', { id: 'ack-reason', maxlength: 500 });
  let current = null;
  let zone = browserZone;

  const render = (d) => {
    current = d;
    const r = d.run;
    const p = d.pipeline;
    zone = r.windows[0]?.timeZone ?? browserZone;
    const closed = TERMINAL.has(r.status);
    patch(el.summary, [r.status, r.statusReason, r.updatedAt, zone], () => [
      h('p', {}, 'Status ', h('span', { id: 'run-status' }, badge(r.status)), r.statusReason ? ` — ${r.statusReason}` : ''),
      h('p', {}, `${r.option} · ${r.packageId} → ${r.targetVersion} · ${pairName(r)} · created by ${r.createdBy} at `, time(r.createdAt, zone)),
      zoneNote(zone),
      p.msPerModelledMinute !== 60000 ? h('p', { class: 'muted' }, `Modelled time: 1 min of appliance work takes ${p.msPerModelledMinute} ms here (TIME_SCALE_MS_PER_MINUTE); durations and time left are in modelled minutes.`) : '',
    ]);
    const cur = p.current;
    const running = p.windows.find((w) => w.status === 'running');
    patch(el.progress, [cur, running, closed, r.status], () => {
      if (cur) {
        const step = p.steps[cur.index - 1];
        return [
          h('strong', { id: 'current-step' }, `Step ${cur.index} of ${p.total}: `, step.description),
          ` — ${step.status === 'running' ? `running ${formatMinutes(cur.elapsedMinutes ?? 0)}` : 'starting'}${cur.estimatedMinutes ? ` of ~${formatMinutes(cur.estimatedMinutes)}` : ''}`,
          running ? h('div', {}, `Window ${running.window}: elapsed ${formatMinutes(running.elapsedMinutes)} of ~${formatMinutes(running.estimatedMinutes)} estimated · deadline `, time(running.deadline, running.timeZone), ` · ${formatMinutes(running.minutesLeft)} left`) : '',
        ];
      }
      if (running?.interrupted) return [h('strong', {}, `Window ${running.window} interrupted: `), running.interrupted, '. Resume it (finished steps are not repeated) or cancel the run.'];
      if (r.status === 'interim') return [h('strong', {}, 'Between the windows: '), `${p.steps.filter((s) => s.window === 1 && s.status === 'succeeded').length} of ${p.steps.filter((s) => s.window === 1).length} window-1 steps done; the gate below decides when window 2 may start.`];
      if (closed) return [h('strong', {}, `Run ${r.status}: `), `${p.steps.filter((s) => s.status === 'succeeded').length} of ${p.total} steps succeeded.`];
      return [h('strong', {}, 'Not started: '), `${p.total} steps planned; window 1 is booked at `, time(r.windows[0].start, zone)];
    });
    for (const w of [1, 2]) {
      const box = w === 1 ? el.window1 : el.window2;
      const pw = p.windows.find((x) => x.window === w);
      const schedule = d.schedules.find((x) => x.window === w);
      if (!pw) {
        box.hidden = true;
        continue;
      }
      const steps = p.steps.filter((s) => s.window === w);
      patch(box, [pw, schedule, steps, zone], () => [
        h('h3', {}, `Window ${w} `, badge(pw.status), pw.interrupted ? [' ', badge('failed', 'interrupted')] : ''),
        h('p', {}, 'Booked ', time(pw.start, pw.timeZone), ' – ', time(pw.deadline, pw.timeZone), ` (${pw.durationMinutes} min) · work estimated ~${formatMinutes(pw.estimatedMinutes)}`, pw.elapsedMinutes !== undefined ? ` · elapsed ${formatMinutes(pw.elapsedMinutes)}` : '', pw.minutesLeft !== undefined ? ` · ${formatMinutes(pw.minutesLeft)} left before the deadline` : '', ` · ${pw.steps.done} of ${pw.steps.total} steps done`),
        h('p', {}, 'Schedule: ', scheduleText(schedule, pw.timeZone)),
        table(`Window ${w} steps`, ['#', 'Step', 'Status', 'Started', 'Duration', 'Outputs'], steps.map((s) => stepRow(s, zone))),
      ]);
    }
    el.gate.hidden = !p.gate;
    if (p.gate) renderGate(p.gate, d);
    el.traffic.hidden = !p.downtime && !p.reconciliation;
    patch(el.traffic, [p.downtime, p.reconciliation, zone], () => [
      h('h3', {}, 'Customer-facing downtime and session reconciliation'),
      p.downtime ? table('Measured downtime beside the estimate', ['Window', 'Estimated', 'Measured (longest outage)', 'Measured (total)', 'Failed attempts', 'Measured from – to'], p.downtime.map((x) => [`Window ${x.window}`, formatMinutes(x.estimatedMinutes) === '<1 min' && x.estimatedMinutes === 0 ? '0 min' : formatMinutes(x.estimatedMinutes), `${x.longestOutageMinutes} min`, `${x.totalOutageMinutes} min`, `${x.failures} of ${x.attempts}`, [time(x.from, zone), ' – ', time(x.to, zone)]])) : '',
      p.reconciliation
        ? table(`Sessions reconciled at ${formatClock(p.reconciliation.at, zone)} on ${p.reconciliation.primaryId}`, ['Completed', 'Present', 'Missing', 'Duplicated', 'Renumbered', 'Held by'], [[p.reconciliation.completed, p.reconciliation.present, p.reconciliation.missing ? badge('failed', String(p.reconciliation.missing)) : '0', p.reconciliation.duplicated, p.reconciliation.renumbered, Object.entries(p.reconciliation.byAppliance).map(([id, n]) => `${id}: ${n}`).join(', ')]])
        : '',
    ]);
    const acks = r.acknowledgements || {};
    patch(el.warnings, [d.notice, d.warnings, acks, r.installBackups], () => [
      d.notice ? h('p', { id: 'run-notice' }, h('strong', {}, 'Note: '), d.notice) : '',
      d.warnings && d.warnings.length ? h('ul', { 'aria-label': 'Warnings' }, d.warnings.map((w) => h('li', {}, badge('warning'), ' ', w.message))) : '',
      acks.apiUsers ? h('p', {}, `API users acknowledged by ${acks.apiUsers.by}: ${acks.apiUsers.reason}`) : '',
      acks.integrationClients ? h('p', {}, `Integration Client order overridden by ${acks.integrationClients.by}: ${acks.integrationClients.reason}`) : '',
      r.installBackups && r.installBackups.length ? table('Backups the installs relied on', ['Window', 'Appliance', 'Version', 'Backup', 'Download'], r.installBackups.map((b) => [b.window, b.applianceId, b.productVersion, h('span', { class: 'id' }, b.backupId), h('code', {}, b.downloadPath)])) : '',
    ]);
    patch(el.audit, [d.audit.length, zone], () => table('Audit trail', ['At', 'Step', 'Outcome', 'Actor', 'Detail'], d.audit.map((e) => [time(e.at, zone), e.step, badge(e.outcome), e.actor, e.detail ?? ''])));

    // An interrupted window (its execution ended without reporting) is resumed by starting it again.
    const interrupted = (i) => Boolean(r.windows[i - 1]?.interrupted);
    allow(buttons.start1, hasRole('operator') && (r.status === 'scheduled' || (r.status === 'window1-running' && interrupted(1))), hasRole('operator') ? 'window 1 is not waiting to start' : 'needs the operator role');
    buttons.start1.textContent = interrupted(1) ? 'Resume window 1…' : 'Start window 1…';
    allow(buttons.start2, hasRole('operator') && r.option !== 'single' && (r.status === 'interim' || (r.status === 'window2-running' && interrupted(2))), hasRole('operator') ? 'window 2 starts after window 1 and the gate' : 'needs the operator role');
    buttons.start2.textContent = interrupted(2) ? 'Resume window 2…' : 'Start window 2…';
    allow(buttons.cancel, hasRole('operator') && !closed, closed ? 'the run is closed' : 'needs the operator role');
    allow(buttons.ackApi, hasRole('operator') && !closed);
    allow(buttons.ackIc, hasRole('operator') && !closed);
    buttons.start2.hidden = buttons.approve.hidden = buttons.override.hidden = r.option === 'single';
    if (closed) comment.disabled = true;
  };

  function scheduleText(s, zoneOfWindow) {
    if (!s) return 'started by hand (no schedule)';
    if (s.supersededBy) return [badge('replaced'), ` replaced: started by ${s.supersededBy.by} at `, time(s.supersededBy.at, zoneOfWindow), ' instead of waiting for its start'];
    return [badge(s.status), ' ', s.status === 'pending' ? ['starts by itself at ', time(s.fireAt, zoneOfWindow)] : s.outcome ?? ''];
  }

  function renderGate(g, d) {
    const r = d.run;
    patch(el.gate, [g, zone, me?.forbidSelfApproval], () => [
      h('h3', {}, 'Interim gate ', badge(g.state, g.state.replace(/-/g, ' '))),
      h('p', {}, `Run created by ${g.startedBy}`, g.window1StartedBy ? `; window 1 started by ${g.window1StartedBy}` : '', me?.forbidSelfApproval ? `. Four eyes: ${g.startedBy} cannot approve or override it.` : '.'),
      g.checks
        ? table(`Automated interim checks at ${formatClock(g.checks.checkedAt, zone)}`, ['Check', 'Result', 'Detail'], g.checks.results.map((c) => [c.name, badge(c.passed ? 'passed' : 'failed', c.passed ? 'passed' : 'failed'), c.detail]))
        : h('p', {}, badge('pending'), ' The automated interim checks run when window 1 ends.'),
      g.approval ? h('p', { id: 'approval' }, h('strong', {}, 'Approved by '), g.approval.by, ' at ', time(g.approval.at, zone), g.approval.comment ? h('span', { id: 'approval-comment' }, ` — “${g.approval.comment}”`) : '') : '',
      g.override ? h('p', { id: 'override' }, h('strong', {}, 'Overridden by '), g.override.by, ' at ', time(g.override.at, zone), `: ${g.override.reason}`) : '',
      g.waitingFor.length ? h('p', {}, h('strong', {}, 'Window 2 waits for: '), g.waitingFor.join('; ')) : '',
    ]);
    // Approve is offered only once the checks passed. Shown as unavailable otherwise (aria-disabled keeps it
    // focusable with its reason); activating it still asks the API, which is the authority and says why not.
    const allowed = hasRole('approver') && g.approveAllowed;
    buttons.approve.setAttribute('aria-disabled', allowed ? 'false' : 'true');
    buttons.approve.dataset.allowed = String(hasRole('approver') && r.status !== 'succeeded' && r.status !== 'failed' && r.status !== 'cancelled' && !g.approval && !g.override);
    buttons.approve.disabled = buttons.approve.dataset.allowed !== 'true' || !connection.online;
    approveWhy.textContent = allowed ? '' : !hasRole('approver') ? 'needs the approver role' : g.approval ? `approved by ${g.approval.by}` : g.state === 'checks-failed' ? 'the checks failed: only an override with a reason opens the gate' : g.state === 'overridden' ? 'the gate was overridden' : 'available once the interim checks passed';
    allow(buttons.override, hasRole('approver') && g.overrideAllowed, hasRole('approver') ? 'the run is not waiting in the interim' : 'needs the approver role');
  }

  const post = (button, action, body, message) =>
    act(button, async () => {
      const result = await api('POST', `${path}${action}`, body);
      await live.now();
      return result;
    }, message);

  const windowStartText = (w) => {
    const r = current.run;
    const p = current.pipeline;
    const pw = p.windows.find((x) => x.window === w);
    const schedule = current.schedules.find((x) => x.window === w);
    const now = Date.now();
    const resume = Boolean(r.windows[w - 1]?.interrupted);
    const lines = [];
    if (resume) lines.push(`Resume window ${w} of run ${r.runId} on ${pairName(r)}: the steps it finished are not repeated.`);
    else if (schedule?.status === 'pending' && now < Date.parse(schedule.fireAt)) lines.push(h('p', {}, `Start window ${w} of run ${r.runId} on ${pairName(r)} now, early: it is scheduled at `, time(schedule.fireAt, pw.timeZone), '. This replaces the scheduled window at that time (the schedule is marked replaced, not failed).'));
    else if (now > Date.parse(pw.deadline)) lines.push(h('p', {}, `Start window ${w} of run ${r.runId} on ${pairName(r)} outside its schedule: its booked window ended at `, time(pw.deadline, pw.timeZone), '.'));
    else if (now < Date.parse(pw.start)) lines.push(h('p', {}, `Start window ${w} of run ${r.runId} on ${pairName(r)} now, before its booked start at `, time(pw.start, pw.timeZone), ' (it has no schedule).'));
    else lines.push(h('p', {}, `Start window ${w} of run ${r.runId} on ${pairName(r)} now, inside its booked window (deadline `, time(pw.deadline, pw.timeZone), ').'));
    const changes = p.steps.filter((s) => s.window === w && (s.action === 'install' || s.action === 'dns-switch' || s.action === 'break-failover' || s.action === 'reestablish-failover'));
    lines.push(h('p', {}, 'What it changes in production:'), h('ul', {}, changes.map((s) => h('li', {}, s.description, s.productionDown ? ` — production down for about ${s.estimatedMinutes} min` : ''))));
    return lines;
  };

  const startWindow = (w) =>
    act(w === 1 ? buttons.start1 : buttons.start2, async () => {
      const resume = Boolean(current.run.windows[w - 1]?.interrupted);
      const ok = await confirmAction({ title: `${resume ? 'Resume' : 'Start'} window ${w}?`, body: windowStartText(w), confirmLabel: `${resume ? 'Resume' : 'Start'} window ${w} now` });
      if (!ok) return undefined;
      const result = await api('POST', `${path}/windows/${w}/start`);
      await live.now();
      return result;
    }, `Window ${w} started`);
  buttons.start1.addEventListener('click', () => startWindow(1));
  buttons.start2.addEventListener('click', () => startWindow(2));
  buttons.approve.addEventListener('click', () => post(buttons.approve, '/approve', { comment: comment.value || undefined }, 'Interim approved'));
  buttons.override.addEventListener('click', () =>
    act(buttons.override, async () => {
      const r = current.run;
      const g = current.pipeline.gate;
      const failed = g.checks ? g.checks.results.filter((c) => !c.passed) : [];
      const w2 = current.pipeline.steps.filter((s) => s.window === 2 && (s.action === 'install' || s.action === 'reestablish-failover'));
      const ok = await confirmAction({
        title: 'Override the interim gate?',
        body: [
          `Open the gate of run ${r.runId} on ${pairName(r)} ${failed.length ? `although the interim checks failed (${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')})` : g.checks ? 'without an approval' : 'before the interim checks finished'}.`,
          `Window 2 may then start: ${w2.map((s) => s.description).join('; ')}.`,
          'The override and its reason are recorded in the audit trail with your name.',
        ],
        confirmLabel: 'Override and open the gate',
        reason: 'Reason for the override',
      });
      if (!ok) return undefined;
      const result = await api('POST', `${path}/override`, { reason: ok.reason });
      await live.now();
      return result;
    }, 'Gate overridden: window 2 may start'),
  );
  buttons.cancel.addEventListener('click', () =>
    act(buttons.cancel, async () => {
      const r = current.run;
      const runningStep = current.pipeline.steps.find((s) => s.current);
      const ok = await confirmAction({
        title: `Cancel run ${r.runId}?`,
        body: [
          `Cancel the ${r.option} upgrade of ${pairName(r)} to ${r.targetVersion}. Pending windows are unscheduled.`,
          runningStep
            ? `Window ${runningStep.window} is running (step ${runningStep.index}: ${runningStep.description}): it stops at its next step${runningStep.action === 'install' ? '; an install cannot be stopped, so it finishes first and the run stops right after it' : ''}, then the failure handler restores a safe state.`
            : 'No window is running: nothing more will be installed or changed.',
          'The cancel cannot be undone: a new run is needed to continue.',
        ],
        confirmLabel: 'Cancel the run',
        reason: 'Reason for the cancel',
      });
      if (!ok) return undefined;
      const result = await api('POST', `${path}/cancel`, { reason: ok.reason });
      await live.now();
      return result;
    }, (result) => result.notice || (TERMINAL.has(result.run.status) ? 'Run cancelled' : 'Cancel recorded: the window stops at its next step')),
  );
  buttons.ackApi.addEventListener('click', () => post(buttons.ackApi, '/acknowledge', { subject: 'api-users', reason: ackReason.value }, 'API users acknowledged'));
  buttons.ackIc.addEventListener('click', () => post(buttons.ackIc, '/acknowledge', { subject: 'integration-clients', reason: ackReason.value }, 'Integration Client order overridden'));

  const first = await api('GET', path);
  show(
    `Run ${runId}`,
    el.summary,
    el.progress,
    h(
      'section',
      { 'aria-label': 'Run actions', class: 'actions-box' },
      h('div', { class: 'actions' }, buttons.start1, buttons.start2, buttons.cancel),
      h('div', { class: 'actions' }, h('label', { for: 'approve-comment' }, 'Approval comment'), comment, buttons.approve, approveWhy, buttons.override),
      h('div', { class: 'actions' }, h('label', { for: 'ack-reason' }, 'Acknowledgement reason (10.6: API users prepared, or why an older Integration Client may stay)'), ackReason, buttons.ackApi, buttons.ackIc),
    ),
    el.window1,
    el.gate,
    el.window2,
    el.traffic,
    el.warnings,
    el.audit,
  );
  render(first);
  const live = follow(path, first, render);
  return { stop: () => live.stop(), refresh: () => live.now() };
}

/**
 * Live state of one run: the run's server-sent events over a streaming fetch (carrying the bearer token);
 * `fallback` (a buffered deployment) or a stream that cannot be opened switches to ETag polling every second.
 */
function follow(path, first, onDetail) {
  let controller = null;
  let stopped = false;
  let polling = null;
  let lastId = first.__etag || null;
  const poll = () => {
    if (polling || stopped) return;
    polling = poller(path, 1000, (d) => {
      lastId = d.__etag;
      onDetail(d);
    });
    polling.start(first.__etag ? { __etag: lastId } : undefined);
    updated('Checking every second');
  };
  const stream = async () => {
    if (stopped) return;
    controller = new AbortController();
    let res;
    try {
      res = await fetch(`${path}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }, signal: controller.signal, cache: 'no-store' });
    } catch {
      if (stopped) return;
      wentOffline();
      return retryLater();
    }
    if (!res.ok || !res.body || !res.headers.get('content-type')?.includes('text/event-stream')) return poll();
    backOnline();
    updated('Live');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let fellBack = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          let id = null;
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const at = line.indexOf(':');
            const field = at < 0 ? line : line.slice(0, at);
            const text = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
            if (field === 'event') event = text;
            else if (field === 'id') id = text;
            else if (field === 'data') data.push(text);
          }
          if (event === 'run' && data.length) {
            const detail = JSON.parse(data.join('\n'));
            lastId = id;
            Object.defineProperty(detail, '__etag', { value: id, enumerable: false });
            onDetail(detail);
          }
          if (event === 'fallback') fellBack = true;
          updated('Live');
        }
      }
    } catch {
      if (stopped) return;
      // The connection broke (server stopped, network gone): say so, and come back when it answers.
      wentOffline();
      return retryLater();
    }
    if (stopped) return;
    if (fellBack) return poll();
    // The server ended the stream (it lasts minutes): open the next one.
    return stream();
  };
  const retryLater = () => {
    const wait = setInterval(() => {
      if (stopped) return clearInterval(wait);
      if (connection.online) {
        clearInterval(wait);
        stream();
      }
    }, 500);
  };
  stream();
  return {
    stop() {
      stopped = true;
      controller?.abort();
      polling?.stop();
    },
    async now() {
      // After an action: read at once rather than wait for the next event.
      const d = await api('GET', path);
      lastId = d.__etag;
      onDetail(d);
      updated();
    },
  };
}

async function runsView() {
  const { runs } = await api('GET', '/v1/runs?limit=100');
  show(
    'Runs',
    h('p', { class: 'muted' }, 'Each run\'s times are in its window\'s time zone; hover a time for UTC.'),
    table('Runs, newest first', ['Run', 'Option', 'Target', 'Appliances', 'Status', 'Created by', 'Created'], runs.map((r) => [h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.runId), r.option, r.targetVersion, [r.primaryId, r.backupId].filter(Boolean).join(' / '), badge(r.status), r.createdBy, time(r.createdAt, r.windows[0]?.timeZone ?? browserZone)]), 'No runs yet'),
  );
  updated('Loaded');
  return {};
}

async function schedulesView() {
  const { schedules } = await api('GET', '/v1/schedules?limit=100');
  show(
    'Schedules',
    h('p', { class: 'muted' }, 'Maintenance windows that start by themselves, soonest first, each in its own time zone (hover for UTC). A window started by hand replaces its schedule.'),
    table('Upcoming maintenance windows', ['Run', 'Window', 'Starts', 'Ends', 'Zone', 'Status'], schedules.map((s) => [h('a', { href: `#/runs/${encodeURIComponent(s.runId)}` }, s.runId), `Window ${s.window}`, time(s.fireAt, s.timeZone), time(s.endsAt, s.timeZone), s.timeZone, badge(s.status)]), 'Nothing scheduled'),
  );
  updated('Loaded');
  return {};
}

// ---- campaigns --------------------------------------------------------------------------------------

async function campaignsView() {
  const [{ campaigns }, { packages }, { appliances }, { pairs }] = await Promise.all([api('GET', '/v1/campaigns'), api('GET', '/v1/packages'), api('GET', '/v1/appliances'), api('GET', '/v1/pairs')]);
  const singles = appliances.filter((a) => !a.failover.pairId && !a.staging);
  const staging = appliances.filter((a) => a.staging);
  const form = h(
    'form',
    { id: 'campaign-form', 'aria-label': 'New campaign' },
    h('div', { class: 'field' }, h('label', { for: 'c-package' }, 'Package'), h('select', { id: 'c-package', required: true }, packages.map((p) => h('option', { value: p.packageId }, `${p.name} (${p.version})`)))),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Targets'),
      pairs.map((p) => h('div', { class: 'field' }, h('input', { type: 'checkbox', id: `c-pair-${p.pairId}`, name: 'pair', value: p.pairId }), h('label', { for: `c-pair-${p.pairId}` }, `Pair ${p.pairId} (${p.primaryId} / ${p.backupId})`))),
      singles.map((a) => h('div', { class: 'field' }, h('input', { type: 'checkbox', id: `c-app-${a.applianceId}`, name: 'appliance', value: a.applianceId }), h('label', { for: `c-app-${a.applianceId}` }, `Appliance ${a.applianceId} (${a.productVersion})`))),
    ),
    h('div', { class: 'field' }, h('label', { for: 'c-option' }, 'Pair option'), h('select', { id: 'c-option' }, h('option', { value: 'option2' }, 'Option 2: swap roles'), h('option', { value: 'option1' }, 'Option 1: production first'))),
    h('div', { class: 'field' }, h('label', { for: 'c-concurrency' }, 'Runs at a time'), h('input', { id: 'c-concurrency', type: 'number', min: 1, max: 100, value: 2, required: true })),
    h('div', { class: 'field' }, h('label', { for: 'c-wave' }, 'Targets per wave'), h('input', { id: 'c-wave', type: 'number', min: 1, max: 1000, value: 5, required: true })),
    h('div', { class: 'field' }, h('label', { for: 'c-canary' }, 'Canary (staging appliance)'), h('select', { id: 'c-canary' }, h('option', { value: '' }, 'the first free staging appliance'), staging.map((a) => h('option', { value: a.applianceId }, `${a.applianceId} (${a.productVersion})`)))),
    h('div', { class: 'field' }, h('label', { for: 'c-window' }, 'Window length (minutes)'), h('input', { id: 'c-window', type: 'number', min: 1, max: 1440, value: 240, required: true })),
    h('div', { class: 'field' }, h('label', { for: 'c-zone' }, 'Time zone'), h('input', { id: 'c-zone', list: 'zones', value: browserZone, required: true, autocomplete: 'off' }), timeZones()),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create campaign')),
  );
  const submit = form.querySelector('button[type=submit]');
  allow(submit, hasRole('operator'), 'needs the operator role');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(submit, async () => {
      const checked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((x) => x.value);
      const body = {
        packageId: $('#c-package').value,
        pairIds: checked('pair'),
        applianceIds: checked('appliance'),
        option: $('#c-option').value,
        concurrency: Number($('#c-concurrency').value),
        waveSize: Number($('#c-wave').value),
        windowMinutes: Number($('#c-window').value),
        timeZone: $('#c-zone').value,
        ...($('#c-canary').value ? { canaryApplianceId: $('#c-canary').value } : {}),
      };
      const { campaign } = await api('POST', '/v1/campaigns', body);
      location.hash = `#/campaigns/${encodeURIComponent(campaign.campaignId)}`;
      return campaign;
    }, (c) => `Campaign ${c.campaignId} created: an approver starts it`);
  });
  show(
    'Campaigns',
    table('Campaigns, newest first', ['Campaign', 'Package', 'Status', 'Progress', 'Created by', 'Started by', 'Reason'], campaigns.map((c) => {
      const ok = c.targets.filter((t) => t.status === 'succeeded').length;
      return [h('a', { href: `#/campaigns/${encodeURIComponent(c.campaignId)}` }, c.campaignId), c.targetVersion, badge(c.status), `${ok}/${c.targets.length} (canary + ${c.targets.length - 1})`, c.createdBy, c.startedBy ?? '—', c.statusReason ?? ''];
    }), 'No campaigns yet'),
    h('h2', {}, 'New campaign'),
    h('p', { class: 'muted' }, 'Every target is planned first; the canary (a staging appliance) runs alone, then the waves, at most the given number of runs at a time. The first failure halts the campaign.'),
    form,
  );
  updated('Loaded');
  return {};
}

async function campaignView(campaignId) {
  const path = `/v1/campaigns/${encodeURIComponent(campaignId)}`;
  const summary = h('div', { id: 'campaign-summary' });
  const waves = h('div', { id: 'campaign-waves' });
  const buttons = {
    start: h('button', { type: 'button', class: 'primary' }, 'Approve and start…'),
    halt: h('button', { type: 'button' }, 'Halt…'),
    cancel: h('button', { type: 'button', class: 'danger' }, 'Cancel campaign…'),
  };
  let current = null;
  const render = ({ campaign: c }) => {
    current = c;
    const zone = c.timeZone || browserZone;
    const open = ['created', 'canary', 'rolling'].includes(c.status);
    patch(summary, [c.status, c.statusReason, c.updatedAt], () => [
      h('p', {}, 'Status ', h('span', { id: 'campaign-status' }, badge(c.status)), c.statusReason ? ` — ${c.statusReason}` : ''),
      h('p', {}, `${c.packageId} → ${c.targetVersion} · ${c.option} for pairs · ${c.concurrency} run(s) at a time · waves of ${c.waveSize} · ${c.windowMinutes}-min windows · created by ${c.createdBy}`, c.startedBy ? ` · started by ${c.startedBy}` : ''),
      zoneNote(zone),
    ]);
    const byWave = new Map();
    for (const t of c.targets) byWave.set(t.wave, [...(byWave.get(t.wave) ?? []), t]);
    patch(waves, [c.targets], () =>
      [...byWave.entries()].map(([wave, targets]) =>
        table(wave === 0 ? 'Canary (staging)' : `Wave ${wave}`, ['Target', 'Kind', 'Option', 'Status', 'Run', 'Error'], targets.map((t) => [t.targetId, t.kind, t.option, badge(t.status), t.runId ? h('a', { href: `#/runs/${encodeURIComponent(t.runId)}` }, t.runId) : '—', t.error ?? ''])),
      ),
    );
    allow(buttons.start, hasRole('approver') && c.status === 'created', 'only a created campaign starts, by an approver');
    allow(buttons.halt, hasRole('operator') && open, 'only a running campaign can be halted');
    allow(buttons.cancel, hasRole('operator') && c.status !== 'succeeded' && c.status !== 'cancelled', 'the campaign is closed');
  };
  const names = (c) => c.targets.filter((t) => t.wave > 0).map((t) => t.targetId).join(', ');
  const ask = (button, title, body, confirmLabel, reason, action, done) =>
    button.addEventListener('click', () =>
      act(button, async () => {
        const ok = await confirmAction({ title, body: body(current), confirmLabel, reason });
        if (!ok) return undefined;
        const result = await api('POST', `${path}${action}`, reason ? { reason: ok.reason } : undefined);
        render(result);
        return result;
      }, done),
    );
  ask(buttons.start, 'Start the campaign?', (c) => [`Approve and start campaign ${c.campaignId}: ${c.packageId} on the canary ${c.targets[0].targetId}, then ${names(c)} in ${Math.max(...c.targets.map((t) => t.wave))} wave(s), ${c.concurrency} at a time.`, 'Your approval also signs off each run\'s interim once its checks pass.'], 'Start the campaign', undefined, '/start', 'Campaign started');
  ask(buttons.halt, 'Halt the campaign?', (c) => [`Halt campaign ${c.campaignId}: no new run starts; pending targets (${c.targets.filter((t) => t.status === 'pending').map((t) => t.targetId).join(', ') || 'none'}) are skipped.`, 'Runs in flight finish and are recorded.'], 'Halt the campaign', 'Reason for the halt', '/halt', 'Campaign halted');
  ask(buttons.cancel, 'Cancel the campaign?', (c) => [`Cancel campaign ${c.campaignId}: no new run starts and runs in flight (${c.targets.filter((t) => t.status === 'running').map((t) => t.targetId).join(', ') || 'none'}) are cancelled between steps; each restores a safe state.`], 'Cancel the campaign', 'Reason for the cancel', '/cancel', 'Campaign cancelled');
  const first = await api('GET', path);
  show(`Campaign ${campaignId}`, summary, h('div', { class: 'actions' }, buttons.start, buttons.halt, buttons.cancel), waves);
  render(first);
  updated('Checking every second');
  const p = poller(path, 1000, render);
  p.start(first);
  return { stop: () => p.stop(), refresh: () => p.now() };
}

async function route() {
  if (!me) return;
  view?.stop?.();
  view = null;
  const [, name, id] = (location.hash || '#/fleet').split('/');
  const key = id ? decodeURIComponent(id) : undefined;
  for (const b of document.querySelectorAll('#nav button')) b.setAttribute('aria-current', b.dataset.view === name || (name === 'pairs' && b.dataset.view === 'fleet') ? 'page' : 'false');
  $('#error').textContent = '';
  try {
    if (name === 'pairs' && key) view = await pairView(key);
    else if (name === 'runs' && key) view = await runView(key);
    else if (name === 'runs') view = await runsView();
    else if (name === 'campaigns' && key) view = await campaignView(key);
    else if (name === 'campaigns') view = await campaignsView();
    else if (name === 'schedules') view = await schedulesView();
    else view = await fleetView();
    if (!view.refresh) view.refresh = route;
  } catch (e) {
    fail(e);
    // Offline while navigating: the view loads once the API answers again.
    if (e.offline) view = { refresh: route };
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
