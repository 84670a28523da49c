import type { Route } from '../http.js';

/** Routes of the failover area (filled in by its issue). */
export const failoverRoutes: Route[] = [];
