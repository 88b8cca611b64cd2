package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// Runtime check ids.
const (
	IDRuntimeARN   = "runtime.arn"
	IDRuntimeReady = "runtime.ready"
)

func (d *Doctor) runtimeChecks() []Check {
	st := d.st
	return []Check{
		{ID: IDRuntimeARN, Category: CatRuntime, Title: "ARN, region and account", Deps: []string{IDResourcesSetup}, Run: func(ctx context.Context) Outcome {
			arn, err := st.arn(ctx)
			if err != nil {
				return fail(err.Error(), "The controller accepts a malformed ARN; the proxy rejects it later.", "")
			}
			// Ask for the runtime and the caller's account together.
			acctCh := make(chan struct{})
			var acct string
			var acctErr error
			go func() { defer close(acctCh); acct, acctErr = st.account.get(ctx) }()
			rt, rtErr := st.runtime.get(ctx)
			<-acctCh
			var problems []string
			hint := ""
			if acctErr == nil && acct != "" && acct != arn.Account {
				problems = append(problems, fmt.Sprintf("the AWS credentials are for account %s, the runtime is in account %s", acct, arn.Account))
				hint = "GetAgentRuntime looks in the caller's account: use credentials (AWS_PROFILE) of account " + arn.Account + "."
			}
			if rtErr == nil && rt.AgentRuntimeArn != nil && aws.ToString(rt.AgentRuntimeArn) != arn.String() {
				problems = append(problems, fmt.Sprintf("AgentCore reports the runtime as %s, not %s", aws.ToString(rt.AgentRuntimeArn), arn))
			}
			if len(problems) > 0 {
				return fail(strings.Join(problems, "; "), hint, "")
			}
			if d.deps.Region != "" && d.deps.Region != arn.Region {
				return warn(fmt.Sprintf("%s is in %s, your AWS region is %s (doctor asked %s)", arn.RuntimeID, arn.Region, d.deps.Region, arn.Region),
					"Commands that use the default region will not find this runtime: pass --region "+arn.Region+".", "")
			}
			return pass("%s in %s, account %s", arn.RuntimeID, arn.Region, arn.Account)
		}},
		{ID: IDRuntimeReady, Category: CatRuntime, Title: "READY", Deps: []string{IDRuntimeARN}, Run: func(ctx context.Context) Outcome {
			rt, err := st.runtime.get(ctx)
			if err != nil {
				msg := err.Error()
				hint := "doctor reads the runtime with GetAgentRuntime (needs bedrock-agentcore:GetAgentRuntime)."
				if strings.Contains(msg, "ResourceNotFound") {
					hint = "No runtime with this id in the caller's account and the ARN's region: check the ARN (route rewrite / backend / --runtime-arn)."
				}
				return fail("GetAgentRuntime: "+msg, hint, "")
			}
			status := string(rt.Status)
			switch status {
			case awsops.StatusReady:
				v := aws.ToString(rt.AgentRuntimeVersion)
				if v != "" {
					v = ", version " + v
				}
				proto := tokencheck.RuntimeSettingsFromSDK(nil, rt.ProtocolConfiguration).ServerProtocol()
				return pass("%s READY%s, protocol %s", aws.ToString(rt.AgentRuntimeName), v, proto)
			case awsops.StatusCreating, awsops.StatusUpdating:
				return warn(fmt.Sprintf("runtime is %s", status), "Calls fail until it is READY; wait and re-run.", "")
			case awsops.StatusCreateFailed, awsops.StatusUpdateFailed:
				return fail(fmt.Sprintf("runtime is %s: %s", status, aws.ToString(rt.FailureReason)),
					"Fix what the failure reason names and update the runtime again.", "")
			}
			return fail("runtime is "+status, "Only a READY runtime answers invocations.", "")
		}},
	}
}
