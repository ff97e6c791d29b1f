import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';

/**
 * An EventBridge Scheduler target that invokes a function. `LambdaInvoke` grants
 * `lambda:InvokeFunction` on the function and on `<arn>:*` (every version and alias); restore-watch's
 * schedules invoke the unqualified function only, so this grants exactly that.
 */
export class UnqualifiedLambdaInvoke extends targets.LambdaInvoke {
  private readonly target: lambda.IFunction;

  constructor(target: lambda.IFunction, props: targets.ScheduleTargetBaseProps) {
    super(target, props);
    this.target = target;
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }),
    );
  }
}
