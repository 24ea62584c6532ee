import { App, type AppProps, Tags } from 'aws-cdk-lib';
import { SERVICE_NAME } from '../shared/observability/logger.js';
import { loadConfig, type ServiceConfig } from './config.js';
import { applyNagPacks } from './nag.js';
import { EnrichmentStack } from './stacks/enrichment-stack.js';

export interface CreatedApp {
  readonly app: App;
  readonly config: ServiceConfig;
  readonly stack: EnrichmentStack;
}

/**
 * Builds the app from typed config: reads the context (cdk.json, `-c key=value`), creates the stack for the
 * configured stage and registers the cdk-nag packs. `infra/app.ts` runs it for the CDK CLI; tests call it with
 * their own context.
 */
export function createApp(props: AppProps = {}): CreatedApp {
  const app = new App(props);
  const config = loadConfig((key) => app.node.tryGetContext(key));
  const stack = new EnrichmentStack(app, `FingerprintEnrichment-${config.stage}`, {
    config,
    // Environment-agnostic unless the CLI knows the target (credentials or AWS_REGION), so synth works offline.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Tags.of(app).add('service', SERVICE_NAME);
  Tags.of(app).add('stage', config.stage);
  applyNagPacks(app);
  return { app, config, stack };
}
