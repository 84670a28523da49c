/**
 * What simulated customers and representatives do, in modelled time (the appliances' install minutes use the
 * same clock: `TIME_SCALE_MS_PER_MINUTE` real ms per modelled minute). Pure: the generator turns these plans
 * into requests against the sites.
 */
import { exponential, logNormal } from '../platform/core/random.js';

export interface TrafficSettings {
  /** Session requests per modelled hour per site (a Poisson process). 0 = off. */
  sessionsPerHour: number;
  /** Median session length in modelled minutes (log-normal). */
  medianSessionMinutes: number;
  /** Spread of the log-normal (0.6: most sessions within a factor of ~2 of the median). */
  sessionLengthSigma: number;
  /** Representatives that log in per support team. */
  representativesPerTeam: number;
  /** Seed of the generator's PRNG: the same seed gives the same arrivals and sessions. */
  seed: number;
}

export const DEFAULT_TRAFFIC: TrafficSettings = {
  sessionsPerHour: 0,
  medianSessionMinutes: 12,
  sessionLengthSigma: 0.6,
  representativesPerTeam: 2,
  seed: 1,
};

/** The demo's low rate: a session every few modelled minutes, so the windows always see some. */
export const DEMO_SESSIONS_PER_HOUR = 20;
/** Sessions never last longer than this (modelled minutes), so every window's traffic drains. */
export const MAX_SESSION_MINUTES = 240;

/** Modelled minutes until the next session request (exponential inter-arrival of rate `sessionsPerHour`). */
export function nextArrivalMinutes(random: () => number, settings: Pick<TrafficSettings, 'sessionsPerHour'>): number {
  if (settings.sessionsPerHour <= 0) return Infinity;
  return exponential(random, 60 / settings.sessionsPerHour);
}

export interface SessionPlan {
  /** Modelled minutes the session lasts once a representative accepted it. */
  minutes: number;
  chatMessages: number;
  fileTransfers: number;
  /** Whether the system information is pulled (an event on the session). */
  systemInfo: boolean;
  endedBy: 'representative' | 'customer';
  /** Whether the customer fills in the exit survey. */
  survey: boolean;
}

/** What happens in one session, drawn once when it is requested. */
export function planSession(random: () => number, settings: Pick<TrafficSettings, 'medianSessionMinutes' | 'sessionLengthSigma'>): SessionPlan {
  const minutes = Math.min(MAX_SESSION_MINUTES, Math.max(1, logNormal(random, settings.medianSessionMinutes, settings.sessionLengthSigma)));
  return {
    minutes,
    chatMessages: 1 + Math.floor(random() * 6),
    fileTransfers: random() < 0.25 ? 1 + Math.floor(random() * 3) : 0,
    systemInfo: random() < 0.5,
    endedBy: random() < 0.8 ? 'representative' : 'customer',
    survey: random() < 0.3,
  };
}

/** Delay before retry `attempt` (1, 2, …) while the site is down: doubling from 1 modelled minute, at most 5, with jitter. */
export function retryDelayMinutes(random: () => number, attempt: number): number {
  const base = Math.min(5, 2 ** Math.max(0, attempt - 1));
  return base * (0.5 + random() / 2);
}
