import { probeHealth } from '../adapters/health.js';
import type { RouteHandler } from './http.js';

export const getHealth: RouteHandler = async (c) => {
  const health = await probeHealth(c.get('services'));
  return c.json(health, health.status === 'ok' ? 200 : 503);
};
