/** Install history records (appliances table, `APPLIANCE#<id>` / `INSTALL#<installId>`). */
import type { InstallInProgress, InstallOutcome } from '../../platform/core/appliance.js';
import { installPhase } from '../core/install.js';
import type { StoredItem } from '../../platform/core/ports.js';
import type { AppContext } from '../../platform/app/context.js';
import { installKey } from '../../platform/app/keys.js';

export interface InstallRecord {
  applianceId: string;
  installId: string;
  packageId: string;
  packageKind: 'product' | 'base';
  fromVersion: string;
  targetVersion: string;
  startedAt: string;
  restartAt: string;
  onlineAt: string;
  requestKey?: string;
  forced?: boolean;
  simulateFailure?: boolean;
  /** Set once the install settled. */
  outcome?: InstallOutcome['outcome'];
  finishedAt?: string;
  /** Active support sessions ended with reason `terminated-by-upgrade` when the install started. */
  sessionsTerminated?: number;
  /** Logged-in staff logged out when the install started. */
  staffLoggedOut?: number;
}

export type InstallState = 'installing' | 'restarting' | 'online' | 'failed';

/** The record plus its state now (a function of the clock until it settles). */
export function installView(r: InstallRecord, now: Date): InstallRecord & { state: InstallState } {
  if (r.outcome) return { ...r, state: r.outcome };
  const phase = installPhase(r, now);
  return { ...r, state: phase === 'finished' ? (r.simulateFailure ? 'failed' : 'online') : phase };
}

export function installRecordFrom(applianceId: string, install: InstallInProgress & { installId: string }): InstallRecord {
  return {
    applianceId,
    installId: install.installId,
    packageId: install.packageId,
    packageKind: install.packageKind ?? 'product',
    fromVersion: install.fromVersion,
    targetVersion: install.targetVersion,
    startedAt: install.startedAt,
    restartAt: install.restartAt,
    onlineAt: install.onlineAt,
    ...(install.requestKey ? { requestKey: install.requestKey } : {}),
    ...(install.forced ? { forced: true } : {}),
    ...(install.simulateFailure ? { simulateFailure: true } : {}),
  };
}

export async function putInstallRecord(ctx: AppContext, record: InstallRecord): Promise<void> {
  await ctx.records.appliances.put({
    ...installKey(record.applianceId, record.installId),
    gsi1pk: `APPLIANCE#${record.applianceId}#INSTALLS`,
    gsi1sk: `${record.startedAt}#${record.installId}`,
    type: 'install',
    ...record,
  });
}

export async function getInstallRecord(ctx: AppContext, applianceId: string, installId: string): Promise<InstallRecord | undefined> {
  const item = await ctx.records.appliances.get(installKey(applianceId, installId));
  return item ? fromItem(item) : undefined;
}

/** Newest first. */
export async function listInstallRecords(ctx: AppContext, applianceId: string, limit = 50): Promise<InstallRecord[]> {
  const page = await ctx.records.appliances.query({ index: 'gsi1', pk: `APPLIANCE#${applianceId}#INSTALLS`, descending: true, limit });
  return page.items.map(fromItem);
}

/** Writes the outcome onto the install record (idempotent: same outcome, same values). */
export async function recordInstallOutcome(ctx: AppContext, applianceId: string, finished: InstallOutcome, fallback: InstallRecord): Promise<void> {
  const current = (await getInstallRecord(ctx, applianceId, finished.installId)) ?? fallback;
  if (current.outcome) return;
  await putInstallRecord(ctx, { ...current, outcome: finished.outcome, finishedAt: finished.finishedAt });
}

function fromItem(item: StoredItem): InstallRecord {
  const { pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as InstallRecord;
}
