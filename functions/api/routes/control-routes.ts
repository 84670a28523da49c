import type { Route } from '../http.js';

/** Routes of the control area (filled in by its issue). */
export const controlRoutes: Route[] = [];
