import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface NotificationKeyProps {
  /**
   * What happens to the key when the stack is deleted. Messages in flight are unreadable without it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Waiting period before a deleted key is gone for good.
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * The customer-managed KMS key of the SNS topics. A customer-managed key (not `alias/aws/sns`) is
 * required because CloudWatch alarms can only publish to an encrypted topic whose key policy lets
 * `cloudwatch.amazonaws.com` use the key; the AWS-managed key's policy cannot be changed.
 */
export class NotificationKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: NotificationKeyProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'restore-watch: encrypts the alerts and operations SNS topics',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
    });
    // Exactly the two actions SNS needs on behalf of a publisher; no wildcard.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
  }
}
