import { describe, expect, it } from 'vitest';
import { consoleReport, flagAfterSiteUpgrade, logOutForUpgrade, redeployConsole, startConsole, type StaffConsole } from '../../../functions/emulator/core/staff-console.js';

const c = (o: Partial<StaffConsole>): StaffConsole => ({
  applianceId: 'a', consoleId: 'c', username: 'rep', version: '10.5.2', deployment: 'auto-update', registeredAt: 't0', loggedIn: true, loggedInAt: 't0', ...o,
});

describe('staff consoles after a site upgrade', () => {
  it('flags auto-update consoles as pending and MSI consoles as needing redeployment, idempotently', () => {
    const auto = flagAfterSiteUpgrade(c({ consoleId: 'auto' }), '10.6.0', 't1');
    const msi = flagAfterSiteUpgrade(c({ consoleId: 'msi', deployment: 'msi' }), '10.6.0', 't1');
    expect(auto.flag).toEqual({ status: 'pending-auto-update', siteVersion: '10.6.0', since: 't1' });
    expect(msi.flag?.status).toBe('needs-redeploy');
    expect(flagAfterSiteUpgrade(auto, '10.6.0', 't2')).toBe(auto);
  });

  it('auto-update consoles upgrade on next start; MSI consoles are refused until redeployed', () => {
    const started = startConsole(flagAfterSiteUpgrade(c({ loggedIn: false }), '10.6.0', 't1'), '10.6.0', 't2');
    expect(started).toMatchObject({ version: '10.6.0', loggedIn: true, lastStartedAt: 't2' });
    expect(started.flag).toBeUndefined();
    const msi = c({ deployment: 'msi', loggedIn: false });
    expect(() => startConsole(msi, '10.6.0', 't2')).toThrow(expect.objectContaining({ code: 'ConsoleNeedsRedeploy' }));
    expect(startConsole(redeployConsole(msi, '10.6.0'), '10.6.0', 't3').version).toBe('10.6.0');
  });

  it('logs staff out for an upgrade with a reason and reports laggards', () => {
    expect(logOutForUpgrade(c({}), 't1')).toMatchObject({ loggedIn: false, lastLogout: { at: 't1', reason: 'terminated-by-upgrade' } });
    const report = consoleReport('a', '10.6.0', [c({ consoleId: 'x', deployment: 'msi' }), c({ consoleId: 'y' }), c({ consoleId: 'z', version: '10.6.0' })]);
    expect(report).toMatchObject({ total: 3, current: 1 });
    expect(report.laggards.map((l) => [l.consoleId, l.status])).toEqual([['x', 'needs-redeploy'], ['y', 'pending-auto-update']]);
  });

  it('[ロックダウンされたコンピュータで MSI を使って以前展開されたスタッフコンソール: MSI consoles on locked-down machines must be redeployed] only those need action; other consoles update themselves on next start', () => {
    const locked = c({ consoleId: 'locked', deployment: 'msi', loggedIn: false }); // MSI defaults to locked down
    const open = c({ consoleId: 'open-msi', deployment: 'msi', lockedDown: false, loggedIn: false });
    const auto = c({ consoleId: 'auto', deployment: 'auto-update', lockedDown: true, loggedIn: false });
    expect(startConsole(open, '10.6.0', 't2')).toMatchObject({ version: '10.6.0', loggedIn: true });
    expect(startConsole(auto, '10.6.0', 't2').version).toBe('10.6.0');
    expect(() => startConsole(locked, '10.6.0', 't2')).toThrow(expect.objectContaining({ code: 'ConsoleNeedsRedeploy' }));
    const report = consoleReport('a', '10.6.0', [open, locked, auto]);
    expect(report).toMatchObject({ total: 3, current: 0, needAction: 1, updateThemselves: 2 });
    expect(report.laggards[0]).toMatchObject({ consoleId: 'locked', needsAction: true, lockedDown: true, action: expect.stringMatching(/redeploy the MSI package/) });
    expect(report.laggards.filter((l) => !l.needsAction).map((l) => [l.consoleId, l.action])).toEqual([
      ['auto', 'none: it upgrades itself on its next start'],
      ['open-msi', 'none: it upgrades itself on its next start'],
    ]);
  });
});
