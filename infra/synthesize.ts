/**
 * Synthesizing the app as `cdk synth` does, and reading its template: for the infrastructure tests and for the
 * bench, which runs the functions with the settings the stack deploys.
 */
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { type CreatedApp, createApp } from './create-app.js';

/** The context `cdk synth` runs with: cdk.json's config defaults and feature flags. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../cdk.json', import.meta.url), 'utf8'),
).context;

export interface SynthesizedApp extends CreatedApp {
  readonly template: Template;
}

export interface SynthesizeOptions {
  /** Run esbuild on the functions, as `cdk synth` does. */
  bundling?: boolean;
  /** Run CDK's built-in CloudFormation schema validation, as `cdk synth` does. */
  schemaValidation?: boolean;
  outdir?: string;
}

/**
 * Builds and synthesizes the app as `cdk synth` would (cdk.json context, cdk-nag packs registered) with
 * `context` on top. Bundling and CDK's built-in schema validation are skipped unless asked for: they are the
 * slow parts (esbuild on every function; loading the CloudFormation schemas), and the nag and bundling tests
 * cover them.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: SynthesizeOptions = {},
): SynthesizedApp {
  const created = createApp({
    builtinCloudFormationValidation: options.schemaValidation === true,
    context: {
      ...CDK_JSON_CONTEXT,
      ...(options.bundling === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
    ...(options.outdir !== undefined && { outdir: options.outdir }),
  });
  return { ...created, template: Template.fromStack(created.stack) };
}

/** A CloudFormation resource as the template holds it. */
export interface TemplateResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}

/** Every resource of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, TemplateResource> {
  return template.findResources(type) as Record<string, TemplateResource>;
}

/** The logical id CloudFormation gives a construct's resource, e.g. a function's. */
export function logicalIdOf(app: SynthesizedApp, resource: { node: { defaultChild?: unknown } }): string {
  return app.stack.getLogicalId(resource.node.defaultChild as Parameters<typeof app.stack.getLogicalId>[0]);
}
