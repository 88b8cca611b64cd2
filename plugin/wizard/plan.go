package wizard

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

type k8sresGVK = schema.GroupVersionKind

// Plan is what the wizard will do, before anything is done.
type Plan struct {
	Mode       string `json:"mode"`
	Gateway    string `json:"gateway"`
	Endpoint   string `json:"gatewayEndpoint,omitempty"`
	RuntimeARN string `json:"runtimeArn"`
	// Target is runtime or agentcore-gateway; AgentCoreGateway the gateway's ARN (or id) and MCPURL its MCP URL.
	Target           string `json:"target"`
	AgentCoreGateway string `json:"agentCoreGateway,omitempty"`
	MCPURL           string `json:"mcpUrl,omitempty"`
	// AuthorizerTypeCurrent is an AgentCore Gateway's authorizer type now (CUSTOM_JWT, AWS_IAM, NONE).
	AuthorizerTypeCurrent string      `json:"authorizerTypeCurrent,omitempty"`
	Flavor                string      `json:"flavor"`
	Items                 []plan.Item `json:"items"`
	// AuthorizerCurrent and AuthorizerProposed are JSON as the AWS CLI shows it ("null" = IAM only).
	AuthorizerCurrent  string   `json:"authorizerCurrent"`
	AuthorizerProposed string   `json:"authorizerProposed"`
	Warnings           []string `json:"warnings,omitempty"`
	Changes            int      `json:"changes"`
}

func (p *Plan) add(it plan.Item) {
	p.Items = append(p.Items, it)
	if it.Action.Changes() {
		p.Changes++
	}
}

// objectState is a desired object compared with the live one.
type objectState struct {
	desired *unstructured.Unstructured
	live    *unstructured.Unstructured
	action  plan.Action
	diff    string
}

// compare finds the live object and, when the namespace exists, asks the API server for a dry-run apply to
// validate the object strictly and to see whether applying would change anything.
func compare(ctx context.Context, env *Env, desired *unstructured.Unstructured, nsExists bool) (objectState, error) {
	st := objectState{desired: desired}
	ri, _, err := env.Applier.Resource(desired.GroupVersionKind(), desired.GetNamespace())
	if err != nil {
		return st, err
	}
	if !nsExists && desired.GetNamespace() != "" {
		st.action = plan.Create // nothing can exist in a namespace that does not
		return st, nil
	}
	live, err := ri.Get(ctx, desired.GetName(), metav1.GetOptions{})
	switch {
	case err == nil:
		st.live = live
	case apierrors.IsNotFound(err):
	default:
		return st, k8sres.Explain(fmt.Sprintf("reading %s %s", desired.GetKind(), ref(desired)), err)
	}
	dry, err := env.Applier.Apply(ctx, desired, true)
	if err != nil {
		return st, err
	}
	switch {
	case st.live == nil:
		st.action = plan.Create
	case sameContent(st.live, dry):
		st.action = plan.Unchanged
	default:
		st.action = plan.Update
		st.diff = diff(st.live, dry)
	}
	return st, nil
}

func ref(o *unstructured.Unstructured) string { return k8sres.Ref(o.GetNamespace(), o.GetName()) }

// content is what the wizard owns in an object: everything but metadata (labels and annotations kept) and status.
func content(o *unstructured.Unstructured) map[string]any {
	c := map[string]any{}
	for k, v := range o.Object {
		switch k {
		case "metadata", "status", "apiVersion", "kind":
			continue
		}
		c[k] = v
	}
	c["labels"] = o.GetLabels()
	if a := o.GetAnnotations(); len(a) > 0 {
		c["annotations"] = a
	}
	if o.GetKind() == "Secret" {
		delete(c, "stringData")
	}
	return c
}

