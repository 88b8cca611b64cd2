package awsops

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal/cognitotest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
)

func TestMain(m *testing.M) { cognitotest.Main(m) }

// hashChecker wraps the real client and checks every SECRET_HASH sent against the documented formula
// (re-implemented here), because cognito-local does not verify it.
type hashChecker struct {
	CognitoAPI
	secret string
	mu     sync.Mutex
	seen   []string // usernames the hashes were computed over
	errs   []string
}

func (h *hashChecker) check(params map[string]string, clientID, username string) {
	got, ok := params["SECRET_HASH"]
	if !ok {
		return
	}
	m := hmac.New(sha256.New, []byte(h.secret))
	m.Write([]byte(username + clientID))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, username)
	if got != want {
		h.errs = append(h.errs, "SECRET_HASH for "+username+" is wrong")
	}
}

func (h *hashChecker) AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, o ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error) {
	h.check(in.AuthParameters, aws.ToString(in.ClientId), in.AuthParameters["USERNAME"])
	return h.CognitoAPI.AdminInitiateAuth(ctx, in, o...)
}

// For refresh, the hash must be over the cognito:username claim; the test passes that as expected username.
var refreshUser string

func (h *hashChecker) InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, o ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	h.check(in.AuthParameters, aws.ToString(in.ClientId), refreshUser)
	return h.CognitoAPI.InitiateAuth(ctx, in, o...)
}

func newCognito(t *testing.T) (*Cognito, *cognitolocal.Server) {
	t.Helper()
	s := cognitotest.Shared(t)
	c := NewCognito(s.AWSConfig())
	if c.IssuerBase != s.Endpoint() {
		t.Fatalf("IssuerBase %q not derived from the endpoint override %q", c.IssuerBase, s.Endpoint())
	}
	return c, s
}

func poolsNamed(t *testing.T, c *Cognito, name string) int {
	t.Helper()
	out, err := c.API.ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range out.UserPools {
		if aws.ToString(p.Name) == name {
			n++
		}
	}
	return n
}

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	c, err := jwtparts.Claims(tok)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return c
}

