import { type Acknowledgment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The cdk-nag packs every synthesis runs: AWS Solutions and Serverless. */
export function nagPacks(scope: IConstruct): NagPack[] {
  return [
    // Acknowledgements are also written into each resource's template Metadata, so a reviewer reading the
    // template sees each one's reason next to the resource.
    new AwsSolutionsChecks(scope, { verbose: true, writeSuppressionsToCloudFormation: true }),
    new ServerlessChecks(scope, { verbose: true }),
  ];
}

/**
 * Registers the packs as validation plugins: synthesis (and so `cdk synth` and `cdk deploy`) fails on any
 * unacknowledged error and reports every warning. Acknowledgements live next to the resource they concern.
 */
export function applyNagPacks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(...nagPacks(scope));
}

/**
 * Acknowledges cdk-nag findings on one resource: the CloudFormation resource behind `construct` (its default
 * child), not the construct's whole subtree. Each acknowledgement says why the finding does not apply.
 */
export function acknowledge(construct: IConstruct, ...rules: Acknowledgment[]): void {
  Validations.of(construct.node.defaultChild ?? construct).acknowledge(...rules);
}