func sameContent(a, b *unstructured.Unstructured) bool {
	ca, cb := content(a), content(b)
	if a.GetKind() == "ConfigMap" && a.GetLabels()[setup.LabelComponent] == setup.ComponentRecord {
		// The record's timestamp alone is no change.
		for _, c := range []map[string]any{ca, cb} {
			if d, ok := c["data"].(map[string]any); ok {
				d = copyMap(d)
				delete(d, "updatedAt")
				c["data"] = d
			}
		}
	}
	return reflect.DeepEqual(normalize(ca), normalize(cb))
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// normalize round-trips through YAML so int64/float64 and nil-vs-empty differences do not count.
func normalize(v any) any {
	b, _ := yaml.Marshal(v)
	var out any
	_ = yaml.Unmarshal(b, &out)
	return out
}

// diff is a unified diff of the owned content, with Secret values masked.
func diff(live, next *unstructured.Unstructured) string {
	mask := func(o *unstructured.Unstructured) string {
		c := content(o)
		if o.GetKind() == "Secret" {
			if d, ok := c["data"].(map[string]any); ok {
				m := map[string]any{}
				for k, v := range d {
					s, _ := v.(string)
					m[k] = fmt.Sprintf("••••••(%d bytes, sha %x)", len(s), shortHash(s))
				}
				c["data"] = m
			}
		}
		b, _ := yaml.Marshal(c)
		return string(b)
	}
	return udiff.Unified("live", "proposed", mask(live), mask(next))
}

func shortHash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// secretToken reads "Bearer <token>" from a live token Secret.
func secretToken(o *unstructured.Unstructured) string {
	v, _, _ := unstructured.NestedString(o.Object, "data", setup.SecretKey)
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return bearer.Token(string(b))
}

// BuildPlan computes the plan: AWS calls (identity, authorizer) and every Kubernetes object with create / update /
// unchanged / delete. It only reads (the API server's dry-run apply validates each object).
func BuildPlan(ctx context.Context, env *Env, s *Session) (*Plan, error) {
	cfg := s.Cfg
	p := &Plan{Mode: string(cfg.Mode), Gateway: cfg.Gateway(), Endpoint: s.Gateway.Endpoint(), RuntimeARN: cfg.ARN.String(),
		Target: cmp.Or(cfg.Target, setup.TargetRuntime), Flavor: s.Kinds.Flavor(), Warnings: append([]string(nil), s.Warnings...)}
	rec := s.Record
	if cfg.IsAgentCoreGateway() {
		p.RuntimeARN, p.AgentCoreGateway, p.MCPURL = "", cfg.TargetRef(), cfg.MCPURL
	}

	// ③ Identity
	switch {
	case cfg.Mode.CallerToken():
		for _, it := range callerParties(cfg, rec) {
			p.add(it)
		}
	case !cfg.Mode.UsesToken():
		p.add(plan.Item{Step: StepIdentity, Kind: plan.KindAWS, Action: plan.Skip, Target: "identity", Detail: "sigv4: the proxy signs with its own AWS credentials; no Cognito, no token Secret"})
	case cfg.Answers.Identity == IdentityExternal:
		d := "token from --token-file"
		if m := cfg.Minted; m != nil {
			d = fmt.Sprintf("token minted by client credentials at %s (client %s, %s); authorizer from the token: %s",
				m.TokenURL, m.ClientID, m.AuthMethod, AuthorizerChoice(cfg.ExternalToken))
		}
		if cfg.ExternalToken == "" {
			d = "no token given: the Secret gets a placeholder until you put a token in it"
		}
		idp := rec.Issuer
		if idp == "" {
			idp = rec.DiscoveryURL
		}
		p.add(plan.Item{Step: StepIdentity, Kind: plan.KindAWS, Action: plan.Skip, Target: "external identity provider " + idp, Detail: d})
	default:
		var steps []awsops.PlanStep
		var err error
		if cfg.Answers.Identity == IdentityCognitoMachine {
			steps, err = env.Cognito.PlanMachine(ctx, MachineSpec(cfg.Answers, rec))
		} else {
			steps, err = env.Cognito.PlanIdentity(ctx, identitySpec(cfg, rec, s.Creds))
		}
		if err != nil {
			return nil, err
		}
		for _, st := range steps {
			target := st.Resource + " " + st.Name
			if st.ID != "" {
				target += " (" + st.ID + ")"
			}
			p.add(plan.Item{Step: StepIdentity, Kind: plan.KindAWS, Action: st.Action, Target: target, Call: st.Call, Detail: st.Detail})
			if st.Resource == "user-pool" && st.ID != "" && rec.UserPoolID == "" {
				rec.UserPoolID = st.ID
			}
			if st.Resource == "app-client" && st.ID != "" && rec.ClientID == "" {
				rec.ClientID = st.ID
			}
		}
		if rec.UserPoolID != "" && rec.Issuer == "" {
			rec.Issuer = env.Cognito.Issuer(rec.UserPoolID)
			rec.DiscoveryURL = awsops.DiscoveryURL(rec.Issuer)
		}
		if err := planSharedPassword(ctx, env, p, rec, steps); err != nil {
			return nil, err
		}
	}

	// ④ Authorizer
	current := s.currentAuthorizer()
	p.AuthorizerCurrent = authorizerJSON(current)
	// The target's one authorizer serves the other setups that lead there too, when it can (sharedtarget.go); a
	// list that fails is left to the run, which lists again before it changes anything. An app client still to be
	// created in a pool that exists is a placeholder in the proposal: the pool's discovery URL is known, so the
	// plan can show the authorizer and join it with the other setups'.
	azRec := rec
	if azRec.UserPoolID != "" && azRec.ClientID == "" && (rec.IdentityProvider == setup.IdPCognito || rec.IdentityProvider == setup.IdPCognitoMachine) {
		azRec.ClientID = newClientPlaceholder
	}
	share, _ := shareTarget(ctx, env, azRec, current)
	proposed, known := share.want, share.known
	target, call := cfg.TargetLabel()+" authorizer", "GetAgentRuntime, UpdateAgentRuntime (every other field kept), wait READY"
	typeChange := ""
	if g := s.AgentCoreGateway; g != nil {
		call = "GetGateway, UpdateGateway (every other field kept), wait READY"
		p.AuthorizerTypeCurrent = string(g.AuthorizerType)
		if g.AuthorizerType != types.AuthorizerTypeCustomJwt {
			typeChange = fmt.Sprintf("authorizer type %s → CUSTOM_JWT (changed only when you confirm the plan: --yes, or enter on the plan page)", g.AuthorizerType)
		}
	}
	switch {
	case cfg.Answers.SkipAuthorizer:
		p.AuthorizerProposed = p.AuthorizerCurrent
		p.add(plan.Item{Step: StepAuthorizer, Kind: plan.KindAWS, Action: plan.Skip, Target: target, Detail: "--skip-authorizer"})
	case !known:
		p.Warnings = append(p.Warnings, share.warnings(rec)...)
		p.AuthorizerProposed = `{"customJWTAuthorizer":{"discoveryUrl":"<issuer of the new user pool>/.well-known/openid-configuration","allowedAudience":["` + newClientPlaceholder + `"]}}`
		p.add(plan.Item{Step: StepAuthorizer, Kind: plan.KindAWS, Action: plan.Update, Target: target,
			Call: call, Detail: plan.JoinDetail("point the JWT authorizer at the new pool", typeChange),
			Diff: udiff.Unified("current", "proposed", indentJSON(p.AuthorizerCurrent), indentJSON(p.AuthorizerProposed))})
	default:
		p.AuthorizerProposed = authorizerJSON(proposed)
		if w := unreachableIdP(proposed, env); w != "" {
			p.Warnings = append(p.Warnings, w)
		}
		kept := ""
		if names := awsops.UnmanagedSettings(proposed); len(names) > 0 {
			kept = "keeps " + strings.Join(names, ", ") + " as set outside the wizard"
		}
		if typeChange == "" && awsops.AuthorizerEqual(current, proposed) {
			p.add(plan.Item{Step: StepAuthorizer, Kind: plan.KindAWS, Action: plan.Unchanged, Target: target})
		} else {
			it := plan.Item{Step: StepAuthorizer, Kind: plan.KindAWS, Action: plan.Update, Target: target, Call: call, Detail: plan.JoinDetail(share.sharedWith(), plan.JoinDetail(kept, typeChange)),
				Diff: udiff.Unified("current", "proposed", indentJSON(p.AuthorizerCurrent), indentJSON(p.AuthorizerProposed))}
			p.Warnings = append(p.Warnings, share.warnings(rec)...)
			if proposed == nil {
				it.Detail = "sigv4 needs the runtime to accept IAM: the JWT authorizer is removed (pass --skip-authorizer to keep it)"
				p.Warnings = append(p.Warnings, "the runtime's JWT authorizer will be removed (sigv4 mode): bearer-token callers will get 403 afterwards")
			}
			p.add(it)
		}
	}

	// ⑤ ⑥ Kubernetes objects
	if !s.NamespaceExists {
		p.add(plan.Item{Step: StepResources, Kind: plan.KindKubernetes, Action: plan.Create, Target: "Namespace " + cfg.Namespace})
	}
	objs, err := k8sres.BuildManifests(s.manifestSpec(rec, ""))
	if err != nil {
		return nil, err
	}
	desiredAz := proposed
	if cfg.Answers.SkipAuthorizer {
		desiredAz = current
	}
	for _, o := range objs {
		st, err := compare(ctx, env, o, s.NamespaceExists)
		if err != nil {
			return nil, err
		}
		it := plan.Item{Step: stepOf(rec, o), Kind: plan.KindKubernetes, Action: st.action, Target: o.GetKind() + " " + ref(o), Diff: st.diff}
		if cfg.Mode == setup.ModePassthrough && o.GetName() == rec.JWTPolicyName && strings.HasSuffix(o.GetKind(), "Policy") {
			// said where the policy is, not as a warning on every passthrough plan
			it.Detail = "validates the callers' tokens; backend.auth.passthrough re-sends only a token this policy validated (teardown removes both)"
		}
		if o.GetKind() == "Secret" && o.GetName() == rec.ExchangeSecretName && cfg.Mode == setup.ModeExchange {
			it.Diff = ""
			it.Detail = "the token service client's secret (key " + k8sres.ExchangeSecretKey + "), read by clientAuth.secretRef"
			if cfg.ExchangeClientSecret == "" {
				it.Detail += "; not read yet (--exchange-client-secret-from)"
			}
		} else if o.GetKind() == "Secret" {
			it.Diff = ""
			switch {
			case cfg.Answers.Identity == IdentityExternal && cfg.ExternalToken == "":
				if st.live != nil && secretToken(st.live) != "" {
					it.Action, it.Detail = plan.Unchanged, "keeps the token it holds"
				} else {
					it.Detail = "placeholder token: put yours in with kubectl agentcore rotate or kubectl create secret"
				}
			case known && reusableToken(st.live, desiredAz, issuerOf(rec, env), env.now()):
				it.Action, it.Detail = plan.Unchanged, "holds a valid token for this client (kubectl agentcore rotate refreshes it)"
			default:
				if st.live != nil {
					it.Action = plan.Update
				}
				it.Detail = "Authorization: Bearer <a fresh " + string(cfg.TokenUse) + " token>"
			}
		}
		p.add(it)
	}
	stale, err := staleObjects(ctx, env, rec, objs, s.NamespaceExists)
	if err != nil {
		return nil, err
	}
	for _, o := range stale {
		p.add(plan.Item{Step: StepResources, Kind: plan.KindKubernetes, Action: plan.Delete, Target: o.GetKind() + " " + ref(o), Detail: "no longer part of this setup"})
	}
	recState, err := recordState(ctx, env, s, rec)
	if err != nil {
		return nil, err
	}
	p.add(plan.Item{Step: StepResources, Kind: plan.KindKubernetes, Action: recState, Target: "ConfigMap " + rec.Ref(), Detail: "setup record for doctor, rotate and teardown"})
	if cfg.Mode.UsesToken() && (cfg.Answers.Identity == IdentityCognito || cfg.Answers.Identity == IdentityCognitoMachine) {
		act := plan.Unchanged
		if s.Creds.Empty() {
			act = plan.Create
		}
		d := "client secret, password and refresh token for rotate"
		if cfg.Answers.Identity == IdentityCognitoMachine {
			d = "client secret for rotate (it mints by client credentials at the domain's /oauth2/token)"
		}
		p.add(plan.Item{Step: StepIdentity, Kind: plan.KindKubernetes, Action: act, Target: "Secret " + k8sres.Ref(rec.Namespace, rec.CredentialsName()), Detail: d})
	}
	stepOrder(p.Items)
	return p, nil
}

// callerParties are the plan lines of the caller-token modes: who must accept what. The caller's IdP issues the
// callers' tokens, which the gateway validates; in exchange the token service trades them for tokens the runtime's
// authorizer (step ④) accepts.
func callerParties(cfg *Config, rec setup.Record) []plan.Item {
	jwks := ""
	if d := cfg.CallerDiscovery; d != nil {
		jwks = ", keys from " + d.JWKSURI
	}
	caller := plan.Item{Step: StepIdentity, Kind: plan.KindAWS, Action: plan.Skip, Target: "callers' identity provider " + cmp.Or(rec.CallerIssuer, rec.CallerDiscoveryURL),
		Detail: fmt.Sprintf("callers bring their own tokens; the gateway (AgentgatewayPolicy %s, traffic.jwtAuthentication) accepts iss %q and aud %s%s",
			rec.JWTPolicyName, rec.CallerIssuer, strings.Join(rec.CallerAudiences, " or "), jwks)}
	if cfg.Mode == setup.ModePassthrough {
		caller.Detail += "; backend.auth.passthrough sends the validated token on, so " + rec.TargetNoun() + "'s authorizer must trust the same issuer and audience (④)"
		return []plan.Item{caller}
	}
	client := cmp.Or(rec.ExchangeClientID, "<--exchange-client-id>")
	scopes := ""
	if len(rec.ExchangeScopes) > 0 {
		scopes = ", scopes " + strings.Join(rec.ExchangeScopes, " ")
	}
	ts := plan.Item{Step: StepIdentity, Kind: plan.KindAWS, Action: plan.Skip, Target: "token service " + cmp.Or(rec.Issuer, rec.ExchangeDiscoveryURL),
		Detail: fmt.Sprintf("the gateway exchanges each caller's token (RFC 8693, backend.auth.oauthTokenExchange) at %s as client %s (%s) for audience %s%s; the token service must let this client exchange subject tokens issued by %q and issue tokens with iss %q and aud %s, which %s's authorizer accepts (④)",
			cmp.Or(rec.ExchangeTokenURL, "<token endpoint>"), client, cmp.Or(rec.ExchangeAuthMethod, "basic"), rec.ExchangeAudience, scopes, rec.CallerIssuer, rec.Issuer, rec.ExchangeAudience, rec.TargetNoun())}
	return []plan.Item{caller, ts}
}

func issuerOf(r setup.Record, env *Env) string {
	if (r.IdentityProvider == setup.IdPCognito || r.IdentityProvider == setup.IdPCognitoMachine) && r.UserPoolID != "" && env.Cognito != nil {
		return env.Cognito.Issuer(r.UserPoolID)
	}
	return ""
}

func stepOf(r setup.Record, o *unstructured.Unstructured) string {
	switch {
	case o.GetKind() == k8sres.GVKRateLimitConfig.Kind,
		o.GetKind() == r.PolicyKind && o.GetName() == r.TrafficPolicyName && r.TrafficPolicyName != "":
		return StepOptions
	}
	return StepResources
}

// stepOrder sorts plan items by step (stable within a step).
func stepOrder(items []plan.Item) {
	rank := map[string]int{}
	for i, s := range Steps {
		rank[s.Name] = i
	}
	sort.SliceStable(items, func(i, j int) bool { return rank[items[i].Step] < rank[items[j].Step] })
}

func recordState(ctx context.Context, env *Env, s *Session, rec setup.Record) (plan.Action, error) {
	if !s.NamespaceExists {
		return plan.Create, nil
	}
	st, err := compare(ctx, env, toUnstructured(rec.ConfigMap()), true)
	if err != nil {
		return "", err
	}
	return st.action, nil
}

// OwnedKinds are the kinds of the objects the wizard writes (teardown deletes them by label).
var OwnedKinds = staleKinds

// staleKinds are the kinds the wizard may have written in an earlier run.
var staleKinds = []schema.GroupVersionKind{
	k8sres.GVKBackend, k8sres.GVKEnterpriseBackend, k8sres.GVKPolicy, k8sres.GVKEnterprisePolicy, k8sres.GVKRateLimitConfig,
	k8sres.GVKHTTPRoute, {Version: "v1", Kind: "Secret"},
}

// staleObjects lists objects labelled as this setup's that the desired set no longer has (e.g. after a mode
// change), except the record's own objects.
func staleObjects(ctx context.Context, env *Env, rec setup.Record, desired []*unstructured.Unstructured, nsExists bool) ([]*unstructured.Unstructured, error) {
	if !nsExists {
		return nil, nil
	}
	want := map[string]bool{}
	for _, o := range desired {
		want[o.GetKind()+"/"+o.GetName()] = true
	}
	want["Secret/"+rec.CredentialsName()] = true
	var out []*unstructured.Unstructured
	sel := setup.LabelSetup + "=" + rec.SetupLabel()
	for _, gvk := range staleKinds {
		ri, _, err := env.Applier.Resource(gvk, rec.Namespace)
		if err != nil {
			continue // kind not served
		}
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
				continue
			}
			return nil, k8sres.Explain("listing "+gvk.Kind+" in "+rec.Namespace, err)
		}
		for i := range list.Items {
			o := &list.Items[i]
			if o.GetLabels()[setup.LabelComponent] == setup.ComponentRecord || want[o.GetKind()+"/"+o.GetName()] {
				continue
			}
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetKind()+out[i].GetName() < out[j].GetKind()+out[j].GetName() })
	return out, nil
}

