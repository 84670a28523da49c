import type { Route } from '../http.js';

/** Routes of the appliance area (filled in by its issue). */
export const applianceRoutes: Route[] = [];
