import { resourcesOf, type TemplateResource } from '../../infra/synthesize.js';

export {
  CDK_JSON_CONTEXT,
  logicalIdOf,
  resourcesOf,
  type SynthesizedApp,
  type SynthesizeOptions,
  synthesize,
  type TemplateResource,
} from '../../infra/synthesize.js';

/** A configuration that turns every optional feature on, in a retained (non-dev) stage. */
export const FULL_CONTEXT = {
  stage: 'prod',
  alarmEmail: 'ops@example.com',
  allowedPrincipals: ['111122223333', 'arn:aws:iam::444455556666:role/orders-service'],
  corsAllowOrigins: ['https://console.example.com'],
  fingerprintMaxRps: 20,
  fingerprintHistoryDays: 90,
  logRetentionDays: 365,
  wafWebAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api/0123',
  webhookAllowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
} as const;

/** The only resource of one type; fails when there are none or several. */
export function onlyResourceOf(
  template: Parameters<typeof resourcesOf>[0],
  type: string,
): [string, TemplateResource] {
  const entries = Object.entries(resourcesOf(template, type));
  if (entries.length !== 1) throw new Error(`Expected one ${type}, found ${entries.length}`);
  return entries[0] as [string, TemplateResource];
}
