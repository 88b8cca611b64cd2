package awsops

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
)

// Runtime statuses (docs/facts.md#agentcore-control-plane).
const (
	StatusCreating     = string(types.AgentRuntimeStatusCreating)
	StatusCreateFailed = string(types.AgentRuntimeStatusCreateFailed)
	StatusUpdating     = string(types.AgentRuntimeStatusUpdating)
	StatusUpdateFailed = string(types.AgentRuntimeStatusUpdateFailed)
	StatusReady        = string(types.AgentRuntimeStatusReady)
	StatusDeleting     = string(types.AgentRuntimeStatusDeleting)
)

// AgentCoreAPI is the part of the bedrockagentcorecontrol client the plugin uses (tests may wrap it).
type AgentCoreAPI interface {
	ListAgentRuntimes(ctx context.Context, in *bedrockagentcorecontrol.ListAgentRuntimesInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.ListAgentRuntimesOutput, error)
	GetAgentRuntime(ctx context.Context, in *bedrockagentcorecontrol.GetAgentRuntimeInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.GetAgentRuntimeOutput, error)
	UpdateAgentRuntime(ctx context.Context, in *bedrockagentcorecontrol.UpdateAgentRuntimeInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.UpdateAgentRuntimeOutput, error)
}

// AgentCore talks to the AgentCore control plane.
type AgentCore struct {
	API AgentCoreAPI
	// PollInterval is how often WaitReady asks for the status (default 5s).
	PollInterval time.Duration
	// WaitTimeout bounds WaitReady (default 10m).
	WaitTimeout time.Duration
}

// NewAgentCore makes a control-plane client from an AWS config. The standard endpoint overrides
// (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL, AWS_ENDPOINT_URL, cfg.BaseEndpoint) apply.
func NewAgentCore(cfg aws.Config, optFns ...func(*bedrockagentcorecontrol.Options)) *AgentCore {
	return &AgentCore{API: bedrockagentcorecontrol.NewFromConfig(cfg, optFns...)}
}

func (a *AgentCore) poll() time.Duration {
	if a.PollInterval > 0 {
		return a.PollInterval
	}
	return 5 * time.Second
}

func (a *AgentCore) timeout() time.Duration {
	if a.WaitTimeout > 0 {
		return a.WaitTimeout
	}
	return 10 * time.Minute
}

// Runtime is what the plugin shows about one AgentCore runtime.
type Runtime struct {
	Name          string    `json:"name"`
	ID            string    `json:"id"`
	ARN           string    `json:"arn"`
	Status        string    `json:"status"`
	Version       string    `json:"version,omitempty"`
	Description   string    `json:"description,omitempty"`
	LastUpdatedAt time.Time `json:"lastUpdatedAt,omitzero"`
	FailureReason string    `json:"failureReason,omitempty"`
	// Authorizer is the current authorizer; nil means IAM (SigV4) only. Filled by GetRuntime and by
	// ListRuntimes with WithAuthorizers.
	Authorizer types.AuthorizerConfiguration `json:"-"`
	// AuthorizerLoaded says whether Authorizer was read (ListRuntimes without WithAuthorizers leaves it false).
	AuthorizerLoaded bool `json:"-"`
	// AuthorizerError is set when ListRuntimes could not read this runtime's authorizer.
	AuthorizerError string `json:"authorizerError,omitempty"`
}

// AuthorizerMode is "jwt" or "iam" (no JWT authorizer), "" when not loaded.
func (r Runtime) AuthorizerMode() string {
	if !r.AuthorizerLoaded {
		return ""
	}
	if r.Authorizer == nil {
		return "iam"
	}
	return "jwt"
}

// MarshalJSON adds the authorizer as the AWS CLI prints it ("authorizer": null for IAM only) and
// "authorizerMode" when it was loaded.
func (r Runtime) MarshalJSON() ([]byte, error) {
	type plain Runtime
	out := struct {
		plain
		AuthorizerMode string          `json:"authorizerMode,omitempty"`
		Authorizer     json.RawMessage `json:"authorizer,omitempty"`
	}{plain: plain(r), AuthorizerMode: r.AuthorizerMode()}
	if r.AuthorizerLoaded {
		raw, err := AuthorizerToJSON(r.Authorizer)
		if err != nil {
			return nil, err
		}
		out.Authorizer = raw
	}
	return json.Marshal(out)
}

