import { CfnResource, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../infra/create-app.js';
import { CDK_JSON_CONTEXT, FULL_CONTEXT, synthesize } from './support.js';

/** Every finding of both packs, acknowledged ones excluded, as `rule at path`. */
function unacknowledgedFindings(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) =>
            `${violation.ruleName} at ${'constructPath' in resource ? resource.constructPath : '?'}`,
        ),
      ),
  );
}

/** The acknowledgements recorded on each construct, by construct path. */
function acknowledgements(
  scope: IConstruct,
): { path: string; construct: IConstruct; rules: Record<string, string> }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((entry) => ({
        path: construct.node.path,
        construct,
        rules: entry.data as Record<string, string>,
      })),
  );
}

describe('cdk-nag', () => {
  it.each([
    ['the default (dev) configuration', {}],
    ['every optional feature on, in prod', FULL_CONTEXT],
  ])('passes the AwsSolutions and Serverless packs with no unacknowledged finding: %s', (_name, context) => {
    // Synthesis runs the packs (and CDK's template schema checks) as `cdk synth` does, and throws on an error.
    const { app } = synthesize(context, { schemaValidation: true });
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  it('acknowledges findings on single resources only, each with its reason', () => {
    const { app } = synthesize(FULL_CONTEXT);
    const all = acknowledgements(app);
    expect(all.length).toBeGreaterThan(0);
    for (const { path, construct, rules } of all) {
      expect({ path, isResource: CfnResource.isCfnResource(construct) }).toEqual({ path, isResource: true });
      for (const [rule, reason] of Object.entries(rules)) {
        expect({ rule, reason }).toEqual({
          rule: expect.stringMatching(/^(Annotation::)?(AwsSolutions|Serverless)-/),
          reason: expect.stringMatching(/\w{4,}.{40,}/),
        });
      }
    }
  });

  it('never acknowledges a finding by claiming that every route requires SigV4: the webhook is public by design', () => {
    for (const context of [{}, { webhookAllowedSourceCidrs: ['203.0.113.0/24'] }]) {
      const { app } = synthesize(context);
      expect(unacknowledgedFindings(app)).toEqual([]);
      const reasons = acknowledgements(app).flatMap(({ rules }) => Object.values(rules));
      for (const reason of reasons) expect(reason).not.toMatch(/^Every route requires SigV4/);
      const [waf] = acknowledgements(app).flatMap(({ rules }) =>
        Object.entries(rules).flatMap(([rule, reason]) =>
          rule.endsWith('AwsSolutions-APIG3') ? [reason] : [],
        ),
      );
      expect(waf).toMatch(/POST \/webhooks\/fingerprint, is public by design/);
      if ('webhookAllowedSourceCidrs' in context) expect(waf).toMatch(/webhookAllowedSourceCidrs/);
      else expect(waf).not.toMatch(/webhookAllowedSourceCidrs/);
    }
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const { app, stack } = createApp({
      builtinCloudFormationValidation: false,
      context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] },
    });
    new Queue(stack, 'Unreviewed');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
