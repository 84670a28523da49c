/**
 * `npm run cli -- <command>`: scripted use of the control API (plan, run, start, approve, override, cancel, status)
 * with progress output. Talks HTTP only, so it works against `npm start` and a deployed stack alike.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatClock, formatMinutes } from '../api/console/assets/clock.js';

export interface CliIo {
  fetch: typeof fetch;
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  sleep: (ms: number) => Promise<void>;
}

const COMMON = 'common: --url <base URL> (or UPGRADE_CP_URL)  --token <operator token> (or UPGRADE_CP_TOKEN)  --json  --idempotency-key <key>  --help';

/** Each command's usage: `upgrade-cp <command> --help` prints its own entry. */
const COMMANDS: Record<string, string> = {
  plan: `plan    --pair <id> | --appliance <id>  --package <id> [--window-minutes 180,180]
          [--tz <IANA zone> --window1 <YYYY-MM-DDTHH:mm> [--window2 <...>] [--duration <min>]]
          dry run: option 1 and option 2 side by side; exit 3 when no option can run`,
  run: `run     --pair <id> | --appliance <id>  --package <id> --option single|option1|option2
          --tz <IANA zone> --window1 <YYYY-MM-DDTHH:mm> [--window2 <...>] [--duration <min>] [--no-schedule]`,
  start: `start   <runId> --window 1|2 [--wait]   (--wait follows the steps until the window ends)`,
  approve: `approve <runId> [--comment <text>]   (accepted once the interim checks passed)`,
  acknowledge: `acknowledge <runId> --subject api-users|integration-clients --reason <text>
          (API users prepared for 10.6, or start although an Integration Client is older; audited)`,
  override: `override <runId> --reason <text>   (opens the interim gate despite failing checks; approver, audited)`,
  cancel: `cancel  <runId> --reason <text>`,
  status: `status  <runId> [--watch]   (--watch follows the run until it closes)`,
  runs: `runs    [--limit <n>] [--cursor <c>]   (newest first)`,
  schedules: `schedules [--limit <n>] [--cursor <c>]   (maintenance windows that start by themselves, soonest first)`,
  campaigns: `campaigns   (newest first)`,
  campaign: `campaign <campaignId>   (targets by wave, with their runs)`,
  appliances: `appliances`,
  pairs: `pairs`,
  packages: `packages`,
};

const EXIT_CODES = `exit codes: 0 done · 1 the API refused (its problem is printed) · 2 usage error · 3 plan: no option can run
            4 the control API cannot be reached · 5 the followed run ended failed or cancelled`;

const USAGE = `usage: upgrade-cp <command> [options]   (env: UPGRADE_CP_URL, UPGRADE_CP_TOKEN)

${Object.values(COMMANDS).map((u) => `  ${u}`).join('\n')}

${COMMON}
${EXIT_CODES}
times: in the run's (or --tz) time zone with its offset; JSON keeps the API's UTC instants`;

const commandUsage = (name: string) => `usage: upgrade-cp ${COMMANDS[name]}\n\n${COMMON}\n${EXIT_CODES}`;

/** The closest known name within two edits (or that the input starts), for "did you mean". */
export function closest(input: string, names: string[]): string | undefined {
  const distance = (x: string, y: string) => {
    const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
    for (let j = 1; j <= y.length; j++) d[0]![j] = j;
    for (let i = 1; i <= x.length; i++)
      for (let j = 1; j <= y.length; j++) {
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      // A swap of two neighbours ("stauts") is one edit.
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
    return d[x.length]![y.length]!;
  };
  const ranked = names.map((n) => ({ n, d: n.startsWith(input) && input.length >= 2 ? 0.5 : distance(input, n) })).sort((p, q) => p.d - q.d);
  return ranked[0] && ranked[0].d <= 2 ? ranked[0].n : undefined;
}

class UsageError extends Error {
  constructor(message: string, readonly usage = USAGE) {
    super(message);
  }
}
class Unreachable extends Error {}
class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Record<string, unknown>) {
    super(String(problem.detail ?? `HTTP ${status}`));
  }
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  pair: { type: 'string' },
  appliance: { type: 'string' },
  package: { type: 'string' },
  option: { type: 'string' },
  tz: { type: 'string' },
  window1: { type: 'string' },
  window2: { type: 'string' },
  duration: { type: 'string', default: '180' },
  'window-minutes': { type: 'string' },
  'no-schedule': { type: 'boolean', default: false },
  window: { type: 'string' },
  wait: { type: 'boolean', default: false },
  watch: { type: 'boolean', default: false },
  comment: { type: 'string' },
  reason: { type: 'string' },
  subject: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  'idempotency-key': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Left-aligned columns, two spaces apart (the last column is not padded). */