// ListOptions tune ListRuntimes.
type ListOptions struct {
	// WithAuthorizers reads each runtime's authorizer (one GetAgentRuntime per runtime, 8 at a time).
	WithAuthorizers bool
	// PageSize is maxResults per page (1..100; default 100).
	PageSize int32
}

// ListRuntimes lists every runtime in the region, following nextToken to the end.
func (a *AgentCore) ListRuntimes(ctx context.Context, o ListOptions) ([]Runtime, error) {
	size := o.PageSize
	if size <= 0 || size > 100 {
		size = 100
	}
	var out []Runtime
	p := bedrockagentcorecontrol.NewListAgentRuntimesPaginator(a.API, &bedrockagentcorecontrol.ListAgentRuntimesInput{MaxResults: aws.Int32(size)},
		func(po *bedrockagentcorecontrol.ListAgentRuntimesPaginatorOptions) { po.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing AgentCore runtimes: %w", ExplainAgentCore(err))
		}
		for _, r := range page.AgentRuntimes {
			out = append(out, Runtime{
				Name:          aws.ToString(r.AgentRuntimeName),
				ID:            aws.ToString(r.AgentRuntimeId),
				ARN:           aws.ToString(r.AgentRuntimeArn),
				Status:        string(r.Status),
				Version:       aws.ToString(r.AgentRuntimeVersion),
				Description:   aws.ToString(r.Description),
				LastUpdatedAt: aws.ToTime(r.LastUpdatedAt),
			})
		}
	}
	if !o.WithAuthorizers || len(out) == 0 {
		return out, nil
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range out {
		wg.Add(1)
		go func(r *Runtime) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			g, err := a.API.GetAgentRuntime(ctx, &bedrockagentcorecontrol.GetAgentRuntimeInput{AgentRuntimeId: aws.String(r.ID)})
			if err != nil {
				r.AuthorizerError = ExplainAgentCore(err).Error()
				return
			}
			r.Authorizer, r.AuthorizerLoaded = g.AuthorizerConfiguration, true
			r.FailureReason = aws.ToString(g.FailureReason)
		}(&out[i])
	}
	wg.Wait()
	return out, nil
}

// RuntimeFromGet summarises a GetAgentRuntime answer.
func RuntimeFromGet(g *bedrockagentcorecontrol.GetAgentRuntimeOutput) Runtime {
	return Runtime{
		Name:             aws.ToString(g.AgentRuntimeName),
		ID:               aws.ToString(g.AgentRuntimeId),
		ARN:              aws.ToString(g.AgentRuntimeArn),
		Status:           string(g.Status),
		Version:          aws.ToString(g.AgentRuntimeVersion),
		Description:      aws.ToString(g.Description),
		LastUpdatedAt:    aws.ToTime(g.LastUpdatedAt),
		FailureReason:    aws.ToString(g.FailureReason),
		Authorizer:       g.AuthorizerConfiguration,
		AuthorizerLoaded: true,
	}
}

// RuntimeIDFrom accepts a runtime id or a runtime ARN and returns the id.
func RuntimeIDFrom(idOrARN string) (string, error) {
	return idFrom(idOrARN, "runtime", isRuntimeID, "<name>-<10 alphanumerics>", func(s string) (string, error) {
		a, err := ParseRuntimeARN(s)
		return a.RuntimeID, err
	})
}

// GetRuntime reads one runtime's full description (id or ARN).
func (a *AgentCore) GetRuntime(ctx context.Context, idOrARN string) (*bedrockagentcorecontrol.GetAgentRuntimeOutput, error) {
	id, err := RuntimeIDFrom(idOrARN)
	if err != nil {
		return nil, err
	}
	g, err := a.API.GetAgentRuntime(ctx, &bedrockagentcorecontrol.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("reading AgentCore runtime %s: %w", id, ExplainAgentCore(err))
	}
	return g, nil
}

