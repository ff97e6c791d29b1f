import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { EmailSubscriber } from './alert-subscriptions.ts';

export interface EncryptedTopicProps {
  /** Customer-managed key the topic is encrypted with. */
  readonly key: kms.IKey;
  /** Shown in email notifications as the sender name. */
  readonly displayName: string;
  /**
   * Email addresses to subscribe, each with an optional filter policy; each receives a confirmation
   * email first.
   * @default - none
   */
  readonly emails?: readonly EmailSubscriber[];
  /**
   * Let CloudWatch alarms of this account publish (the topic receives alarm actions).
   * @default false
   */
  readonly allowCloudWatchAlarms?: boolean;
}

/**
 * An SNS topic that is secure by default: encrypted with a customer-managed key, publishing only over
 * TLS (a deny for `aws:SecureTransport=false`), email subscribers from the configuration.
 */
export class EncryptedTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: EncryptedTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.displayName,
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(
          email.address,
          email.filterPolicy ? { filterPolicy: { ...email.filterPolicy } } : {},
        ),
      );
    }
    if (props.allowCloudWatchAlarms) {
      // A topic policy replaces SNS's default one, which is what let alarms publish: say it again,
      // scoped to this account's alarms (confused-deputy conditions).
      const stack = Stack.of(this);
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchAlarmsOfThisAccount',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: {
            ArnLike: {
              'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
            },
            StringEquals: { 'aws:SourceAccount': stack.account },
          },
        }),
      );
    }
  }
}
