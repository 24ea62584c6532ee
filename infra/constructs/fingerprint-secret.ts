import type { RemovalPolicy } from 'aws-cdk-lib';
import { type CfnSecret, type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface FingerprintSecretProps {
  /**
   * Use this existing secret (its complete ARN) instead of creating one.
   * @default a new, empty secret
   */
  readonly existingSecretArn?: string;
  /** What happens to a created secret when it leaves the stack; an imported one is never touched. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * What the secret holds and in which form, for whoever puts its value.
   * @default the Fingerprint secret API key's description
   */
  readonly description?: string;
  /**
   * The created secret's pinned logical id (stateful: a refactor must never replace it).
   * @default 'FingerprintSecret'
   */
  readonly logicalId?: string;
}

const API_KEY_DESCRIPTION =
  'Fingerprint secret API key (Server API): put it as a plain string or as {"apiKey": "..."}. See docs/deploy.md.';

/**
 * Where a secret issued by Fingerprint lives: the secret API key, the webhook signing secret, or the
 * encryption keys of sealed client results. A created
 * secret is empty: its value is put into it after deployment (docs/deploy.md), so it never passes through the
 * template, the cloud assembly or CloudFormation.
 */
export class FingerprintSecret extends Construct {
  public readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: FingerprintSecretProps) {
    super(scope, id);
    if (props.existingSecretArn !== undefined) {
      this.secret = Secret.fromSecretCompleteArn(this, 'Imported', props.existingSecretArn);
      return;
    }
    const secret = new Secret(this, 'Secret', {
      description: props.description ?? API_KEY_DESCRIPTION,
      removalPolicy: props.removalPolicy,
    });
    const cfnSecret = secret.node.defaultChild as CfnSecret;
    // The L2 construct generates a random value by default; without GenerateSecretString (and SecretString)
    // CloudFormation creates the secret empty.
    cfnSecret.addPropertyDeletionOverride('GenerateSecretString');
    cfnSecret.overrideLogicalId(props.logicalId ?? 'FingerprintSecret');
    acknowledge(secret, {
      id: 'AwsSolutions-SMG4',
      reason:
        'Fingerprint secret API keys, webhook signing secrets and sealed-result encryption keys are issued in the Fingerprint dashboard, which has no API a rotation function could call. Rotate them there and put the new value (docs/deploy.md).',
    });
    this.secret = secret;
  }
}