// UpdateFieldsNotFromGet are the UpdateAgentRuntimeInput fields that UpdateInputFromGet deliberately does not
// take from GetAgentRuntimeOutput, with the reason. Every other field of UpdateAgentRuntimeInput must have a
// same-named, same-typed field in GetAgentRuntimeOutput and is copied (a test enforces this, so an SDK upgrade
// that adds a field to the update input without a readable counterpart fails the build's tests).
var UpdateFieldsNotFromGet = map[string]string{
	"AgentRuntimeId": "path label, set from the runtime id",
	"ClientToken":    "idempotency token, fresh for each update (the SDK generates one)",
}

// UpdateInputFromGet builds an UpdateAgentRuntimeInput that re-applies everything the runtime has now. Because
// UpdateAgentRuntime replaces the whole spec (omitted optional fields are reset), every field of the update
// input that GetAgentRuntimeOutput also has is copied, by reflection, so fields added by newer SDKs are kept too.
func UpdateInputFromGet(g *bedrockagentcorecontrol.GetAgentRuntimeOutput) *bedrockagentcorecontrol.UpdateAgentRuntimeInput {
	in := &bedrockagentcorecontrol.UpdateAgentRuntimeInput{}
	copySameNamedFields(in, g, UpdateFieldsNotFromGet)
	in.AgentRuntimeId = g.AgentRuntimeId
	return in
}

// copySameNamedFields sets every exported field of *dst that *src has with the same name and an assignable type,
// except those named in skip. Update inputs replace the whole spec, so this is how fields added by newer SDKs are
// kept (runtimes and gateways alike).
func copySameNamedFields(dst, src any, skip map[string]string) {
	d := reflect.ValueOf(dst).Elem()
	s := reflect.ValueOf(src).Elem()
	for i := 0; i < d.NumField(); i++ {
		f := d.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if _, ok := skip[f.Name]; ok {
			continue
		}
		sf, ok := s.Type().FieldByName(f.Name)
		if !ok || !sf.Type.AssignableTo(f.Type) {
			continue
		}
		d.Field(i).Set(s.FieldByIndex(sf.Index))
	}
}

// SetOptions tune SetAuthorizer.
type SetOptions struct {
	// Progress is called while waiting (status, time waited so far).
	Progress func(status string, waited time.Duration)
	// NoWait returns right after the update was accepted.
	NoWait bool
}

// SetResult says what SetAuthorizer did.
type SetResult struct {
	// Changed is false when the runtime already had an equal authorizer (nothing was sent).
	Changed bool
	// Previous is the authorizer before the change (nil = IAM), for teardown's restore.
	Previous types.AuthorizerConfiguration
	// Runtime is the runtime after the update (READY) or as it was when nothing changed.
	Runtime *bedrockagentcorecontrol.GetAgentRuntimeOutput
}

// SetAuthorizer changes only the runtime's authorizer: Get, copy every field, replace the authorizer, Update,
// then wait until READY. newAuth nil switches the runtime back to IAM only. When the current authorizer already
// equals newAuth nothing is sent.
func (a *AgentCore) SetAuthorizer(ctx context.Context, idOrARN string, newAuth types.AuthorizerConfiguration, o SetOptions) (SetResult, error) {
	id, err := RuntimeIDFrom(idOrARN)
	if err != nil {
		return SetResult{}, err
	}
	var res SetResult
	res.Runtime, res.Changed, err = changeAuthorizer(ctx, authorizerChange[*bedrockagentcorecontrol.GetAgentRuntimeOutput]{
		kind: "runtime", id: id, o: o, get: a.GetRuntime, wait: a.WaitReady,
		status: func(g *bedrockagentcorecontrol.GetAgentRuntimeOutput) string { return string(g.Status) },
		update: func(ctx context.Context, g *bedrockagentcorecontrol.GetAgentRuntimeOutput) (bool, error) {
			res.Previous = g.AuthorizerConfiguration
			if AuthorizerEqual(g.AuthorizerConfiguration, newAuth) {
				return false, nil
			}
			in := UpdateInputFromGet(g)
			in.AuthorizerConfiguration = newAuth
			if _, err := a.API.UpdateAgentRuntime(ctx, in); err != nil {
				return false, fmt.Errorf("updating the authorizer of runtime %s: %w", id, ExplainAgentCore(err))
			}
			return true, nil
		},
	})
	return res, err
}

