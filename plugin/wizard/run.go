package wizard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Checkpoints where Env.FailAfter injects a failure (tests of interrupted runs).
const (
	CheckpointNamespace  = "namespace"
	CheckpointRecord     = "record"
	CheckpointUserPool   = "user-pool" // the identity exists in Cognito; its ids are not recorded yet
	CheckpointIdentity   = "identity"
	CheckpointToken      = "token"
	CheckpointAuthorizer = "authorizer"
	CheckpointResources  = "resources"
	CheckpointOptions    = "options"
	CheckpointFinal      = "final-record"
)

// Checkpoints lists them in order.
var Checkpoints = []string{CheckpointNamespace, CheckpointRecord, CheckpointUserPool, CheckpointIdentity, CheckpointToken, CheckpointAuthorizer,
	CheckpointResources, CheckpointOptions, CheckpointFinal}

// ErrInjected is the failure FailAfter injects.
var ErrInjected = errors.New("injected failure")

// VerifyCheck is one verify finding (statuses and the doctor checks that apply).
type VerifyCheck struct {
	ID     string `json:"id"`
	Status string `json:"status"` // pass | warn | fail | skip
	Detail string `json:"detail"`
	Hint   string `json:"hint,omitempty"`
}

// Result is what Run did.
type Result struct {
	Record   setup.Record  `json:"record"`
	Changes  []plan.Item   `json:"changes"` // what Run did (or found already done)
	Changed  int           `json:"changed"`
	Verify   []VerifyCheck `json:"verify,omitempty"`
	TestCall string        `json:"testCall,omitempty"`
	// Call is the test call's answer when one was sent (--test-call, or t in the TUI).
	Call     *TestCall `json:"testCallResult,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
}

func (r *Result) add(step string, action plan.Action, target, detail string) {
	r.Changes = append(r.Changes, plan.Item{Step: step, Action: action, Target: target, Detail: detail})
	if action.Changes() {
		r.Changed++
	}
}

// StepError is a failure inside Run: which step, what exists already, and how to resume.
type StepError struct {
	Step string
	Err  error
	Done []plan.Item
}

func (e *StepError) Error() string {
	var made []string
	for _, c := range e.Done {
		if c.Action == plan.Create || c.Action == plan.Update {
			made = append(made, c.Target)
		}
	}
	done := "nothing was changed"
	if len(made) > 0 {
		done = "already done: " + strings.Join(made, ", ")
	}
	return fmt.Sprintf("wizard step %s failed: %s. %s; rerun the same command to continue (it picks up where this stopped)", e.Step, trimDot(e.Err.Error()), done)
}

func (e *StepError) Unwrap() error { return e.Err }

func trimDot(s string) string { return strings.TrimRight(strings.TrimSpace(s), ".") }

func (env *Env) checkpoint(name string) error {
	if env.FailAfter == name {
		return fmt.Errorf("%w after %s", ErrInjected, name)
	}
	return nil
}

// Run carries out the plan: ⑤ namespace first (so nothing lands on AWS when the cluster would refuse the objects),
// the record, ③ identity, ④ authorizer, ⑤ ⑥ objects, the final record, ⑦ verify. Every step converges: rerun after
// any failure and it continues. Nothing that is already right is written again.
func Run(ctx context.Context, env *Env, s *Session) (*Result, error) {
	cfg := s.Cfg
	rec := s.Record
	res := &Result{Warnings: s.Warnings}
	fail := func(step string, err error) (*Result, error) {
		env.emit(step, "failed", err.Error())
		res.Record = rec
		return res, &StepError{Step: step, Err: err, Done: res.Changes}
	}

	// Namespace, then a strict dry-run of every object before any AWS change.
	env.emit(StepResources, "running", "namespace "+cfg.Namespace)
	createdNS := false
	if !s.NamespaceExists {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cfg.Namespace, Labels: map[string]string{k8sres.LabelManagedBy: k8sres.ManagedByValue}}}
		if _, err := env.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: k8sres.FieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fail(StepResources, k8sres.Explain("creating namespace "+cfg.Namespace, err))
		} else if err == nil {
			createdNS = true
			rec.CreatedNamespace = true
			res.add(StepResources, plan.Create, "Namespace "+cfg.Namespace, "")
		}
		s.NamespaceExists = true
	}
	preview, err := k8sres.BuildManifests(s.manifestSpec(rec, ""))
	if err != nil {
		return fail(StepResources, err)
	}
	for _, o := range preview {
		if _, err := env.Applier.Apply(ctx, o, true); err != nil {
			if createdNS {
				_ = env.Kube.CoreV1().Namespaces().Delete(context.Background(), cfg.Namespace, metav1.DeleteOptions{})
				res.Changes, res.Changed = nil, 0
			}
			return fail(StepResources, err)
		}
	}
	if err := env.checkpoint(CheckpointNamespace); err != nil {
		return fail(StepResources, err)
	}

	// The record first, so an interrupted run leaves a trace of what it was doing (and where).
	if err := saveRecord(ctx, env, &rec, res, false); err != nil {
		return fail(StepResources, err)
	}
	if err := env.checkpoint(CheckpointRecord); err != nil {
		return fail(StepResources, err)
	}

	// ③ Identity and token.
	env.emit(StepIdentity, "running", "")
	creds := s.Creds
	var token string
	az := s.currentAuthorizer()
	switch {
	case !cfg.Mode.UsesToken():
		env.emit(StepIdentity, "skipped", string(cfg.Mode))
	case cfg.Answers.Identity == IdentityExternal:
		token = cfg.ExternalToken
		if cc := cfg.ClientCreds; cc != nil && cc.ClientSecret != "" {
			// rotate mints the next tokens with this secret: keep it in the credentials Secret.
			next := creds
			next.ClientSecret = cc.ClientSecret
			if next != creds {
				if err := saveRecord(ctx, env, &rec, res, true); err != nil {
					return fail(StepIdentity, err)
				}
				if err := setup.SaveCredentials(ctx, env.Kube, &rec, next); err != nil {
					return fail(StepIdentity, err)
				}
				res.add(StepIdentity, actionFor(creds.Empty()), "Secret "+k8sres.Ref(rec.Namespace, rec.CredentialsName()), "client secret")
				creds = next
			}
		}
		env.emit(StepIdentity, "done", "external identity provider")
	case cfg.Answers.Identity == IdentityCognitoMachine:
		t, err := runMachine(ctx, env, cfg, &rec, res, &creds, az)
		if err != nil {
			return fail(StepIdentity, err)
		}
		token = t
		if err := env.checkpoint(CheckpointToken); err != nil {
			return fail(StepIdentity, err)
		}
		env.emit(StepIdentity, "done", "")
	default:
		spec := identitySpec(cfg, rec, creds)
		if err := recordPoolIntent(ctx, env, &rec, res, spec); err != nil {
			return fail(StepIdentity, err)
		}
		id, err := env.Cognito.EnsureIdentity(ctx, spec)
		if err != nil {
			return fail(StepIdentity, err)
		}
		created := false
		for _, st := range id.Steps {
			res.add(StepIdentity, st.Action, st.Resource+" "+st.Name+" ("+st.ID+")", "")
			created = created || st.Resource == "user-pool" && st.Action == plan.Create
		}
		if err := env.checkpoint(CheckpointUserPool); err != nil {
			return fail(StepIdentity, err)
		}
		switch {
		case created:
			rec.CreatedUserPool = true
		case rec.CreatingUserPool != "" && rec.CreatingUserPool == id.Pool.Name && rec.UserPoolID == "" && taggedByWizard(ctx, env, id.Pool.ID):
			// An earlier run recorded that it was creating this pool and stopped before recording its id.
			rec.CreatedUserPool = true
		case rec.UserPoolID != id.Pool.ID:
			rec.CreatedUserPool = false // another pool than the recorded one: not ours to delete
		}
		rec.CreatingUserPool = ""
		rec.UserPoolID, rec.UserPoolName, rec.ClientID, rec.Issuer = id.Pool.ID, id.Pool.Name, id.Client.ID, id.Issuer
		rec.DiscoveryURL = awsops.DiscoveryURL(id.Issuer)
		next := setup.Credentials{ClientSecret: id.Client.Secret, Password: id.User.Password, RefreshToken: creds.RefreshToken}
		if next.ClientSecret == "" {
			next.ClientSecret = creds.ClientSecret
		}
		if err := saveRecord(ctx, env, &rec, res, true); err != nil {
			return fail(StepIdentity, err)
		}
		if next != creds {
			if err := setup.SaveCredentials(ctx, env.Kube, &rec, next); err != nil {
				return fail(StepIdentity, err)
			}
			res.add(StepIdentity, actionFor(creds.Empty()), "Secret "+k8sres.Ref(rec.Namespace, rec.CredentialsName()), "client secret, password, refresh token")
			creds = next
		}
		if passwordReset(id.Steps) {
			shareNewPassword(ctx, env, rec, id.User.Password, res)
		}
		if err := env.checkpoint(CheckpointIdentity); err != nil {
			return fail(StepIdentity, err)
		}
		want, _ := DesiredAuthorizer(rec, env.Cognito, nil)
		liveSecret := getLive(ctx, env, tokenSecretRef(rec))
		if cfg.Answers.SkipAuthorizer {
			want = az
		}
		if reusableToken(liveSecret, want, id.Issuer, env.now()) {
			token = secretToken(liveSecret)
		} else {
			env.emit(StepIdentity, "running", "minting a token (AdminInitiateAuth)")
			t, err := env.Cognito.MintWithPassword(ctx, awsops.MintRequest{PoolID: rec.UserPoolID, ClientID: rec.ClientID,
				ClientSecret: creds.ClientSecret, Username: rec.Username, Password: creds.Password})
			if err != nil {
				return fail(StepIdentity, err)
			}
			token = t.IDToken
			if cfg.TokenUse == setup.TokenUseAccess {
				token = t.AccessToken
			}
			if t.RefreshToken != "" && t.RefreshToken != creds.RefreshToken {
				creds.RefreshToken = t.RefreshToken
				if err := setup.SaveCredentials(ctx, env.Kube, &rec, creds); err != nil {
					return fail(StepIdentity, err)
				}
			}
		}
		if err := env.checkpoint(CheckpointToken); err != nil {
			return fail(StepIdentity, err)
		}
		env.emit(StepIdentity, "done", "")
	}

	// ④ Authorizer.
	env.emit(StepAuthorizer, "running", "")
	target := cfg.TargetLabel() + " authorizer"
	switch {
	case cfg.Answers.SkipAuthorizer:
		res.add(StepAuthorizer, plan.Skip, target, "--skip-authorizer")
	case cfg.IsAgentCoreGateway():
		if err := setGatewayAuthorizer(ctx, env, cfg, &rec, res); err != nil {
			return fail(StepAuthorizer, err)
		}
	default:
		cur, err := env.AgentCore.GetRuntime(ctx, cfg.ARN.String())
		if err != nil {
			return fail(StepAuthorizer, err)
		}
		share, err := shareTarget(ctx, env, rec, cur.AuthorizerConfiguration)
		if err != nil {
			return fail(StepAuthorizer, fmt.Errorf("%w. The runtime's authorizer is shared with the other setups that lead to it; nothing was changed on it", err))
		}
		want := share.want
		if !share.known {
			return fail(StepAuthorizer, errors.New("the user pool or app client id is unknown"))
		}
		if awsops.AuthorizerEqual(cur.AuthorizerConfiguration, want) {
			res.add(StepAuthorizer, plan.Unchanged, target, "")
		} else {
			if rec.PreviousAuthorizer == "" {
				// Remember what was there before the first change, for teardown's restore: before any setup's,
				// when this one joins the authorizer of a setup that changed it.
				rec.PreviousAuthorizer, _ = share.previous(env, cur.AuthorizerConfiguration, "")
				if err := saveRecord(ctx, env, &rec, res, true); err != nil {
					return fail(StepAuthorizer, err)
				}
			}
			start := time.Now()
			_, err := env.AgentCore.SetAuthorizer(ctx, cfg.ARN.String(), want, awsops.SetOptions{Progress: func(status string, waited time.Duration) {
				env.emit(StepAuthorizer, "running", fmt.Sprintf("waiting for runtime READY (%s, %s)", status, waited.Round(time.Second)))
			}})
			if err != nil {
				return fail(StepAuthorizer, err)
			}
			res.add(StepAuthorizer, plan.Update, target, plan.JoinDetail("READY after "+time.Since(start).Round(time.Millisecond).String(), share.sharedWith()))
		}
	}
	if err := env.checkpoint(CheckpointAuthorizer); err != nil {
		return fail(StepAuthorizer, err)
	}
	env.emit(StepAuthorizer, "done", "")

	// ⑤ ⑥ Objects (Secret, backend, policy, route; then rate limit and CORS), stale objects removed.
	objs, err := k8sres.BuildManifests(s.manifestSpec(rec, token))
	if err != nil {
		return fail(StepResources, err)
	}
	keepSecret := cfg.Mode.UsesToken() && token == ""
	for i, o := range objs {
		step := stepOf(rec, o)
		if step == StepOptions && (i == 0 || stepOf(rec, objs[i-1]) != StepOptions) {
			if err := env.checkpoint(CheckpointResources); err != nil {
				return fail(StepResources, err)
			}
			env.emit(StepResources, "done", "")
		}
		env.emit(step, "running", o.GetKind()+" "+ref(o))
		if o.GetKind() == "Namespace" {
			continue
		}
		if o.GetKind() == "Secret" && keepSecret && getLive(ctx, env, tokenSecretRef(rec)) != nil {
			res.add(step, plan.Unchanged, "Secret "+ref(o), "keeps the token it holds")
			continue
		}
		st, err := compare(ctx, env, o, true)
		if err != nil {
			return fail(step, err)
		}
		if st.action == plan.Unchanged {
			res.add(step, plan.Unchanged, o.GetKind()+" "+ref(o), "")
			continue
		}
		if _, err := env.Applier.Apply(ctx, o, false); err != nil {
			return fail(step, err)
		}
		res.add(step, st.action, o.GetKind()+" "+ref(o), "")
	}
	stale, err := staleObjects(ctx, env, rec, objs, true)
	if err != nil {
		return fail(StepResources, err)
	}
	for _, o := range stale {
		ri, _, err := env.Applier.Resource(o.GroupVersionKind(), o.GetNamespace())
		if err == nil {
			err = ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return fail(StepResources, k8sres.Explain("deleting "+o.GetKind()+" "+ref(o), err))
		}
		res.add(StepResources, plan.Delete, o.GetKind()+" "+ref(o), "no longer part of this setup")
	}
	if rec.TrafficPolicyName == "" {
		if err := env.checkpoint(CheckpointResources); err != nil {
			return fail(StepResources, err)
		}
	}
	if err := env.checkpoint(CheckpointOptions); err != nil {
		return fail(StepOptions, err)
	}
	env.emit(StepOptions, "done", "")

	if err := saveRecord(ctx, env, &rec, res, true); err != nil {
		return fail(StepResources, err)
	}
	if err := env.checkpoint(CheckpointFinal); err != nil {
		return fail(StepResources, err)
	}
	res.Record = rec

	// ⑦ Verify.
	env.emit(StepVerify, "running", "waiting for the gateway to accept the objects")
	res.Verify = verify(ctx, env, &rec)
	res.TestCall = testCall(s, &rec)
	env.emit(StepVerify, "done", "")
	return res, nil
}

// setGatewayAuthorizer points an AgentCore Gateway's inbound authorization at the record's identity provider:
// GetGateway → copy every field → CUSTOM_JWT with the authorizer → UpdateGateway → wait READY (awsops). The
// authorizer before the first change (type and configuration) goes into the record first, for teardown's
// restore. A gateway whose type is AWS_IAM or NONE is changed only with Env.ConfirmGatewayTypeChange.
func setGatewayAuthorizer(ctx context.Context, env *Env, cfg *Config, rec *setup.Record, res *Result) error {
	target := cfg.TargetLabel() + " authorizer"
	cur, err := env.AgentCore.GetGateway(ctx, cfg.AgentCoreGatewayID)
	if err != nil {
		return err
	}
	var curJWT types.AuthorizerConfiguration
	if cur.AuthorizerType == types.AuthorizerTypeCustomJwt {
		curJWT = cur.AuthorizerConfiguration
	}
	share, err := shareTarget(ctx, env, *rec, curJWT)
	if err != nil {
		return fmt.Errorf("%w. The AgentCore Gateway's authorizer is shared with the other setups that lead to it; nothing was changed on it", err)
	}
	want := share.want
	if !share.known {
		return errors.New("the user pool or app client id is unknown")
	}
	if cur.AuthorizerType == types.AuthorizerTypeCustomJwt && awsops.AuthorizerEqual(cur.AuthorizerConfiguration, want) {
		res.add(StepAuthorizer, plan.Unchanged, target, "")
		return nil
	}
	if (cur.AuthorizerType == types.AuthorizerTypeAwsIam || cur.AuthorizerType == types.AuthorizerTypeNone) && !env.ConfirmGatewayTypeChange {
		return &awsops.GatewayTypeChangeError{GatewayID: cfg.AgentCoreGatewayID, Name: aws.ToString(cur.Name), From: string(cur.AuthorizerType)}
	}
	if rec.PreviousAuthorizer == "" {
		rec.PreviousAuthorizer, rec.PreviousAuthorizerType = share.previous(env, cur.AuthorizerConfiguration, string(cur.AuthorizerType))
		if err := saveRecord(ctx, env, rec, res, true); err != nil {
			return err
		}
	}
	start := time.Now()
	_, err = env.AgentCore.SetGatewayAuthorizer(ctx, cfg.AgentCoreGatewayID, want, awsops.SetGatewayOptions{
		ConfirmTypeChange: env.ConfirmGatewayTypeChange,
		Progress: func(status string, waited time.Duration) {
			env.emit(StepAuthorizer, "running", fmt.Sprintf("waiting for AgentCore Gateway READY (%s, %s)", status, waited.Round(time.Second)))
		}})
	if err != nil {
		return err
	}
	detail := "READY after " + time.Since(start).Round(time.Millisecond).String()
	if cur.AuthorizerType != types.AuthorizerTypeCustomJwt {
		detail = "authorizer type " + string(cur.AuthorizerType) + " → CUSTOM_JWT, " + detail
	}
	res.add(StepAuthorizer, plan.Update, target, plan.JoinDetail(detail, share.sharedWith()))
	return nil
}

// recordPoolIntent writes "creating user pool NAME" into the record before EnsureIdentity may call
// CreateUserPool, so that a run interrupted between the create call and recording the pool's id leaves a trace:
// the rerun finds the pool by name and knows the wizard created it. Nothing is written when the pool is given by
// id or already exists under that name (then it is not the wizard's).
func recordPoolIntent(ctx context.Context, env *Env, rec *setup.Record, res *Result, spec awsops.IdentitySpec) error {
	if spec.PoolID != "" || rec.CreatingUserPool == spec.PoolName {
		return nil
	}
	found, err := env.Cognito.FindUserPool(ctx, spec.PoolName)
	if err != nil || found != nil {
		return err
	}
	rec.CreatingUserPool = spec.PoolName
	return saveRecord(ctx, env, rec, res, false)
}

// InterruptedPool finds the user pool an interrupted run was creating when its id never made it into the record
// (rec.CreatingUserPool set, no UserPoolID): the pool with that name carrying the wizard's tag, or nil.
func InterruptedPool(ctx context.Context, cognito *awsops.Cognito, rec *setup.Record) (*awsops.UserPool, error) {
	if rec.CreatingUserPool == "" || rec.UserPoolID != "" || cognito == nil {
		return nil, nil
	}
	p, err := cognito.FindUserPool(ctx, rec.CreatingUserPool)
	if err != nil || p == nil {
		return nil, err
	}
	if !taggedByWizard(ctx, &Env{Cognito: cognito}, p.ID) {
		return nil, nil
	}
	return p, nil
}

// taggedByWizard reports whether the pool carries the tag the wizard puts on the pools it creates (a second
// guard before a pool found by name is counted as the wizard's).
func taggedByWizard(ctx context.Context, env *Env, poolID string) bool {
	out, err := env.Cognito.API.DescribeUserPool(ctx, &cognitoidentityprovider.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil || out.UserPool == nil {
		return false
	}
	return out.UserPool.UserPoolTags[PoolTagKey] == PoolTagValue
}

// The tag on user pools the wizard creates.
const (
	PoolTagKey   = "managed-by"
	PoolTagValue = "kubectl-agentcore"
)

func actionFor(create bool) plan.Action {
	if create {
		return plan.Create
	}
	return plan.Update
}

// saveRecord applies the record when it differs from the live one (the timestamp alone is no change).
// counted=false records the first save silently when it only marks progress.
func saveRecord(ctx context.Context, env *Env, rec *setup.Record, res *Result, counted bool) error {
	cm := toUnstructured(rec.ConfigMap())
	live := getLive(ctx, env, cm)
	if live != nil && sameContent(live, cm) {
		return nil
	}
	rec.UpdatedAt = env.now()
	if err := setup.Save(ctx, env.Kube, rec, nil); err != nil {
		return err
	}
	act := plan.Create
	if live != nil {
		act = plan.Update
	}
	if counted || live == nil {
		// One line per run for the record, however often it was saved.
		for _, c := range res.Changes {
			if c.Target == "ConfigMap "+rec.Ref() {
				return nil
			}
		}
		res.add(StepResources, act, "ConfigMap "+rec.Ref(), "setup record")
	}
	return nil
}

func toUnstructured(o runtime.Object) *unstructured.Unstructured {
	m, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u
}

func tokenSecretRef(r setup.Record) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Secret")
	u.SetNamespace(r.Namespace)
	u.SetName(r.SecretName)
	return u
}

func getLive(ctx context.Context, env *Env, o *unstructured.Unstructured) *unstructured.Unstructured {
	if o.GetName() == "" {
		return nil
	}
	ri, _, err := env.Applier.Resource(o.GroupVersionKind(), o.GetNamespace())
	if err != nil {
		return nil
	}
	live, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return live
}

func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading --token-file: %w", err)
	}
	t := bearer.Token(string(b))
	if strings.Count(t, ".") != 2 {
		return "", fmt.Errorf("--token-file %s does not hold a JWT (header.payload.signature)", path)
	}
	return t, nil
}

// testCall is the command that sends one request through the gateway.
func testCall(s *Session, r *setup.Record) string {
	ep := s.Gateway.Endpoint()
	if ep == "" {
		ep = "<gateway address>"
	}
	if r.IsAgentCoreGateway() && r.Mode.CallerToken() {
		return fmt.Sprintf("kubectl agentcore invoke -n %s --mcp --bearer-from env:CALLER_TOKEN   # initialize + tools/list with a caller's token through http://%s%s; doctor -n %s --probe --token-from env:CALLER_TOKEN checks every link", r.Namespace, ep, r.PathPrefix, r.Namespace)
	}
	if r.IsAgentCoreGateway() {
		return fmt.Sprintf("kubectl agentcore invoke -n %s --mcp   # initialize + tools/list through http://%s%s; doctor -n %s --probe checks every link", r.Namespace, ep, r.PathPrefix, r.Namespace)
	}
	if r.Mode.CallerToken() {
		return fmt.Sprintf("kubectl agentcore invoke -n %s --bearer-from env:CALLER_TOKEN 'hello'   # a caller's token through http://%s%s; doctor -n %s --token-from env:CALLER_TOKEN checks it against the gateway and the runtime", r.Namespace, ep, r.PathPrefix, r.Namespace)
	}
	return fmt.Sprintf("kubectl agentcore doctor -n %s --probe   # or: curl -X POST http://%s%s -H 'Content-Type: application/json' -d '{\"prompt\":\"hello\"}'", r.Namespace, ep, r.PathPrefix)
}

// runMachine converges identity (b), a Cognito machine client: pool, resource server and scopes, domain and app
// client (the record says which of them the wizard created, before the token is minted, so teardown finds them
// even when minting fails), the client secret into the credentials Secret, then a token by client credentials at
// the domain's /oauth2/token (or --token-url), unless the live Secret holds one the authorizer still accepts.
func runMachine(ctx context.Context, env *Env, cfg *Config, rec *setup.Record, res *Result, creds *setup.Credentials, az types.AuthorizerConfiguration) (string, error) {
	spec := MachineSpec(cfg.Answers, *rec)
	if err := recordPoolIntent(ctx, env, rec, res, awsops.IdentitySpec{PoolName: spec.PoolName, PoolID: spec.PoolID}); err != nil {
		return "", err
	}
	id, err := env.Cognito.EnsureMachine(ctx, spec)
	if id.Pool.ID != "" && (rec.UserPoolID == "" || rec.UserPoolID == id.Pool.ID) {
		// Record what exists so far, also when a later call failed: teardown removes what the wizard created.
		switch {
		case id.CreatedPool:
			rec.CreatedUserPool = true
		case rec.CreatingUserPool != "" && rec.CreatingUserPool == id.Pool.Name && rec.UserPoolID == "" && taggedByWizard(ctx, env, id.Pool.ID):
			rec.CreatedUserPool = true
		}
		rec.CreatingUserPool = ""
		rec.UserPoolID, rec.UserPoolName = id.Pool.ID, id.Pool.Name
		rec.Issuer = id.Issuer
		rec.DiscoveryURL = awsops.DiscoveryURL(id.Issuer)
		rec.CreatedResourceServer = rec.CreatedResourceServer || id.CreatedResourceServer
		if id.Domain != "" {
			rec.Domain = id.Domain
			rec.CreatedDomain = rec.CreatedDomain || id.CreatedDomain
		}
		if id.Client.ID != "" {
			rec.CreatedClient = id.CreatedClient || rec.CreatedClient && rec.ClientID == id.Client.ID
			rec.ClientID = id.Client.ID
		}
		if cfg.Answers.TokenURL == "" && id.TokenURL != "" {
			rec.TokenURL = id.TokenURL
		}
		rec.AllowedClients = nil
		if serr := saveRecord(ctx, env, rec, res, true); serr != nil && err == nil {
			err = serr
		}
	} else if id.Pool.ID != "" {
		rec.CreatedUserPool = false // another pool than the recorded one: not ours to delete
	}
	for _, st := range id.Steps {
		target := st.Resource + " " + st.Name
		if st.ID != "" {
			target += " (" + st.ID + ")"
		}
		res.add(StepIdentity, st.Action, target, st.Detail)
	}
	if err != nil {
		return "", err
	}
	if err := env.checkpoint(CheckpointUserPool); err != nil {
		return "", err
	}
	if next := (setup.Credentials{ClientSecret: id.Client.Secret}); next != *creds {
		if err := setup.SaveCredentials(ctx, env.Kube, rec, next); err != nil {
			return "", err
		}
		res.add(StepIdentity, actionFor(creds.Empty()), "Secret "+k8sres.Ref(rec.Namespace, rec.CredentialsName()), "client secret")
		*creds = next
	}
	if err := env.checkpoint(CheckpointIdentity); err != nil {
		return "", err
	}
	want, _ := DesiredAuthorizer(*rec, env.Cognito, nil)
	if cfg.Answers.SkipAuthorizer {
		want = az
	}
	if live := getLive(ctx, env, tokenSecretRef(*rec)); reusableToken(live, want, id.Issuer, env.now()) {
		return secretToken(live), nil
	}
	env.emit(StepIdentity, "running", "minting a token by client credentials at "+rec.TokenURL)
	m, err := clientcreds.Mint(ctx, clientcreds.Request{TokenURL: rec.TokenURL, ClientID: rec.ClientID, ClientSecret: creds.ClientSecret,
		Scopes: rec.TokenScopes, AuthMethod: rec.AuthMethod, HTTP: env.HTTP})
	if err != nil {
		return "", fmt.Errorf("minting a token for app client %s at %s: %w", rec.ClientID, rec.TokenURL, err)
	}
	return m.Token, nil
}
