import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Route } from '../../functions/platform/api/http.js';
import type { GrantTargets } from '../grants.js';
import { apiEntry, kebab, pascal, streamingGroups } from '../sources.js';
import type { StageConfig } from '../stage.js';
import type { FunctionDeployer } from './function-deployer.js';
import { HttpApi } from './http-api.js';

/**
 * The emulated appliances on AWS: one function per route group of the emulator's route table, an HTTP API of
 * their own (the sites answer there by Host; optional custom domains per site) and response-streaming Function
 * URLs for large reports. Deployable without the control plane (`-c systems=emulator`).
 */
export class ApplianceEmulator extends Construct {
  readonly http: HttpApi;
  /** Function URLs (response streaming) by route group. */
  readonly streamUrls = new Map<string, lambda.FunctionUrl>();

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: StageConfig;
      routes: readonly Route[];
      deployer: FunctionDeployer;
      targets: GrantTargets;
      /** Functions the platform deploys once for both systems (the health probe), by route group. */
      shared: ReadonlyMap<string, lambda.IFunction>;
    },
  ) {
    super(scope, id);
    const { config, deployer, targets } = props;
    const groupFunctions = deployer.deployRouteGroups(this, 'emulator', props.routes, props.shared, targets, { folder: 'functions/emulator/api' });

    // API Gateway buffers Lambda responses (6 MB at most): routes marked `streaming` are also served by a
    // response-streaming Function URL. Authentication stays in the app (the API's own credentials), as behind API Gateway.
    for (const group of streamingGroups(props.routes)) {
      const { fn } = deployer.deploy(this, 'emulator', {
        kind: 'route stream',
        name: group,
        physicalName: `api-${kebab(group)}-stream`,
        entry: apiEntry(group, 'stream'),
        description: `Streamed responses of route group ${group} (large reports) behind a Function URL`,
        // No API Gateway 30 s limit here; a 100,000-session report reads for seconds, not minutes.
        timeout: Duration.minutes(5),
      }, targets);
      const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE, invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
      this.streamUrls.set(group, url);
      new CfnOutput(Stack.of(this), `${pascal(group)}StreamUrl`, { value: url.url, description: `Streaming base URL for the ${group} routes marked streaming (e.g. large reports)` });
    }

    this.http = new HttpApi(this, 'Http', {
      config,
      name: 'sites',
      description: 'Emulated appliances: their sites (by Host) and admin routes',
      routes: props.routes,
      functionOfGroup: (g) => groupFunctions.get(g)!,
      siteDomains: config.siteDomains,
    });
    // Stack-level outputs: their names stay what scripts read, whichever systems the stack holds.
    new CfnOutput(Stack.of(this), 'SitesApiUrl', { value: this.http.url, description: "Base URL of the emulated appliances' HTTP API (sites by Host, admin routes /appliances/...)" });
  }
}
