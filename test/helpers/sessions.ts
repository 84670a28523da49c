import type { SupportSession } from '../../functions/emulator/core/session.js';

/** A completed session with overridable fields. */
export const sampleSession = (applianceId: string, lsid: string, overrides: Partial<SupportSession> = {}): SupportSession => ({
  applianceId,
  lsid,
  sessionType: 'support',
  status: 'completed',
  startTime: '2026-10-01T10:00:00.000Z',
  endTime: '2026-10-01T10:20:00.000Z',
  duration: 1200,
  fileTransfers: 1,
  hostName: 'ws-0001.corp.example.com',
  externalKey: 'INC100001',
  publicSiteId: 1,
  publicSiteName: 'Default',
  customerName: 'j.smith',
  representativeName: 'Aiko Tanaka',
  endReason: 'completed',
  recordedBy: applianceId,
  ...overrides,
});
