import { Arn, ArnFormat, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface CredentialsSecretProps {
  /**
   * An existing secret with the Cloud Manager credentials, by name or ARN (`deploy.credentialsSecret`).
   * @default - a new secret holding `{}`, to be filled in after the deploy
   */
  readonly existingSecret?: string;
}

/**
 * The Secrets Manager secret with the Cloud Manager credentials as JSON: `{"publicKey", "privateKey"}`
 * (API key) or `{"clientId", "clientSecret"}` (service account). Imported when the configuration names
 * one; otherwise created with an empty JSON object, never with a value from the configuration: a key
 * in a template or a CDK context file would be a leak.
 */
export class CredentialsSecret extends Construct {
  readonly secret: secretsmanager.ISecret;
  /** The id the function passes to GetSecretValue: as configured, or the created secret's ARN. */
  readonly secretId: string;
  /** True when this construct created the secret (it still has to be filled in). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: CredentialsSecretProps = {}) {
    super(scope, id);
    const existing = props.existingSecret?.trim();
    if (existing) {
      this.secret = importSecret(this, existing);
      this.secretId = existing;
      this.created = false;
      return;
    }
    const secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'restore-watch: Cloud Manager credentials as JSON {"publicKey","privateKey"} or {"clientId","clientSecret"}',
      secretObjectValue: {},
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is a Cloud Manager API key or service-account secret, issued and rotated in Cloud Manager, not by a Secrets Manager rotation function; the function re-reads the secret every 10 minutes, so a key rotated there is picked up without a deploy.',
    });
    this.secret = secret;
    this.secretId = secret.secretArn;
    this.created = true;
  }
}

/** A name, a complete ARN (with the 6-character suffix) or a partial ARN. */
function importSecret(scope: Construct, nameOrArn: string): secretsmanager.ISecret {
  if (!nameOrArn.startsWith('arn:')) {
    return secretsmanager.Secret.fromSecretNameV2(scope, 'Imported', nameOrArn);
  }
  const resourceName = Arn.split(nameOrArn, ArnFormat.COLON_RESOURCE_NAME).resourceName ?? '';
  return /-[A-Za-z0-9]{6}$/.test(resourceName)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'Imported', nameOrArn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, 'Imported', nameOrArn);
}
