import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { pathToFileURL } from 'node:url';
import { UpgradeStack } from './upgrade-stack.js';
import { FEATURE_FLAGS } from './feature-flags.js';
import { pascal } from './sources.js';
import { stageConfig } from './stage.js';

/**
 * Builds the CDK app: one stack per stage, checked by the cdk-nag AwsSolutions pack (synth fails on any
 * unacknowledged finding). `context` adds to cdk.json / `-c` context; tests use it to pick a stage.
 */
export function buildApp(
  context: Record<string, unknown> = {},
  props: Omit<AppProps, 'context'> = {},
): { app: App; stack: UpgradeStack } {
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...context } });
  const config = stageConfig(app.node);
  // One stack per stage, named by what it holds: both systems (the default, under the name it always had, so an
  // existing deployment updates in place), or one of them deployed alone.
  const systems = config.systems.length === 2 ? 'ControlPlane' : config.systems.includes('emulator') ? 'Emulator' : 'ControlPlaneOnly';
  const stack = new UpgradeStack(app, `Upgrade${systems}${pascal(config.stage)}`, {
    config,
    description: `Appliance upgrade ${config.systems.join(' and ')} (${config.stage})`,
    // Environment-agnostic unless the CLI knows the account: synth stays offline.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    tags: { application: 'appliance-upgrade-control-plane', stage: config.stage },
  });
  // writeSuppressionsToCloudFormation: each acknowledged finding and its reason also lands in the template (audit trail).
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
  return { app, stack };
}

// Entry of `cdk synth` (cdk.json); importing this module (tests, bench) builds nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) buildApp().app.synth();
