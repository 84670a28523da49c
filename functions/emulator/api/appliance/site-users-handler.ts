/** Appliance-admin routes for the site's people: users (/login > Users & Security) and support teams. */
import { validationError } from '../../../platform/core/errors.js';
import {
  createSiteUser,
  createSiteUserSchema,
  createSupportTeam,
  createTeamSchema,
  deleteSiteUser,
  deleteSupportTeam,
  listSiteUsers,
  listSupportTeams,
  requireSiteUser,
  requireSupportTeam,
  updateSiteUser,
  updateSiteUserSchema,
  updateSupportTeam,
  updateTeamSchema,
} from '../../app/site-users.js';
import { requireAppliance } from '../../app/appliance-store.js';
import { assertApplianceId } from '../../app/backups.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { readJson } from './http-helpers.js';

const applianceOf = (c: Parameters<RouteHandler>[0]) => {
  const id = c.req.param('applianceId')!;
  assertApplianceId(id);
  return id;
};
const teamIdOf = (c: Parameters<RouteHandler>[0]) => {
  const text = c.req.param('teamId') ?? '';
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw validationError('InvalidTeamId', 'team id must be a positive integer');
  return Number(text);
};

export const listSiteUsersHandler: RouteHandler = async (c) => {
  const applianceId = applianceOf(c);
  await requireAppliance(c.get('services'), applianceId);
  return c.json({ users: await listSiteUsers(c.get('services'), applianceId) });
};
export const createSiteUserHandler: RouteHandler = async (c) => {
  const applianceId = applianceOf(c);
  return c.json(await createSiteUser(c.get('services'), applianceId, await readJson(c, createSiteUserSchema)), 201);
};
export const getSiteUserHandler: RouteHandler = async (c) => c.json(await requireSiteUser(c.get('services'), applianceOf(c), c.req.param('username')!));
export const updateSiteUserHandler: RouteHandler = async (c) => {
  const applianceId = applianceOf(c);
  return c.json(await updateSiteUser(c.get('services'), applianceId, c.req.param('username')!, await readJson(c, updateSiteUserSchema)));
};
/** "Account Disabled": the user can no longer log in or call the APIs; nothing is deleted. */
export const disableSiteUserHandler: RouteHandler = async (c) => c.json(await updateSiteUser(c.get('services'), applianceOf(c), c.req.param('username')!, { disabled: true }));
export const deleteSiteUserHandler: RouteHandler = async (c) => {
  await deleteSiteUser(c.get('services'), applianceOf(c), c.req.param('username')!);
  return c.body(null, 204);
};

export const listTeamsHandler: RouteHandler = async (c) => {
  const applianceId = applianceOf(c);
  await requireAppliance(c.get('services'), applianceId);
  return c.json({ teams: await listSupportTeams(c.get('services'), applianceId) });
};
export const createTeamHandler: RouteHandler = async (c) => {
  const applianceId = applianceOf(c);
  return c.json(await createSupportTeam(c.get('services'), applianceId, await readJson(c, createTeamSchema)), 201);
};
export const getTeamHandler: RouteHandler = async (c) => c.json(await requireSupportTeam(c.get('services'), applianceOf(c), teamIdOf(c)));
export const updateTeamHandler: RouteHandler = async (c) => {
  const applianceId = applianceOf(c);
  const teamId = teamIdOf(c);
  return c.json(await updateSupportTeam(c.get('services'), applianceId, teamId, await readJson(c, updateTeamSchema)));
};
export const deleteTeamHandler: RouteHandler = async (c) => {
  await deleteSupportTeam(c.get('services'), applianceOf(c), teamIdOf(c));
  return c.body(null, 204);
};