function columns(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}
const hours = (minutes: number) => (minutes >= 120 ? `${Math.round(minutes / 6) / 10} h` : `${minutes} min`);

interface RunDetail {
  run: { status: string; statusReason?: string; windows: { timeZone: string }[] };
  audit: { at: string; step: string; outcome: string; actor: string; detail?: string }[];
  pipeline?: { total: number; steps: { description: string; status: string }[]; current?: { index: number; label: string; elapsedMinutes?: number; estimatedMinutes: number } };
}
interface Campaign {
  campaignId: string;
  packageId: string;
  targetVersion: string;
  status: string;
  statusReason?: string;
  createdBy: string;
  targets: { targetId: string; kind: string; option?: string; wave: number; status: string; runId?: string; error?: string }[];
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    const error = e as Error & { code?: string };
    const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-{1,2}[^']+)'/.exec(error.message)?.[1] : undefined;
    const guess = unknown ? closest(unknown.replace(/^-+/, ''), Object.keys(OPTIONS)) : undefined;
    const command = argv.find((x) => !x.startsWith('-'));
    io.err(`error: ${unknown ? `unknown option ${unknown}` : error.message}${guess ? ` (did you mean --${guess}?)` : ''}\n${command && COMMANDS[command] ? commandUsage(command) : USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [command, runId] = positionals;
  if (!command) {
    (o.help ? io.out : io.err)(USAGE);
    return o.help ? 0 : 2;
  }
  if (!COMMANDS[command]) {
    const guess = closest(command, Object.keys(COMMANDS));
    io.err(`error: unknown command "${command}"${guess ? ` (did you mean "${guess}"?)` : ''}\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    io.out(commandUsage(command));
    return 0;
  }
  const base = (o.url ?? io.env.UPGRADE_CP_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const token = o.token ?? io.env.UPGRADE_CP_TOKEN;

  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST') headers['idempotency-key'] = o['idempotency-key'] ?? randomUUID();
    // One retry on a network error, with the same Idempotency-Key: the server replays instead of acting twice.
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await io.fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        if (attempt === 0) continue;
        throw new Unreachable(`cannot reach the control API at ${base}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
      }
      const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      // A gateway's answer without a problem document: the API behind it is not there.
      if ([502, 503, 504].includes(res.status) && !res.headers.get('content-type')?.includes('problem+json')) throw new Unreachable(`the control API at ${base} is unavailable (${res.status})`);
      if (!res.ok) throw new ApiError(res.status, data);
      return data;
    }
  };
  const print = (data: unknown, text: () => string[]) => {
    if (o.json) io.out(JSON.stringify(data, null, 2));
    else for (const line of text()) io.out(line);
  };
  const target = () => {
    if (Boolean(o.pair) === Boolean(o.appliance)) throw new UsageError('give exactly one of --pair or --appliance');
    if (!o.package) throw new UsageError('--package is required');
    return o.pair ? { pairId: o.pair } : { applianceId: o.appliance };
  };
  const needRun = () => {
    if (!runId) throw new UsageError(`${command} needs a ${command === 'campaign' ? 'campaign' : 'run'} id`, commandUsage(command));
    return encodeURIComponent(runId);
  };

  /**
   * Polls the run, printing status changes, audit events after the first `seen`, and the current step with
   * its elapsed and estimated time (again every ~10 s while a long step runs), until `until` holds.
   */
  const follow = async (id: string, until: (status: string) => boolean, seen = 0) => {
    // With --json, stdout carries only the final document; the progress goes to stderr.
    const progress = o.json ? io.err : io.out;
    let last = '';
    let lastStep = '';
    let polls = 0;
    for (;;) {
      const d = (await call('GET', `/v1/runs/${id}`)) as unknown as RunDetail;
      const zone = d.run.windows[0]?.timeZone;
      for (const e of d.audit.slice(seen)) progress(`  ${formatClock(e.at, zone)}  ${e.step.padEnd(18)} ${e.outcome.padEnd(9)} ${e.actor}${e.detail ? `  ${e.detail}` : ''}`);
      seen = d.audit.length;
      if (d.run.status !== last) progress(`status: ${d.run.status}${d.run.statusReason ? ` (${d.run.statusReason})` : ''}`);
      last = d.run.status;
      const cur = d.pipeline?.current;
      if (cur) {
        const key = `${cur.index}`;
        if (key !== lastStep || polls % 10 === 0) {
          const step = d.pipeline!.steps[cur.index - 1];
          progress(`  step ${cur.index}/${d.pipeline!.total}: ${step?.description ?? cur.label}${step?.status === 'running' ? ` — ${formatMinutes(cur.elapsedMinutes ?? 0)} of ~${formatMinutes(cur.estimatedMinutes)}` : ' — starting'}`);
        }
        lastStep = key;
      }
      polls += 1;
      if (until(d.run.status)) return d;
      await io.sleep(1000);
    }
  };
  const limitQuery = () => {
    const params = new URLSearchParams();
    if (o.limit !== undefined) {
      if (!/^\d+$/.test(o.limit) || Number(o.limit) < 1 || Number(o.limit) > 200) throw new UsageError('--limit must be a whole number from 1 to 200', commandUsage(command));
      params.set('limit', o.limit);
    }
    if (o.cursor) params.set('cursor', o.cursor);
    const q = params.toString();
    return q ? `?${q}` : '';
  };
  const more = (cursor: unknown) => {
    if (typeof cursor === 'string' && cursor && !o.json) io.err(`more: upgrade-cp ${command} --cursor ${cursor}`);
  };

  try {
    switch (command) {
      case 'plan': {
        const windowMinutes = o['window-minutes']?.split(',').map(Number);
        const windows = o.window1 && o.tz ? [o.window1, o.window2].filter((w): w is string => Boolean(w)).map((localStart) => ({ localStart, durationMinutes: Number(o.duration), timeZone: o.tz })) : undefined;
        const plan = (await call('POST', '/v1/plans', { ...target(), packageId: o.package, windowMinutes, windows })) as {
          targetVersion: string;
          options: { option: string; title: string; productionDowntimeMinutes: number; windowMinutes: number[]; withoutFailoverMinutes?: number; blocked: boolean; steps: { window: number; description: string; estimatedMinutes: number }[] }[];
          risks: { severity: string; message: string }[];
          recommendation: { option: string | null; reason: string };
          backups: { applianceId: string; backupId?: string; downloadPath: string; reason?: string }[];
          apiUsers?: { users: { name: string; applianceId: string; lastCallAt: string }[]; checks: string[] };
          suggestedWindows?: { localStart: string; start?: string; timeZone?: string; durationMinutes: number; expectedSessions: number }[];
          stagingRun?: { reason: string };
          proceed?: { reason: string };
        };
        print(plan, () => [
          `plan for ${plan.targetVersion}:`,
          ...plan.options.flatMap((p) => [
            `  ${p.title}${p.blocked ? '  [BLOCKED]' : ''}`,
            `    production downtime ${p.productionDowntimeMinutes} min; window work ${p.windowMinutes.map((m, i) => `W${i + 1} ${m} min`).join(', ')}${p.withoutFailoverMinutes !== undefined ? `; without failover ${hours(p.withoutFailoverMinutes)}` : ''}`,
            ...p.steps.map((s) => `    W${s.window} ${s.description} (${s.estimatedMinutes} min)`),
          ]),
          ...(plan.risks.length ? ['risks:', ...plan.risks.map((r) => `  [${r.severity}] ${r.message}`)] : ['risks: none']),
          'download these backups before the install:',
          ...plan.backups.map((b) => (b.backupId ? `  ${b.applianceId}: ${b.downloadPath}` : `  ${b.applianceId}: none counts yet (${b.reason}); the run takes one: ${b.downloadPath}`)),
          ...(plan.apiUsers?.users.length ? ['API users to prepare for 10.6:', ...plan.apiUsers.users.map((u) => `  ${u.name} on ${u.applianceId} (last call ${u.lastCallAt})`), ...plan.apiUsers.checks.map((c) => `  check: ${c}`)] : []),
          ...(plan.suggestedWindows?.length ? ['quietest windows (next 14 days):', ...plan.suggestedWindows.map((w) => `  ${w.start ? formatClock(w.start, w.timeZone) : w.localStart} for ${w.durationMinutes} min (~${w.expectedSessions} sessions)`)] : []),
          ...(plan.stagingRun ? [`first: ${plan.stagingRun.reason}`] : []),
          ...(plan.proceed ? [`proceed: ${plan.proceed.reason}`] : []),
          `recommendation: ${plan.recommendation.option ?? 'none'} — ${plan.recommendation.reason}`,
        ]);
        return plan.recommendation.option ? 0 : 3;
      }
      case 'run': {
        if (!o.option || !o.tz || !o.window1) throw new UsageError('run needs --option, --tz and --window1');
        const minutes = Number(o.duration);
        const windows = [o.window1, o.window2].filter((w): w is string => Boolean(w)).map((localStart) => ({ localStart, durationMinutes: minutes, timeZone: o.tz }));
        const created = (await call('POST', '/v1/runs', { ...target(), packageId: o.package, option: o.option, windows, schedule: !o['no-schedule'] })) as {
          run: { runId: string; status: string };
          schedules: { window: number; fireAt: string; status: string }[];
        };
        print(created, () => [`created ${created.run.runId} (${created.run.status})`, ...created.schedules.map((s) => `  window ${s.window} scheduled at ${formatClock(s.fireAt, o.tz)} (${s.status})`)]);
        return 0;
      }
      case 'start': {
        const id = needRun();
        if (o.window !== '1' && o.window !== '2') throw new UsageError('--window must be 1 or 2');
        // --wait prints what this start adds to the audit trail, not what came before it.
        const before = o.wait ? ((await call('GET', `/v1/runs/${id}`)) as { audit: unknown[] }).audit.length : 0;
        const r = (await call('POST', `/v1/runs/${id}/windows/${o.window}/start`)) as { run: { status: string } };
        if (!o.wait) {
          print(r, () => [`window ${o.window} started: ${r.run.status}`]);
          return 0;
        }
        const d = await follow(id, (s) => TERMINAL.has(s) || s === 'interim', before);
        if (o.json) io.out(JSON.stringify(d, null, 2));
        return d.run.status === 'failed' || d.run.status === 'cancelled' ? 5 : 0;
      }
      case 'approve': {
        const r = (await call('POST', `/v1/runs/${needRun()}/approve`, { comment: o.comment })) as { run: { interim: { approval?: { by: string; comment?: string } } } };
        const approval = r.run.interim.approval;
        print(r, () => [`approved by ${approval?.by}${approval?.comment ? `: "${approval.comment}"` : ''}`]);
        return 0;
      }
      case 'acknowledge': {
        if (o.subject !== 'api-users' && o.subject !== 'integration-clients') throw new UsageError('acknowledge needs --subject api-users or integration-clients');
        if (!o.reason) throw new UsageError('acknowledge needs --reason');
        const r = (await call('POST', `/v1/runs/${needRun()}/acknowledge`, { subject: o.subject, reason: o.reason })) as { run: { acknowledgements?: Record<string, { by: string; items: string[] }> } };
        const ack = r.run.acknowledgements?.[o.subject === 'api-users' ? 'apiUsers' : 'integrationClients'];
        print(r, () => [`${o.subject} acknowledged by ${ack?.by}: ${o.reason} (covers ${ack?.items.join(', ')})`]);
        return 0;
      }
      case 'override': {
        if (!o.reason) throw new UsageError('override needs --reason');
        const r = (await call('POST', `/v1/runs/${needRun()}/override`, { reason: o.reason })) as { run: { interim: { override?: { by: string } } } };
        print(r, () => [`interim gate opened by ${r.run.interim.override?.by}: ${o.reason}`]);
        return 0;
      }
      case 'cancel': {
        if (!o.reason) throw new UsageError('cancel needs --reason');
        const r = (await call('POST', `/v1/runs/${needRun()}/cancel`, { reason: o.reason })) as { run: { status: string; statusReason?: string }; notice?: string };
        print(r, () => [`cancel requested: ${r.run.status}${r.run.statusReason ? ` (${r.run.statusReason})` : ''}`, ...(r.notice ? [`note: ${r.notice}`] : [])]);
        return 0;
      }
      case 'status': {
        const id = needRun();
        if (o.watch) {
          const d = await follow(id, (s) => TERMINAL.has(s));
          if (o.json) io.out(JSON.stringify(d, null, 2));
          return d.run.status === 'succeeded' ? 0 : 5;
        }
        const d = (await call('GET', `/v1/runs/${id}`)) as {
          run: {
            runId: string;
            status: string;
            statusReason?: string;
            option: string;
            targetVersion: string;
            windows: { index: number; status: string; start: string; durationMinutes: number; timeZone: string }[];
            interim: { approval?: { by: string; at: string; comment?: string }; override?: { by: string; reason: string } };
            installBackups?: { window: number; applianceId: string; backupId: string; downloadPath: string }[];
          };
          warnings: { code: string; message: string }[];
          notice?: string;
          traffic?: RunTrafficView;
          pipeline?: RunDetail['pipeline'];
        };
        const r = d.run;
        print(d, () => [
          `${r.runId}: ${r.status} (${r.option} → ${r.targetVersion})${r.statusReason ? `: ${r.statusReason}` : ''}`,
          ...r.windows.map((w) => `  window ${w.index}: ${w.status} (starts ${formatClock(w.start, w.timeZone)}, ${w.durationMinutes} min)`),
          ...(d.pipeline?.current ? [`  current step ${d.pipeline.current.index}/${d.pipeline.total}: ${d.pipeline.steps[d.pipeline.current.index - 1]?.description ?? d.pipeline.current.label}${d.pipeline.current.elapsedMinutes !== undefined ? ` — ${formatMinutes(d.pipeline.current.elapsedMinutes)} of ~${formatMinutes(d.pipeline.current.estimatedMinutes)}` : ''}`] : []),
          ...(d.pipeline ? [`  steps: ${d.pipeline.steps.filter((x) => x.status === 'succeeded').length} of ${d.pipeline.total} succeeded`] : []),
          ...(r.interim.approval ? [`  approved by ${r.interim.approval.by} at ${r.interim.approval.at}${r.interim.approval.comment ? `: "${r.interim.approval.comment}"` : ''}`] : []),
          ...(r.interim.override ? [`  interim overridden by ${r.interim.override.by}: ${r.interim.override.reason}`] : []),
          ...(r.installBackups ?? []).map((b) => `  window ${b.window} install on ${b.applianceId} relied on backup ${b.backupId}: ${b.downloadPath}`),
          ...d.warnings.map((w) => `  warning ${w.code}: ${w.message}`),
          ...(d.notice ? [`  note: ${d.notice}`] : []),
          ...trafficLines(d.traffic),
        ]);
        return 0;
      }
      case 'runs': {
        const d = (await call('GET', `/v1/runs${limitQuery()}`)) as { runs: { runId: string; option: string; targetVersion: string; primaryId: string; backupId?: string; status: string; createdBy: string; createdAt: string; windows: { timeZone: string }[] }[]; cursor?: string };
        print(d, () => (d.runs.length ? columns(['RUN', 'OPTION', 'TARGET', 'APPLIANCES', 'STATUS', 'BY', 'CREATED'], d.runs.map((r) => [r.runId, r.option, r.targetVersion, [r.primaryId, r.backupId].filter(Boolean).join('/'), r.status, r.createdBy, formatClock(r.createdAt, r.windows[0]?.timeZone)])) : ['no runs']));
        more(d.cursor);
        return 0;
      }
      case 'schedules': {
        const d = (await call('GET', `/v1/schedules${limitQuery()}`)) as { schedules: { runId: string; window: number; fireAt: string; endsAt?: string; timeZone: string; status: string }[]; cursor?: string };
        print(d, () => (d.schedules.length ? columns(['RUN', 'WINDOW', 'STARTS', 'ENDS', 'ZONE', 'STATUS'], d.schedules.map((x) => [x.runId, String(x.window), formatClock(x.fireAt, x.timeZone), x.endsAt ? formatClock(x.endsAt, x.timeZone) : '—', x.timeZone, x.status])) : ['nothing scheduled']));
        more(d.cursor);
        return 0;
      }
      case 'campaigns': {
        const d = (await call('GET', '/v1/campaigns')) as { campaigns: Campaign[] };
        print(d, () => (d.campaigns.length ? columns(['CAMPAIGN', 'TARGET', 'STATUS', 'DONE', 'BY', 'REASON'], d.campaigns.map((c) => [c.campaignId, c.targetVersion, c.status, `${c.targets.filter((t) => t.status === 'succeeded').length}/${c.targets.length}`, c.createdBy, c.statusReason ?? ''])) : ['no campaigns']));
        return 0;
      }
      case 'campaign': {
        const d = (await call('GET', `/v1/campaigns/${needRun()}`)) as { campaign: Campaign };
        const c = d.campaign;
        print(d, () => [
          `${c.campaignId}: ${c.status} (${c.packageId} → ${c.targetVersion})${c.statusReason ? `: ${c.statusReason}` : ''}`,
          ...columns(['WAVE', 'TARGET', 'KIND', 'OPTION', 'STATUS', 'RUN', 'ERROR'], c.targets.map((t) => [t.wave === 0 ? 'canary' : String(t.wave), t.targetId, t.kind, t.option ?? '—', t.status, t.runId ?? '—', t.error ?? ''])).map((l) => `  ${l}`),
        ]);
        return 0;
      }
      case 'appliances': {
        const d = (await call('GET', '/v1/appliances')) as { appliances: { applianceId: string; hostname: string; productVersion: string; baseVersion: string; state: string; staging?: boolean; failover: { role: string; pairId?: string; pairStatus?: string } }[] };
        print(d, () => columns(['APPLIANCE', 'HOSTNAME', 'VERSION', 'BASE', 'ROLE', 'PAIR', 'SYNC', 'STATE'], d.appliances.map((x) => [x.applianceId + (x.staging ? ' (staging)' : ''), x.hostname, x.productVersion, x.baseVersion, x.failover.role, x.failover.pairId ?? '—', x.failover.pairStatus ?? '—', x.state])));
        return 0;
      }
      case 'pairs': {
        const d = (await call('GET', '/v1/pairs')) as { pairs: { pairId: string; primaryId?: string; backupId?: string; status: string; lastSyncAt?: string }[] };
        print(d, () => (d.pairs.length ? columns(['PAIR', 'PRIMARY', 'BACKUP', 'SYNC', 'LAST SYNC (UTC)'], d.pairs.map((x) => [x.pairId, x.primaryId ?? '—', x.backupId ?? '—', x.status, x.lastSyncAt ? formatClock(x.lastSyncAt, 'UTC') : '—'])) : ['no pairs']));
        return 0;
      }
      case 'packages': {
        const d = (await call('GET', '/v1/packages')) as { packages: { packageId: string; name: string; kind: string; version: string }[] };
        print(d, () => columns(['PACKAGE', 'NAME', 'KIND', 'VERSION'], d.packages.map((x) => [x.packageId, x.name, x.kind, x.version])));
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n${e.usage === USAGE && COMMANDS[command] ? commandUsage(command) : e.usage}`);
      return 2;
    }
    if (e instanceof Unreachable) {
      io.err(`error: ${e.message}`);
      return 4;
    }
    if (e instanceof ApiError) {
      const errors = Array.isArray(e.problem.errors) ? (e.problem.errors as { path: string; message: string }[]).map((x) => `\n  ${x.path}: ${x.message}`).join('') : '';
      io.err(`error ${e.status} ${String(e.problem.code ?? '')}: ${e.message}${errors}`);
      return 1;
    }
    io.err(`error: ${(e as Error).message}`);
    return 1;
  }
}

interface RunTrafficView {
  windows: { window: number; attempts: number; failures: number; longestOutageMinutes: number; totalOutageMinutes: number; estimateMinutes: number; completed?: number }[];
  reconciliation?: { primaryId: string; completed: number; present: number; missing: number; duplicated: number; renumbered: number; byAppliance: Record<string, number> };
}

/** The run's live traffic (issue 14): customer-facing downtime per window and the reconciliation. */
function trafficLines(t: RunTrafficView | undefined): string[] {
  if (!t) return [];
  const r = t.reconciliation;
  return [
    ...t.windows.map((w) => `  traffic window ${w.window}: customers down ${w.totalOutageMinutes} min (longest ${w.longestOutageMinutes}, plan ${w.estimateMinutes}); ${w.failures}/${w.attempts} requests failed; ${w.completed ?? 0} sessions completed`),
    ...(r ? [`  reconciliation with ${r.primaryId}: ${r.completed} completed, ${r.present} present, ${r.missing} missing, ${r.duplicated} duplicated, ${r.renumbered} renumbered (${Object.entries(r.byAppliance).map(([a, n]) => `${a} ${n}`).join(', ')})`] : []),
  ];
}