func TestEnsureIdentityTwiceReuses(t *testing.T) {
	c, s := newCognito(t)
	ctx := context.Background()
	spec := IdentitySpec{PoolName: "idem-" + t.Name(), Client: ClientSpec{Name: "gateway"}, Username: "agentcore-gateway"}

	steps, err := c.PlanIdentity(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[0].Action != plan.Create || steps[1].Action != plan.Create || steps[2].Action != plan.Create {
		t.Fatalf("plan before setup = %+v, want three creates", steps)
	}
	if n := poolsNamed(t, c, spec.PoolName); n != 0 {
		t.Fatalf("PlanIdentity created a pool (%d)", n)
	}

	first, err := c.EnsureIdentity(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range first.Steps {
		if st.Action != plan.Create {
			t.Errorf("first run: %s %s = %s, want create", st.Resource, st.Name, st.Action)
		}
	}
	if first.Client.Secret == "" || first.User.Password == "" || !first.User.PasswordSet {
		t.Fatalf("first run lacks secret/password: %+v", first.Steps)
	}
	if first.Issuer != s.Issuer(first.Pool.ID) {
		t.Errorf("issuer %s, want %s", first.Issuer, s.Issuer(first.Pool.ID))
	}

	spec.Password = first.User.Password
	steps, err = c.PlanIdentity(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if st.Action != plan.Unchanged {
			t.Errorf("plan after setup: %s = %s, want unchanged", st.Resource, st.Action)
		}
	}
	second, err := c.EnsureIdentity(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range second.Steps {
		if st.Action != plan.Unchanged {
			t.Errorf("second run: %s %s = %s, want unchanged", st.Resource, st.Name, st.Action)
		}
	}
	if second.Pool.ID != first.Pool.ID || second.Client.ID != first.Client.ID || second.Client.Secret != first.Client.Secret {
		t.Errorf("second run picked other resources: %+v vs %+v", second.Pool, first.Pool)
	}
	if n := poolsNamed(t, c, spec.PoolName); n != 1 {
		t.Errorf("%d pools named %s, want 1", n, spec.PoolName)
	}
	clients, err := c.API.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(first.Pool.ID)})
	if err != nil || len(clients.UserPoolClients) != 1 {
		t.Errorf("want exactly one app client, got %v (%v)", clients, err)
	}
	desc, err := c.API.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(first.Pool.ID), ClientId: aws.String(first.Client.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(desc.UserPoolClient.ExplicitAuthFlows, RequiredAuthFlows) {
		t.Errorf("flows = %v", desc.UserPoolClient.ExplicitAuthFlows)
	}

	// Without the stored password a rerun sets a new one (and says so); the old one stops working.
	spec.Password = ""
	third, err := c.EnsureIdentity(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if third.Steps[2].Action != plan.Update || !third.User.PasswordSet || third.User.Password == first.User.Password {
		t.Fatalf("third run user step = %+v", third.Steps[2])
	}
	_, err = c.MintWithPassword(ctx, MintRequest{PoolID: first.Pool.ID, ClientID: first.Client.ID, ClientSecret: first.Client.Secret, Username: spec.Username, Password: first.User.Password})
	if err == nil || !strings.Contains(err.Error(), "incorrect") || strings.Contains(err.Error(), first.User.Password) {
		t.Errorf("old password: %v", err)
	}
	if _, err := c.MintWithPassword(ctx, MintRequest{PoolID: first.Pool.ID, ClientID: first.Client.ID, ClientSecret: first.Client.Secret, Username: spec.Username, Password: third.User.Password}); err != nil {
		t.Errorf("new password: %v", err)
	}

	deleted, err := c.DeleteUserPool(ctx, first.Pool.ID)
	if err != nil || !deleted {
		t.Fatalf("DeleteUserPool = %v, %v", deleted, err)
	}
	if n := poolsNamed(t, c, spec.PoolName); n != 0 {
		t.Errorf("pool still listed after delete")
	}
	if deleted, err := c.DeleteUserPool(ctx, first.Pool.ID); err != nil || deleted {
		t.Errorf("second DeleteUserPool = %v, %v; want false, nil", deleted, err)
	}
}

func TestFindUserPoolAmbiguousAndPaginated(t *testing.T) {
	c, _ := newCognito(t)
	ctx := context.Background()
	name := "dup-" + t.Name()
	for i := 0; i < 2; i++ {
		if _, err := c.API.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.EnsureUserPool(ctx, name, PoolOptions{}); err == nil || !strings.Contains(err.Error(), "more than one user pool") {
		t.Errorf("ambiguous name: %v", err)
	}
	// Pagination: the SDK paginator is driven by NextToken; a stub with 3 pages proves every page is read.
	pages := &pagedPools{pages: [][]string{{"a", "b"}, {"c"}, {"wanted"}}}
	c2 := &Cognito{API: pages}
	p, err := c2.FindUserPool(ctx, "wanted")
	if err != nil || p == nil || p.ID != "id-wanted" || pages.calls != 3 {
		t.Errorf("paginated find = %+v, %v after %d calls", p, err, pages.calls)
	}
}

type pagedPools struct {
	CognitoAPI
	pages [][]string
	calls int
}

func (p *pagedPools) ListUserPools(_ context.Context, in *cip.ListUserPoolsInput, _ ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error) {
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	p.calls++
	out := &cip.ListUserPoolsOutput{}
	for _, n := range p.pages[i] {
		out.UserPools = append(out.UserPools, ciptypes.UserPoolDescriptionType{Name: aws.String(n), Id: aws.String("id-" + n)})
	}
	if i+1 < len(p.pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func TestMintByPasswordAndRefresh(t *testing.T) {
	c, s := newCognito(t)
	ctx := context.Background()
	id, err := c.EnsureIdentity(ctx, IdentitySpec{PoolName: "mint-" + t.Name(), Client: ClientSpec{Name: "gw", IDTokenValidity: 5 * time.Minute}, Username: "svc-user"})
	if err != nil {
		t.Fatal(err)
	}
	chk := &hashChecker{CognitoAPI: c.API, secret: id.Client.Secret}
	c.API = chk
	req := MintRequest{PoolID: id.Pool.ID, ClientID: id.Client.ID, ClientSecret: id.Client.Secret, Username: "svc-user", Password: id.User.Password}
	tok, err := c.MintWithPassword(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if tok.IDToken == "" || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatal("missing tokens")
	}
	idc := claimsOf(t, tok.IDToken)
	if idc["aud"] != id.Client.ID || idc["token_use"] != "id" {
		t.Errorf("ID token claims: %v", idc)
	}
	// iss == discovery issuer (through the front) == the issuer awsops computes.
	resp, err := http.Get(s.DiscoveryURL(id.Pool.ID))
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if idc["iss"] != disc["issuer"] || idc["iss"] != c.Issuer(id.Pool.ID) {
		t.Errorf("iss %v, discovery issuer %v, awsops issuer %s", idc["iss"], disc["issuer"], c.Issuer(id.Pool.ID))
	}
	// The client's 5-minute ID token validity is honoured.
	if life := time.Until(tok.IDTokenExpiresAt); life > 5*time.Minute+5*time.Second || life < 4*time.Minute {
		t.Errorf("ID token lives %s, want about 5m", life)
	}
	if tok.Username != "svc-user" {
		t.Errorf("cognito:username = %q", tok.Username)
	}

	refreshUser = tok.Username
	req.RefreshToken, req.CognitoUsername = tok.RefreshToken, tok.Username
	req.Password = ""
	again, err := c.MintWithRefresh(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if again.IDToken == "" || again.IDToken == tok.IDToken {
		t.Error("refresh gave no new ID token")
	}
	if claimsOf(t, again.IDToken)["aud"] != id.Client.ID {
		t.Error("refreshed ID token has another audience")
	}
	if len(chk.errs) > 0 || len(chk.seen) != 2 {
		t.Errorf("SECRET_HASH checks: %v (seen %v)", chk.errs, chk.seen)
	}
	// Refresh with a client secret but no cognito:username is refused before calling Cognito.
	req.CognitoUsername = ""
	if _, err := c.MintWithRefresh(ctx, req); err == nil || !strings.Contains(err.Error(), "cognito:username") {
		t.Errorf("refresh without username: %v", err)
	}
	// A bad refresh token is explained and not echoed.
	req.CognitoUsername, req.RefreshToken = tok.Username, "not-a-refresh-token-123"
	if _, err := c.MintWithRefresh(ctx, req); err == nil || strings.Contains(err.Error(), "not-a-refresh-token-123") {
		t.Errorf("bad refresh token: %v", err)
	}
}

// In e-mail pools the username is an alias; cognito:username is a UUID and SECRET_HASH for refresh must use it.
func TestRefreshUsesCognitoUsernameInEmailPools(t *testing.T) {
	c, _ := newCognito(t)
	ctx := context.Background()
	id, err := c.EnsureIdentity(ctx, IdentitySpec{PoolName: "email-" + t.Name(), Pool: PoolOptions{UsernameAttributes: []string{"email"}},
		Client: ClientSpec{Name: "gw"}, Username: "svc@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if id.User.PoolUsername == "" || id.User.PoolUsername == "svc@example.com" {
		t.Fatalf("pool username = %q, want a UUID", id.User.PoolUsername)
	}
	chk := &hashChecker{CognitoAPI: c.API, secret: id.Client.Secret}
	c.API = chk
	tok, err := c.MintWithPassword(ctx, MintRequest{PoolID: id.Pool.ID, ClientID: id.Client.ID, ClientSecret: id.Client.Secret, Username: "svc@example.com", Password: id.User.Password})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != id.User.PoolUsername {
		t.Fatalf("cognito:username %q, want %q", tok.Username, id.User.PoolUsername)
	}
	refreshUser = tok.Username
	if _, err := c.MintWithRefresh(ctx, MintRequest{ClientID: id.Client.ID, ClientSecret: id.Client.Secret, RefreshToken: tok.RefreshToken, CognitoUsername: tok.Username}); err != nil {
		t.Fatal(err)
	}
	if len(chk.errs) > 0 || len(chk.seen) != 2 || chk.seen[1] != id.User.PoolUsername {
		t.Errorf("SECRET_HASH checks: %v (usernames %v)", chk.errs, chk.seen)
	}
	// Rerun finds the user by its e-mail alias: unchanged, no duplicate.
	again, err := c.EnsureIdentity(ctx, IdentitySpec{PoolName: "email-" + t.Name(), Client: ClientSpec{Name: "gw"}, Username: "svc@example.com", Password: id.User.Password})
	if err != nil || again.Steps[2].Action != plan.Unchanged {
		t.Errorf("rerun: %+v %v", again.Steps, err)
	}
}

func TestEnsureAppClientAddsMissingFlows(t *testing.T) {
	c, _ := newCognito(t)
	ctx := context.Background()
	pool, _, err := c.EnsureUserPool(ctx, "flows-"+t.Name(), PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.API.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(pool.ID), ClientName: aws.String("gw"), GenerateSecret: true,
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}); err != nil {
		t.Fatal(err)
	}
	ac, act, err := c.EnsureAppClient(ctx, pool.ID, ClientSpec{Name: "gw"})
	if err != nil || act != plan.Update {
		t.Fatalf("EnsureAppClient = %v, %v; want update", act, err)
	}
	_, desc, err := c.DescribeAppClient(ctx, pool.ID, ac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(missingFlows(desc.ExplicitAuthFlows)) != 0 {
		t.Errorf("flows after update: %v", desc.ExplicitAuthFlows)
	}
	if _, act, _ := c.EnsureAppClient(ctx, pool.ID, ClientSpec{Name: "gw"}); act != plan.Unchanged {
		t.Errorf("rerun = %s", act)
	}
	// An existing client given by id converges the same way, and the plan says so beforehand.
	out, err := c.API.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(pool.ID), ClientName: aws.String("by-id"), GenerateSecret: true,
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	spec := IdentitySpec{PoolID: pool.ID, ClientID: aws.ToString(out.UserPoolClient.ClientId), Username: "svc-by-id"}
	steps, err := c.PlanIdentity(ctx, spec)
	if err != nil || len(steps) < 2 || steps[1].Action != plan.Update {
		t.Fatalf("plan for a client by id missing flows: %+v, %v", steps, err)
	}
	id, err := c.EnsureIdentity(ctx, spec)
	if err != nil || id.Steps[1].Action != plan.Update {
		t.Fatalf("EnsureIdentity by client id: %+v, %v", id.Steps, err)
	}
	if _, desc, _ := c.DescribeAppClient(ctx, pool.ID, spec.ClientID); len(missingFlows(desc.ExplicitAuthFlows)) != 0 {
		t.Errorf("client by id still lacks flows: %v", desc.ExplicitAuthFlows)
	}
	if _, _, err := c.EnsureAppClient(ctx, pool.ID, ClientSpec{Name: "gw2", IDTokenValidity: time.Minute}); err == nil || !strings.Contains(err.Error(), "5m") {
		t.Errorf("1-minute ID token validity accepted: %v", err)
	}
}

// UpdateUserPoolClient resets what it is not given (real Cognito; cognito-local is lenient), so every setting of
// the described client must be copied. A new SDK field in both shapes fails here until handled.
func TestUpdateClientInputCopiesEverySetting(t *testing.T) {
	d := &ciptypes.UserPoolClientType{}
	fillAll(reflect.ValueOf(d).Elem())
	in := UpdateClientInputFromDescribe(d)
	iv := reflect.ValueOf(in).Elem()
	dv := reflect.ValueOf(d).Elem()
	for i := 0; i < iv.NumField(); i++ {
		f := iv.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if _, ok := dv.Type().FieldByName(f.Name); !ok {
			t.Errorf("UpdateUserPoolClientInput.%s has no counterpart in UserPoolClientType: decide how to keep it", f.Name)
			continue
		}
		if iv.Field(i).IsZero() {
			t.Errorf("UpdateUserPoolClientInput.%s not copied", f.Name)
		}
	}
}

func TestIssuerBase(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AGENTCORE_COGNITO_ISSUER_BASE", "")
	c := NewCognito(aws.Config{Region: "eu-west-1"})
	if got := c.Issuer("eu-west-1_Abc"); got != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc" {
		t.Errorf("issuer %s", got)
	}
	// An AWS endpoint override (FIPS, VPC) does not change the issuer.
	c = NewCognito(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("https://cognito-idp-fips.us-east-1.amazonaws.com")})
	if got := c.Issuer("us-east-1_X"); got != "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X" {
		t.Errorf("issuer with FIPS endpoint %s", got)
	}
	// The environment's endpoint, as the SDK takes it from a config loaded from the environment.
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:9999/")
	loaded, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := NewCognito(loaded).Issuer("local_1"); got != "http://127.0.0.1:9999/local_1" {
		t.Errorf("issuer with local endpoint %s", got)
	}
	// A config built in code calls its own endpoint, whatever the environment names: so does the issuer.
	if got := NewCognito(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:8888")}).Issuer("local_2"); got != "http://127.0.0.1:8888/local_2" {
		t.Errorf("issuer with a config's endpoint and another in the environment %s", got)
	}
	t.Setenv("AGENTCORE_COGNITO_ISSUER_BASE", "https://issuer.example/")
	if got := NewCognito(aws.Config{Region: "us-east-1"}).Issuer("p"); got != "https://issuer.example/p" {
		t.Errorf("explicit issuer base %s", got)
	}
}