// authorizerChange is what changeAuthorizer needs of a runtime or a gateway (G: its Get output).
type authorizerChange[G any] struct {
	kind, id string // "runtime" or "gateway", and its id
	o        SetOptions
	get      func(ctx context.Context, id string) (G, error)
	wait     func(ctx context.Context, id string, progress func(string, time.Duration)) (G, error)
	status   func(G) string
	// update sees the current state (READY or failed) and sends the change; false without sending when there
	// is nothing to change.
	update func(ctx context.Context, current G) (sent bool, err error)
}

// changeAuthorizer is the flow SetAuthorizer and SetGatewayAuthorizer share: Get; wait while an operation is in
// flight; refuse one being deleted; update; wait until READY unless o.NoWait. It returns the latest state it
// read (zero when it read none) and whether an update was sent.
func changeAuthorizer[G any](ctx context.Context, c authorizerChange[G]) (G, bool, error) {
	var none G
	g, err := c.get(ctx, c.id)
	if err != nil {
		return none, false, err
	}
	switch c.status(g) {
	case StatusCreating, StatusUpdating:
		if g, err = c.wait(ctx, c.id, c.o.Progress); err != nil {
			return none, false, err
		}
	case StatusDeleting:
		return none, false, fmt.Errorf("%s %s is being deleted. Pick another %s", c.kind, c.id, c.kind)
	}
	sent, err := c.update(ctx, g)
	if err != nil || !sent || c.o.NoWait {
		return g, sent, err
	}
	final, err := c.wait(ctx, c.id, c.o.Progress)
	if err != nil {
		return g, true, err
	}
	return final, true, nil
}

// UpdateFailedError is returned when a runtime ends in UPDATE_FAILED or CREATE_FAILED, or a gateway in FAILED or
// UPDATE_UNSUCCESSFUL. Kind is "runtime" when empty.
type UpdateFailedError struct {
	Kind, RuntimeID, Status, FailureReason string
}

func (e *UpdateFailedError) Error() string {
	why := e.FailureReason
	if why == "" {
		why = "AgentCore gave no failure reason"
	}
	return fmt.Sprintf("%s %s is %s: %s. Fix the cause and run the change again (the previous settings are still recorded)", cmp.Or(e.Kind, "runtime"), e.RuntimeID, e.Status, redact.Text(why))
}

// WaitTimeoutError is returned when a runtime or gateway did not become READY in time. Kind is "runtime" when
// empty; Show is the AWS CLI command that shows it.
type WaitTimeoutError struct {
	Kind, RuntimeID, LastStatus, Show string
	Waited                            time.Duration
}

func (e *WaitTimeoutError) Error() string {
	show := cmp.Or(e.Show, "aws bedrock-agentcore-control get-agent-runtime --agent-runtime-id "+e.RuntimeID)
	return fmt.Sprintf("%s %s not READY after %s (last status %s). Check it with `%s` and rerun",
		cmp.Or(e.Kind, "runtime"), e.RuntimeID, e.Waited.Round(time.Second), e.LastStatus, show)
}

