/**
 * `npm run cli -- <command>`: scripted use of the control API (plan, run, start, approve, override, cancel, status)
 * with progress output. Talks HTTP only, so it works against `npm start` and a deployed stack alike.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

export interface CliIo {
  fetch: typeof fetch;
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  sleep: (ms: number) => Promise<void>;
}

const USAGE = `usage: upgrade-cp <command> [options]   (env: UPGRADE_CP_URL, UPGRADE_CP_TOKEN)

  plan    --pair <id> | --appliance <id>  --package <id> [--window-minutes 180,180]
          [--tz <IANA zone> --window1 <YYYY-MM-DDTHH:mm> [--window2 <...>] [--duration <min>]]
  run     --pair <id> | --appliance <id>  --package <id> --option single|option1|option2
          --tz <IANA zone> --window1 <YYYY-MM-DDTHH:mm> [--window2 <...>] [--duration <min>] [--no-schedule]
  start   <runId> --window 1|2 [--wait]
  approve <runId> [--comment <text>]   (accepted once the interim checks passed)
  acknowledge <runId> --subject api-users|integration-clients --reason <text>
          (API users prepared for 10.6, or start although an Integration Client is older; audited)
  override <runId> --reason <text>   (opens the interim gate despite failing checks; approver, audited)
  cancel  <runId> --reason <text>
  status  <runId> [--watch]

common: --url <base URL> --token <operator token> --json --idempotency-key <key>`;

class UsageError extends Error {}
class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Record<string, unknown>) {
    super(String(problem.detail ?? `HTTP ${status}`));
  }
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const hours = (minutes: number) => (minutes >= 120 ? `${Math.round(minutes / 6) / 10} h` : `${minutes} min`);

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
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
        'idempotency-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [command, runId] = positionals;
  if (o.help || !command) {
    (o.help ? io.out : io.err)(USAGE);
    return o.help ? 0 : 2;
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
        throw new Error(`cannot reach ${base}: ${(e as Error).message}`);
      }
      const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
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
    if (!runId) throw new UsageError(`${command} needs a run id`);
    return encodeURIComponent(runId);
  };

  /** Polls the run, printing status changes and audit events after the first `seen`, until `until` holds. */
  const follow = async (id: string, until: (status: string) => boolean, seen = 0) => {
    let last = '';
    for (;;) {
      const d = (await call('GET', `/v1/runs/${id}`)) as { run: { status: string; statusReason?: string }; audit: { at: string; step: string; outcome: string; actor: string; detail?: string }[] };
      for (const e of d.audit.slice(seen)) io.out(`  ${e.at}  ${e.step.padEnd(18)} ${e.outcome.padEnd(9)} ${e.actor}${e.detail ? `  ${e.detail}` : ''}`);
      seen = d.audit.length;
      if (d.run.status !== last) io.out(`status: ${d.run.status}${d.run.statusReason ? ` (${d.run.statusReason})` : ''}`);
      last = d.run.status;
      if (until(d.run.status)) return d;
      await io.sleep(1000);
    }
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
          suggestedWindows?: { localStart: string; durationMinutes: number; expectedSessions: number }[];
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
          ...(plan.suggestedWindows?.length ? ['quietest windows (next 14 days):', ...plan.suggestedWindows.map((w) => `  ${w.localStart} for ${w.durationMinutes} min (~${w.expectedSessions} sessions)`)] : []),
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
        print(created, () => [`created ${created.run.runId} (${created.run.status})`, ...created.schedules.map((s) => `  window ${s.window} scheduled at ${s.fireAt} (${s.status})`)]);
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
        return d.run.status === 'failed' || d.run.status === 'cancelled' ? 1 : 0;
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
          return d.run.status === 'succeeded' ? 0 : 1;
        }
        const d = (await call('GET', `/v1/runs/${id}`)) as {
          run: {
            runId: string;
            status: string;
            statusReason?: string;
            option: string;
            targetVersion: string;
            windows: { index: number; status: string; start: string }[];
            interim: { approval?: { by: string; at: string; comment?: string }; override?: { by: string; reason: string } };
            installBackups?: { window: number; applianceId: string; backupId: string; downloadPath: string }[];
          };
          warnings: { code: string; message: string }[];
          notice?: string;
          traffic?: RunTrafficView;
        };
        const r = d.run;
        print(d, () => [
          `${r.runId}: ${r.status} (${r.option} → ${r.targetVersion})${r.statusReason ? `: ${r.statusReason}` : ''}`,
          ...r.windows.map((w) => `  window ${w.index}: ${w.status} (starts ${w.start})`),
          ...(r.interim.approval ? [`  approved by ${r.interim.approval.by} at ${r.interim.approval.at}${r.interim.approval.comment ? `: "${r.interim.approval.comment}"` : ''}`] : []),
          ...(r.interim.override ? [`  interim overridden by ${r.interim.override.by}: ${r.interim.override.reason}`] : []),
          ...(r.installBackups ?? []).map((b) => `  window ${b.window} install on ${b.applianceId} relied on backup ${b.backupId}: ${b.downloadPath}`),
          ...d.warnings.map((w) => `  warning ${w.code}: ${w.message}`),
          ...(d.notice ? [`  note: ${d.notice}`] : []),
          ...trafficLines(d.traffic),
        ]);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n${USAGE}`);
      return 2;
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
