import { advanceCampaign, cancelCampaign, createCampaign, haltCampaign, listCampaigns, requireCampaign, startCampaign } from '../../app/campaigns.js';
import { controlSettings } from '../../app/control-settings.js';
import { controlRoute } from './control-route.js';
import * as S from './schemas.js';

export const campaignRoutes = [
  controlRoute({
    method: 'GET',
    path: '/v1/campaigns',
    role: 'viewer',
    summary: 'Fleet campaigns, newest first',
    response: { status: 200, schema: S.CampaignList },
    handle: async ({ ctx }) => ({ status: 200, body: { campaigns: await listCampaigns(ctx) } }),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/campaigns',
    role: 'operator',
    summary: 'Create a campaign: canary on a staging appliance, then waves with a concurrency limit; every target is planned first',
    body: S.CreateCampaignRequest,
    response: { status: 201, schema: S.CampaignOnly },
    handle: async ({ ctx, operator, body }) => ({ status: 201, body: { campaign: await createCampaign(ctx, body, operator.operatorId) } }),
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/campaigns/:campaignId',
    role: 'viewer',
    summary: 'Campaign with per-target status',
    params: S.CampaignIdParams,
    response: { status: 200, schema: S.CampaignOnly },
    handle: async ({ ctx, params }) => ({ status: 200, body: { campaign: await requireCampaign(ctx, params.campaignId) } }),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/campaigns/:campaignId/start',
    role: 'approver',
    summary: 'Approve and start a campaign (approver; by default not its creator). The approval covers each run\'s interim once its checks pass',
    params: S.CampaignIdParams,
    response: { status: 202, schema: S.CampaignOnly },
    handle: async ({ ctx, operator, params }) => {
      await startCampaign(ctx, params.campaignId, operator.operatorId, { forbidSelfApproval: controlSettings().forbidSelfApproval });
      return { status: 202, body: { campaign: await advanceCampaign(ctx, params.campaignId) } };
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/campaigns/:campaignId/halt',
    role: 'operator',
    summary: 'Halt a campaign: no new runs start (pending targets are skipped); runs in flight finish and are recorded',
    params: S.CampaignIdParams,
    body: S.ReasonRequest,
    response: { status: 200, schema: S.CampaignOnly },
    handle: async ({ ctx, operator, params, body }) => ({ status: 200, body: { campaign: await haltCampaign(ctx, params.campaignId, operator.operatorId, body.reason) } }),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/campaigns/:campaignId/cancel',
    role: 'operator',
    summary: 'Cancel a campaign: no new runs start; running ones are cancelled between steps',
    params: S.CampaignIdParams,
    body: S.ReasonRequest,
    response: { status: 200, schema: S.CampaignOnly },
    handle: async ({ ctx, operator, params, body }) => ({ status: 200, body: { campaign: await cancelCampaign(ctx, params.campaignId, operator.operatorId, body.reason) } }),
  }),
];