// WaitReady polls GetAgentRuntime until the status is READY. UPDATE_FAILED / CREATE_FAILED return an
// *UpdateFailedError with the FailureReason; running out of WaitTimeout returns a *WaitTimeoutError naming the last
// status. There is no SDK waiter for this.
func (a *AgentCore) WaitReady(ctx context.Context, idOrARN string, progress func(status string, waited time.Duration)) (*bedrockagentcorecontrol.GetAgentRuntimeOutput, error) {
	id, err := RuntimeIDFrom(idOrARN)
	if err != nil {
		return nil, err
	}
	w := waitTarget{kind: "runtime", id: id, show: "aws bedrock-agentcore-control get-agent-runtime --agent-runtime-id " + id}
	return waitUntilReady(ctx, a, w, progress, func(ctx context.Context) (*bedrockagentcorecontrol.GetAgentRuntimeOutput, polled, error) {
		g, err := a.API.GetAgentRuntime(ctx, &bedrockagentcorecontrol.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
		if err != nil {
			return nil, polled{}, err
		}
		st := string(g.Status)
		return g, polled{status: st, ready: st == StatusReady, failed: st == StatusUpdateFailed || st == StatusCreateFailed,
			deleting: st == StatusDeleting, reason: aws.ToString(g.FailureReason)}, nil
	})
}

// waitTarget names what waitUntilReady waits for, in its messages.
type waitTarget struct{ kind, id, show string }

// polled is what one status read saw.
type polled struct {
	status                  string
	ready, failed, deleting bool
	reason                  string
}

// waitUntilReady is the one poll loop for AgentCore resources (runtimes, gateways): it reads the status until it is
// ready, failed or deleting, retries throttling and internal errors until the deadline (a.timeout()), and reports
// progress on every read.
func waitUntilReady[T any](ctx context.Context, a *AgentCore, w waitTarget, progress func(string, time.Duration), get func(context.Context) (T, polled, error)) (T, error) {
	var zero T
	start := time.Now()
	deadline := start.Add(a.timeout())
	last := "unknown"
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("waiting for %s %s to become READY (last status %s): %w", w.kind, w.id, last, ctx.Err())
		case <-t.C:
		}
		out, p, err := get(ctx)
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && (ae.ErrorCode() == "ThrottlingException" || ae.ErrorCode() == "InternalServerException") && time.Now().Before(deadline) {
				t.Reset(a.poll())
				continue
			}
			return zero, fmt.Errorf("waiting for %s %s to become READY (last status %s): %w", w.kind, w.id, last, ExplainAgentCore(err))
		}
		last = p.status
		if progress != nil {
			progress(last, time.Since(start))
		}
		switch {
		case p.ready:
			return out, nil
		case p.failed:
			return out, &UpdateFailedError{Kind: w.kind, RuntimeID: w.id, Status: last, FailureReason: p.reason}
		case p.deleting:
			return out, fmt.Errorf("%s %s is being deleted. Pick another %s", w.kind, w.id, w.kind)
		}
		if !time.Now().Before(deadline) {
			return out, &WaitTimeoutError{Kind: w.kind, RuntimeID: w.id, LastStatus: last, Show: w.show, Waited: time.Since(start)}
		}
		next := a.poll()
		if rem := time.Until(deadline); rem < next {
			next = rem
		}
		t.Reset(next)
	}
}

// JWTConfig returns the custom JWT authorizer inside a, or nil (IAM only, or an unknown kind).
func JWTConfig(a types.AuthorizerConfiguration) *types.CustomJWTAuthorizerConfiguration {
	switch v := a.(type) {
	case *types.AuthorizerConfigurationMemberCustomJWTAuthorizer:
		return &v.Value
	}
	return nil
}

// managedJWTFields are the customJWTAuthorizer settings the plugin decides (from the setup record); every other
// one (customClaims, privateEndpoint, privateEndpointOverrides, allowedWorkloadConfiguration,
// advertisedScopeMapping, and whatever a newer SDK adds) belongs to whoever set it.
var managedJWTFields = []string{"discoveryUrl", "allowedAudience", "allowedClients", "allowedScopes"}

// WithUnmanaged is desired with the settings of current's JWT authorizer that the plugin does not manage kept
// (managedJWTFields). UpdateAgentRuntime and UpdateGateway replace the whole authorizer, so an authorizer built
// only from the record would drop, say, the privateEndpoint AgentCore reaches a private identity provider through.
// desired nil (IAM only) or current without a JWT authorizer: desired as it is.
func WithUnmanaged(current, desired types.AuthorizerConfiguration) types.AuthorizerConfiguration {
	cur, want := JWTConfig(current), JWTConfig(desired)
	if cur == nil || want == nil {
		return desired
	}
	out := *cur // every field, named here or not
	out.DiscoveryUrl, out.AllowedAudience, out.AllowedClients, out.AllowedScopes = want.DiscoveryUrl, want.AllowedAudience, want.AllowedClients, want.AllowedScopes
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: out}
}