func authorizerJSON(a types.AuthorizerConfiguration) string {
	b, err := awsops.AuthorizerToJSON(a)
	if err != nil {
		return fmt.Sprintf("%q", err.Error())
	}
	return string(b)
}

func indentJSON(s string) string {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil || v == nil {
		return s + "\n"
	}
	b, _ := yaml.Marshal(v)
	return string(b)
}

func identitySpec(cfg *Config, rec setup.Record, creds setup.Credentials) awsops.IdentitySpec {
	a := cfg.Answers
	return awsops.IdentitySpec{
		PoolName: rec.UserPoolName, PoolID: a.UserPoolID,
		Pool:     awsops.PoolOptions{Tags: map[string]string{PoolTagKey: PoolTagValue}},
		Client:   awsops.ClientSpec{Name: clientName(a, rec)},
		ClientID: a.ClientID, Username: rec.Username, Password: creds.Password,
	}
}

func clientName(a Answers, _ setup.Record) string {
	if a.ClientName != "" {
		return a.ClientName
	}
	return setup.DefaultClientName
}

// AuthorizerChoice says which claim of a minted token the authorizer is derived from, and why not the others.
func AuthorizerChoice(raw string) string {
	t, err := tokencheck.Parse(raw)
	if err != nil {
		return "unknown (the token does not parse)"
	}
	az := tokencheck.SuggestAuthorizer(t)
	other := ""
	for _, c := range []string{"azp", "cid", "appid"} {
		if v, ok := t.Claims[c].(string); ok && v != "" {
			other += fmt.Sprintf("; %s=%s is not read by the authorizer (allowedClients checks client_id)", c, v)
		}
	}
	switch {
	case az == nil:
		return "none (the token has no iss)"
	case len(az.AllowedAudience) > 0:
		return "allowedAudience=[" + az.AllowedAudience[0] + "] (aud)" + other
	case len(az.AllowedClients) > 0:
		return "allowedClients=[" + az.AllowedClients[0] + "] (client_id; the token has no aud)" + other
	}
	return "none (the token has neither aud nor client_id)" + other
}

// unreachableIdP is the plan's warning when the proposed authorizer names no privateEndpoint and AgentCore, on
// AWS's network, could not reach its identity provider (awsops.UnreachableIdP, as doctor's
// authorizer.private-endpoint says afterwards). A local AgentCore (the sandbox's) reaches it: no warning.
func unreachableIdP(proposed types.AuthorizerConfiguration, env *Env) string {
	az := tokencheck.AuthorizerFromSDK(proposed) // Private() is doctor's rule for "a privateEndpoint reaches it"
	if az == nil || az.Private() || env.AgentCore != nil && awsops.LocalEndpoint(env.AgentCore.API) {
		return ""
	}
	if w := awsops.UnreachableIdP(az.DiscoveryURL); w != "" {
		return w + ". " + awsops.UnreachableIdPFix
	}
	return ""
}

// newClientPlaceholder stands for the id of an app client the run creates, in the plan's proposed authorizer.
const newClientPlaceholder = "<id of the new app client>"
