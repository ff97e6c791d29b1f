import { Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface SlackChannelProps {
  /** Slack workspace (team) id, e.g. `T012ABCDE`; authorised once in the console first. */
  readonly workspaceId: string;
  /** Slack channel id, e.g. `C012ABCDE`. */
  readonly channelId: string;
  /** Topics whose messages are posted to the channel. */
  readonly topics: readonly sns.ITopic[];
  /**
   * Managed policies capping what anyone in the channel can do through the channel role.
   * @default - CloudWatchReadOnlyAccess only
   */
  readonly guardrailPolicies?: readonly iam.IManagedPolicy[];
}

/**
 * Posts the topics' messages to a Slack channel through Amazon Q Developer in chat applications
 * (formerly AWS Chatbot). The channel only receives notifications, so its role has no permissions at
 * all, and the guardrail is set explicitly: the construct's default would be AdministratorAccess.
 */
export class SlackChannel extends Construct {
  readonly channel: chatbot.SlackChannelConfiguration;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SlackChannelProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'restore-watch Slack channel: notifications only, no permissions',
    });
    this.channel = new chatbot.SlackChannelConfiguration(this, 'Channel', {
      slackChannelConfigurationName: `${Stack.of(this).stackName}-alerts`.slice(0, 128),
      slackWorkspaceId: props.workspaceId,
      slackChannelId: props.channelId,
      notificationTopics: [...props.topics],
      role: this.role,
      guardrailPolicies: props.guardrailPolicies
        ? [...props.guardrailPolicies]
        : [iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess')],
      userRoleRequired: false,
    });
  }
}