// UnmanagedSettings names, sorted, the settings of a's JWT authorizer that the plugin does not manage and that
// are set (WithUnmanaged keeps them).
func UnmanagedSettings(a types.AuthorizerConfiguration) []string {
	if JWTConfig(a) == nil {
		return nil
	}
	raw, err := AuthorizerToJSON(a)
	if err != nil {
		return nil
	}
	var v struct {
		JWT map[string]json.RawMessage `json:"customJWTAuthorizer"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var names []string
	for k, x := range v.JWT {
		if t := bytes.TrimSpace(x); !slices.Contains(managedJWTFields, k) && len(t) > 0 && !bytes.Equal(t, []byte("null")) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// CognitoAuthorizer is the authorizer for Cognito ID tokens (docs/facts.md#jwt-authorizer): the pool's discovery URL and
// allowedAudience = [client id], no allowedClients.
func CognitoAuthorizer(issuer, clientID string) types.AuthorizerConfiguration {
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl:    aws.String(DiscoveryURL(issuer)),
		AllowedAudience: []string{clientID},
	}}
}

// DiscoveryURL is issuer + "/.well-known/openid-configuration" (no doubled slash).
func DiscoveryURL(issuer string) string {
	return strings.TrimRight(issuer, "/") + "/.well-known/openid-configuration"
}

// AuthorizerEqual reports whether two authorizers configure the same thing (nil = IAM only). Lists of strings
// compare as sets (order does not matter to AgentCore); everything else compares exactly.
func AuthorizerEqual(a, b types.AuthorizerConfiguration) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ca, errA := canonicalAuthorizer(a)
	cb, errB := canonicalAuthorizer(b)
	if errA != nil || errB != nil {
		return reflect.DeepEqual(a, b)
	}
	return ca == cb
}

func canonicalAuthorizer(a types.AuthorizerConfiguration) (string, error) {
	raw, err := AuthorizerToJSON(a)
	if err != nil {
		return "", err
	}
	v, err := decodeJSONValue(raw)
	if err != nil {
		return "", err
	}
	return canonicalJSON(sortStringLists(v))
}

func sortStringLists(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = sortStringLists(x)
		}
	case []any:
		allStrings := true
		for i, x := range t {
			t[i] = sortStringLists(x)
			if _, ok := x.(string); !ok {
				allStrings = false
			}
		}
		if allStrings {
			sort.Slice(t, func(i, j int) bool { return t[i].(string) < t[j].(string) })
		}
	}
	return v
}

// ExplainAgentCore turns an AgentCore control-plane error into one line with what to do next.
func ExplainAgentCore(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return Explain(err)
	}
	msg := redact.Text(ae.ErrorMessage())
	if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	switch ae.ErrorCode() {
	case "ValidationException":
		return explain.New(err, fmt.Sprintf("AgentCore rejected the request (ValidationException): %s Check the values (discovery URL must end in /.well-known/openid-configuration, lists need at least one entry)", msg))
	case "AccessDeniedException":
		return explain.New(err, fmt.Sprintf("access denied (AccessDeniedException): %s The AWS identity needs bedrock-agentcore:GetAgentRuntime, UpdateAgentRuntime and ListAgentRuntimes (and iam:PassRole on the runtime's role for updates)", msg))
	case "ResourceNotFoundException":
		return explain.New(err, fmt.Sprintf("runtime not found (ResourceNotFoundException): %s Check the runtime id/ARN and that --region is the runtime's region", msg))
	case "ConflictException":
		return explain.New(err, fmt.Sprintf("the runtime is busy (ConflictException): %s Another change is in progress; wait until it is READY and retry", msg))
	case "ThrottlingException":
		return explain.New(err, fmt.Sprintf("AgentCore throttled the request (ThrottlingException): %s Retry in a few seconds", msg))
	case "ServiceQuotaExceededException":
		return explain.New(err, fmt.Sprintf("an AgentCore quota is exhausted (ServiceQuotaExceededException): %s Delete unused resources or request a quota increase in Service Quotas", msg))
	case "InternalServerException":
		return explain.New(err, fmt.Sprintf("AgentCore had an internal error (InternalServerException): %s Retry; if it persists, check the AWS Health Dashboard", msg))
	case "MissingAuthenticationTokenException":
		return explain.New(err, "the request reached AgentCore unsigned (MissingAuthenticationTokenException). Provide AWS credentials (AWS_PROFILE, aws sso login), and check any AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL override")
	}
	return Explain(err)
}

// The AWS CLI prints authorizerConfiguration as JSON ({"customJWTAuthorizer":{"discoveryUrl":…}}). The
// conversions below use the SDK's own serializer and deserializer (a client whose HTTP transport never leaves the
// process), so every member the SDK knows round-trips exactly, including ones this code never names.

type serdeTransport struct {
	mu       sync.Mutex
	captured []byte
	reply    []byte
}

func (s *serdeTransport) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Body != nil {
		s.captured, _ = io.ReadAll(r.Body)
	}
	body := s.reply
	if body == nil {
		body = []byte(`{}`)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

func serdeClient(t *serdeTransport) *bedrockagentcorecontrol.Client {
	return bedrockagentcorecontrol.New(bedrockagentcorecontrol.Options{
		Region:           "us-east-1",
		Credentials:      aws.AnonymousCredentials{},
		BaseEndpoint:     aws.String("http://serde.invalid"),
		HTTPClient:       t,
		RetryMaxAttempts: 1,
	})
}

// AuthorizerToJSON renders an authorizer as the AWS CLI shows it; nil → null.
func AuthorizerToJSON(a types.AuthorizerConfiguration) ([]byte, error) {
	if a == nil {
		return []byte("null"), nil
	}
	if _, ok := a.(*types.UnknownUnionMember); ok {
		return nil, fmt.Errorf("authorizer of an unknown kind: upgrade kubectl-agentcore")
	}
	t := &serdeTransport{}
	_, err := serdeClient(t).UpdateAgentRuntime(context.Background(), &bedrockagentcorecontrol.UpdateAgentRuntimeInput{
		AgentRuntimeId:          aws.String("serde-0000000000"),
		AgentRuntimeArtifact:    &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("x")}},
		RoleArn:                 aws.String("arn:aws:iam::000000000000:role/x"),
		NetworkConfiguration:    &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		AuthorizerConfiguration: a,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the authorizer: %w", err)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(t.captured, &body); err != nil {
		return nil, fmt.Errorf("encoding the authorizer: %w", err)
	}
	raw, ok := body["authorizerConfiguration"]
	if !ok {
		return []byte("null"), nil
	}
	return raw, nil
}

// AuthorizerJSONIndent is AuthorizerToJSON, indented for people.
func AuthorizerJSONIndent(a types.AuthorizerConfiguration) (string, error) {
	raw, err := AuthorizerToJSON(a)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ParseAuthorizerJSON reads the authorizerConfiguration JSON the AWS CLI prints. `null`, `{}` and empty input mean
// no JWT authorizer (IAM only) and return nil. A whole get-agent-runtime answer (an object with an
// "authorizerConfiguration" key) is accepted too.
func ParseAuthorizerJSON(data []byte) (types.AuthorizerConfiguration, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("authorizer JSON is not an object: %v. Want {\"customJWTAuthorizer\":{\"discoveryUrl\":…,\"allowedAudience\":[…]}}", err)
	}
	if inner, ok := top["authorizerConfiguration"]; ok {
		return ParseAuthorizerJSON(inner)
	}
	if len(top) == 0 {
		return nil, nil
	}
	if len(top) > 1 {
		return nil, fmt.Errorf("authorizer JSON has %d members; want exactly one (customJWTAuthorizer)", len(top))
	}
	for k := range top {
		if k != "customJWTAuthorizer" {
			return nil, fmt.Errorf("authorizer JSON has unknown member %q; want customJWTAuthorizer", k)
		}
	}
	t := &serdeTransport{reply: append(append([]byte(`{"authorizerConfiguration":`), data...), '}')}
	out, err := serdeClient(t).GetAgentRuntime(context.Background(), &bedrockagentcorecontrol.GetAgentRuntimeInput{AgentRuntimeId: aws.String("serde-0000000000")})
	if err != nil {
		return nil, fmt.Errorf("reading the authorizer JSON: %v", err)
	}
	if out.AuthorizerConfiguration == nil {
		return nil, errors.New("authorizer JSON could not be read (customJWTAuthorizer must be an object)")
	}
	if j := JWTConfig(out.AuthorizerConfiguration); j != nil && aws.ToString(j.DiscoveryUrl) == "" {
		return nil, errors.New("authorizer JSON: customJWTAuthorizer.discoveryUrl is required")
	}
	return out.AuthorizerConfiguration, nil
}

func decodeJSONValue(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// canonicalJSON encodes v with sorted keys (encoding/json sorts map keys).
func canonicalJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
