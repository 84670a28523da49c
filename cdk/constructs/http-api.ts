import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { Route } from '../../functions/platform/api/http.js';
import { mountRoutes, type MountedRoute } from '../../functions/platform/api/site-mounts.js';
import { pascal, toApiGatewayPaths } from '../sources.js';
import type { StageConfig } from '../stage.js';

/** The API Gateway route key (`GET /appliances/{applianceId}/api/reporting`) of every path a concrete route maps to. */
export const routeKeys = (route: Route) => toApiGatewayPaths(route.path).map((p) => `${route.method} ${p}`);

/** HTTP API (v2) whose routes are the route table; each route points at the function of its group. */
export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /**
   * Each concrete route (site routes once per mount, see functions/platform/api/site-mounts.ts) with the API
   * Gateway routes generated for it. Site-root routes are host-routed inside the function: API Gateway
   * passes the Host header (the custom domain, or the execute-api name, which names no site).
   */
  readonly generated: { route: MountedRoute; routes: apigw.HttpRoute[] }[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: StageConfig;
      /** Physical-name suffix (`<prefix>-<name>`). */
      name: string;
      description: string;
      routes: readonly Route[];
      functionOfGroup: (group: string) => lambda.IFunction;
      /** Custom domains, one per site hostname (the emulator's API only). */
      siteDomains?: StageConfig['siteDomains'];
    },
  ) {
    super(scope, id);
    const { config } = props;
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${config.prefix}-${props.name}`,
      description: props.description,
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${config.prefix}-${props.name}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.api.rateLimit, burstLimit: config.api.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
            latencyMs: '$context.responseLatency',
          }),
        ),
      },
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    /** route shape → the group whose function serves it, and whether it came from a site-root mount. */
    const seen = new Map<string, { group: string; siteRoot: boolean }>();
    for (const route of mountRoutes(props.routes)) {
      let integration = integrations.get(route.group);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascal(route.group)}Integration`, props.functionOfGroup(route.group), {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
          // One invoke permission per function for this API, not one per route: 170 routes' permissions took the
          // stack past CloudFormation's 500 resources. The function still serves only its own routes (its app
          // has no others), and the grant stays limited to this API.
          scopePermissionToRoute: false,
        });
        integrations.set(route.group, integration);
      }
      const generated: apigw.HttpRoute[] = [];
      for (const path of toApiGatewayPaths(route.path)) {
        const key = `${route.method} ${path}`;
        // API Gateway treats `/a/{id}` and `/a/{other}` as the same route.
        const shape = `${route.method} ${path.replace(/\{\w+\}/g, '{}')}`;
        const owner = seen.get(shape);
        // A site-root path the same function also serves for other hosts (the public site and the console at `/`)
        // is one API Gateway route; the function tells them apart by Host.
        if (owner && owner.group === route.group && owner.siteRoot !== (route.mount === 'site-root')) continue;
        if (owner) {
          throw new Error(`route table: ${key} is declared twice (or two Hono paths map to it)${owner.group !== route.group ? `, by groups ${owner.group} and ${route.group}` : ''}`);
        }
        seen.set(shape, { group: route.group, siteRoot: route.mount === 'site-root' });
        generated.push(...this.api.addRoutes({ path, methods: [route.method as apigw.HttpMethod], integration }));
      }
      this.generated.push({ route, routes: generated });
    }

    // Optional per-site custom domains: API Gateway then passes the site's hostname as Host, which is
    // all the site-root routes need. The DNS records (CNAME/alias to the regional name) are not created.
    (props.siteDomains ?? []).forEach(({ hostname, certificateArn }, i) => {
      const domain = new apigw.DomainName(this, `SiteDomain${i}`, {
        domainName: hostname,
        certificate: acm.Certificate.fromCertificateArn(this, `SiteCertificate${i}`, certificateArn),
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      new apigw.ApiMapping(this, `SiteMapping${i}`, { api: this.api, domainName: domain, stage: this.stage });
      this.siteDomains.push(domain);
      new CfnOutput(this, `SiteDomain${i}Target`, { value: domain.regionalDomainName, description: `Point ${hostname} (CNAME or alias) here` });
    });
  }

  /** The per-site custom domains created from context `siteDomains` (none by default). */
  readonly siteDomains: apigw.DomainName[] = [];

  /** Base URL of the deployed API. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
