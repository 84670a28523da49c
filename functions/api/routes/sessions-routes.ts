import type { Route } from '../http.js';

/** Routes of the sessions area (filled in by its issue). */
export const sessionsRoutes: Route[] = [];
