package awsops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
)

// CognitoMachineAPI is the part of the cognitoidentityprovider client a Cognito machine identity (an app client for
// the OAuth 2.0 client-credentials grant) needs besides CognitoAPI.
type CognitoMachineAPI interface {
	CreateResourceServer(ctx context.Context, in *cip.CreateResourceServerInput, optFns ...func(*cip.Options)) (*cip.CreateResourceServerOutput, error)
	DescribeResourceServer(ctx context.Context, in *cip.DescribeResourceServerInput, optFns ...func(*cip.Options)) (*cip.DescribeResourceServerOutput, error)
	UpdateResourceServer(ctx context.Context, in *cip.UpdateResourceServerInput, optFns ...func(*cip.Options)) (*cip.UpdateResourceServerOutput, error)
	DeleteResourceServer(ctx context.Context, in *cip.DeleteResourceServerInput, optFns ...func(*cip.Options)) (*cip.DeleteResourceServerOutput, error)
	CreateUserPoolDomain(ctx context.Context, in *cip.CreateUserPoolDomainInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolDomainOutput, error)
	DescribeUserPoolDomain(ctx context.Context, in *cip.DescribeUserPoolDomainInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolDomainOutput, error)
	DeleteUserPoolDomain(ctx context.Context, in *cip.DeleteUserPoolDomainInput, optFns ...func(*cip.Options)) (*cip.DeleteUserPoolDomainOutput, error)
	DeleteUserPoolClient(ctx context.Context, in *cip.DeleteUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.DeleteUserPoolClientOutput, error)
}

func (c *Cognito) machine() (CognitoMachineAPI, error) {
	m, ok := c.API.(CognitoMachineAPI)
	if !ok {
		return nil, errors.New("this Cognito client cannot manage resource servers and domains")
	}
	return m, nil
}

// MachineSpec is a Cognito machine identity: a resource server with scopes, a user-pool domain (its
// /oauth2/token is the token endpoint) and an app client with a secret for the client-credentials grant.
type MachineSpec struct {
	PoolName string
	PoolID   string // an existing pool instead of finding one by name
	Pool     PoolOptions
	// ResourceServer is the resource server's identifier; Scopes are scope names under it (the token's scope is
	// "<identifier>/<name>").
	ResourceServer string
	Scopes         []string
	// DomainPrefix is the prefix domain to create when the pool has none ("" = DomainPrefix of the pool).
	DomainPrefix string
	ClientName   string
	ClientID     string // an existing client instead of finding one by name
}

// FullScopes are the scopes as the token and the authorizer name them.
func (s MachineSpec) FullScopes() []string {
	out := make([]string, len(s.Scopes))
	for i, n := range s.Scopes {
		out[i] = s.ResourceServer + "/" + n
	}
	return out
}

// MachineIdentity is what EnsureMachine found or made. Client.Secret is secret.
type MachineIdentity struct {
	Pool           UserPool   `json:"pool"`
	ResourceServer string     `json:"resourceServer"`
	Scopes         []string   `json:"scopes"`
	Domain         string     `json:"domain"`
	TokenURL       string     `json:"tokenUrl"`
	Client         AppClient  `json:"client"`
	Issuer         string     `json:"issuer"`
	Steps          []PlanStep `json:"steps"`
	// What this call created (the setup record keeps it, so teardown removes exactly that).
	CreatedPool, CreatedResourceServer, CreatedDomain, CreatedClient bool `json:"-"`
}

// DomainTokenURL is the token endpoint of a user-pool domain: https://<prefix>.auth.<region>.amazoncognito.com/
// oauth2/token for a prefix, https://<domain>/oauth2/token for a custom domain (one with a dot).
func (c *Cognito) DomainTokenURL(domain string) string {
	if strings.Contains(domain, ".") {
		return "https://" + domain + "/oauth2/token"
	}
	return "https://" + domain + ".auth." + c.Region + ".amazoncognito.com/oauth2/token"
}

var nonDomain = regexp.MustCompile(`[^a-z0-9]+`)

// DomainPrefix derives a prefix domain from the pool: its name and the id's suffix, lower-case, hyphenated,
// without the words Cognito reserves (aws, amazon, cognito), at most 63 characters.
func DomainPrefix(poolName, poolID string) string {
	name := strings.ToLower(poolName)
	for _, w := range []string{"cognito", "amazon", "aws"} {
		name = strings.ReplaceAll(name, w, "")
	}
	name = strings.Trim(nonDomain.ReplaceAllString(name, "-"), "-")
	suffix := poolID
	if i := strings.IndexByte(poolID, '_'); i >= 0 {
		suffix = poolID[i+1:]
	}
	suffix = strings.Trim(nonDomain.ReplaceAllString(strings.ToLower(suffix), "-"), "-")
	for _, w := range []string{"cognito", "amazon", "aws"} {
		suffix = strings.ReplaceAll(suffix, w, "x")
	}
	p := strings.Trim(name+"-"+suffix, "-")
	if len(p) > 63 {
		p = strings.TrimRight(p[:63], "-")
	}
	return p
}

// domainOwner says which pool holds a domain ("" when it is free): DescribeUserPoolDomain answers an empty
// description for a domain nobody has.
func (c *Cognito) domainOwner(ctx context.Context, m CognitoMachineAPI, domain string) (string, error) {
	out, err := m.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(domain)})
	if err != nil {
		return "", fmt.Errorf("checking user-pool domain %q: %w", domain, ExplainCognito(err))
	}
	if out.DomainDescription == nil {
		return "", nil
	}
	return aws.ToString(out.DomainDescription.UserPoolId), nil
}

// poolDomain is the pool's domain (custom first, then prefix), "" when it has none.
func (c *Cognito) poolDomain(ctx context.Context, poolID string) (string, error) {
	out, err := c.API.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		return "", fmt.Errorf("reading user pool %s: %w", poolID, ExplainCognito(err))
	}
	if d := aws.ToString(out.UserPool.CustomDomain); d != "" {
		return d, nil
	}
	return aws.ToString(out.UserPool.Domain), nil
}

// freePrefix finds an available prefix: want, else want-2 … want-9. A prefix the pool already holds is its own.
func (c *Cognito) freePrefix(ctx context.Context, m CognitoMachineAPI, poolID, want string, explicit bool) (string, error) {
	for i := 1; i <= 9; i++ {
		p := want
		if i > 1 {
			if explicit {
				break
			}
			p = strings.TrimRight(want[:min(len(want), 60)], "-") + "-" + strconv.Itoa(i)
		}
		owner, err := c.domainOwner(ctx, m, p)
		if err != nil {
			return "", err
		}
		if owner == "" || owner == poolID {
			return p, nil
		}
	}
	if explicit {
		return "", fmt.Errorf("user-pool domain %q belongs to another user pool (prefixes are unique across AWS). Pass another --domain-prefix", want)
	}
	return "", fmt.Errorf("user-pool domains %q to %q-9 are all taken. Pass --domain-prefix", want, want)
}

func (s MachineSpec) validate() error {
	switch {
	case s.ResourceServer == "":
		return errors.New("the resource server identifier is empty")
	case len(s.Scopes) == 0:
		return errors.New("no scope for the resource server")
	case s.ClientName == "" && s.ClientID == "":
		return errors.New("app client name is empty")
	}
	return nil
}

// PlanMachine says what EnsureMachine would do, with read-only calls only.
func (c *Cognito) PlanMachine(ctx context.Context, s MachineSpec) ([]PlanStep, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	m, err := c.machine()
	if err != nil {
		return nil, err
	}
	scopes := strings.Join(s.FullScopes(), " ")
	clientDetail := "with secret; client_credentials, scopes " + scopes
	poolID, err := c.plannedPool(ctx, s.PoolID, s.PoolName)
	if err != nil {
		return nil, err
	}
	if poolID == "" {
		d := s.DomainPrefix
		if d == "" {
			d = DomainPrefix(s.PoolName, "<new pool id>")
		}
		return []PlanStep{
			{Resource: "user-pool", Name: s.PoolName, Action: plan.Create, Call: "CreateUserPool"},
			{Resource: "resource-server", Name: s.ResourceServer, Action: plan.Create, Call: "CreateResourceServer", Detail: "scopes " + scopes},
			{Resource: "domain", Name: d, Action: plan.Create, Call: "DescribeUserPoolDomain, CreateUserPoolDomain", Detail: "token endpoint " + c.DomainTokenURL(d)},
			{Resource: "app-client", Name: s.ClientName, Action: plan.Create, Call: "CreateUserPoolClient", Detail: clientDetail},
		}, nil
	}
	steps := []PlanStep{{Resource: "user-pool", Name: s.PoolName, ID: poolID, Action: plan.Unchanged}}
	rs, err := m.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String(s.ResourceServer)})
	switch {
	case err != nil && isCode(err, "ResourceNotFoundException"):
		steps = append(steps, PlanStep{Resource: "resource-server", Name: s.ResourceServer, Action: plan.Create, Call: "CreateResourceServer", Detail: "scopes " + scopes})
	case err != nil:
		return nil, fmt.Errorf("reading resource server %q of user pool %s: %w", s.ResourceServer, poolID, ExplainCognito(err))
	case len(missingScopes(rs.ResourceServer, s.Scopes)) > 0:
		steps = append(steps, PlanStep{Resource: "resource-server", Name: s.ResourceServer, Action: plan.Update, Call: "UpdateResourceServer", Detail: "add scopes " + strings.Join(missingScopes(rs.ResourceServer, s.Scopes), " ")})
	default:
		steps = append(steps, PlanStep{Resource: "resource-server", Name: s.ResourceServer, Action: plan.Unchanged})
	}
	dom, err := c.poolDomain(ctx, poolID)
	if err != nil {
		return nil, err
	}
	if dom != "" {
		steps = append(steps, PlanStep{Resource: "domain", Name: dom, Action: plan.Unchanged, Detail: "token endpoint " + c.DomainTokenURL(dom)})
	} else {
		want := s.DomainPrefix
		if want == "" {
			want = DomainPrefix(s.PoolName, poolID)
		}
		p, err := c.freePrefix(ctx, m, poolID, want, s.DomainPrefix != "")
		if err != nil {
			return nil, err
		}
		steps = append(steps, PlanStep{Resource: "domain", Name: p, Action: plan.Create, Call: "CreateUserPoolDomain", Detail: "available; token endpoint " + c.DomainTokenURL(p)})
	}
	ac, desc, err := c.findMachineClient(ctx, poolID, s)
	if err != nil {
		return nil, err
	}
	switch {
	case ac == nil:
		steps = append(steps, PlanStep{Resource: "app-client", Name: s.ClientName, Action: plan.Create, Call: "CreateUserPoolClient", Detail: clientDetail})
	case ac.Secret == "":
		return nil, noSecret(ac)
	case len(machineClientGaps(desc, s.FullScopes())) > 0:
		steps = append(steps, PlanStep{Resource: "app-client", Name: ac.Name, ID: ac.ID, Action: plan.Update, Call: "UpdateUserPoolClient", Detail: strings.Join(machineClientGaps(desc, s.FullScopes()), "; ")})
	default:
		steps = append(steps, PlanStep{Resource: "app-client", Name: ac.Name, ID: ac.ID, Action: plan.Unchanged})
	}
	return steps, nil
}

func noSecret(ac *AppClient) error {
	return fmt.Errorf("app client %s (%s) has no secret, and the client-credentials grant needs one (a secret cannot be added to an existing client). Pass another --client-name to create one", ac.ID, ac.Name)
}

func (c *Cognito) findMachineClient(ctx context.Context, poolID string, s MachineSpec) (*AppClient, *ciptypes.UserPoolClientType, error) {
	if s.ClientID != "" {
		return c.DescribeAppClient(ctx, poolID, s.ClientID)
	}
	return c.FindAppClient(ctx, poolID, s.ClientName)
}

func missingScopes(rs *ciptypes.ResourceServerType, names []string) []string {
	var miss []string
	for _, n := range names {
		if !slices.ContainsFunc(rs.Scopes, func(s ciptypes.ResourceServerScopeType) bool { return aws.ToString(s.ScopeName) == n }) {
			miss = append(miss, n)
		}
	}
	return miss
}

// machineClientGaps lists what an existing client lacks for the client-credentials grant with these scopes.
func machineClientGaps(d *ciptypes.UserPoolClientType, scopes []string) []string {
	var gaps []string
	if !slices.Contains(d.AllowedOAuthFlows, ciptypes.OAuthFlowTypeClientCredentials) {
		gaps = append(gaps, "allow the client_credentials flow")
	}
	if !aws.ToBool(d.AllowedOAuthFlowsUserPoolClient) {
		gaps = append(gaps, "set AllowedOAuthFlowsUserPoolClient")
	}
	var miss []string
	for _, s := range scopes {
		if !slices.Contains(d.AllowedOAuthScopes, s) {
			miss = append(miss, s)
		}
	}
	if len(miss) > 0 {
		gaps = append(gaps, "allow scopes "+strings.Join(miss, " "))
	}
	return gaps
}

// EnsureMachine converges pool, resource server (and its scopes), domain and app client, each found or created,
// never duplicated, and says what it created. An interrupted run is finished by running it again.
func (c *Cognito) EnsureMachine(ctx context.Context, s MachineSpec) (MachineIdentity, error) {
	var id MachineIdentity
	if err := s.validate(); err != nil {
		return id, err
	}
	m, err := c.machine()
	if err != nil {
		return id, err
	}
	p, step, err := c.ensurePool(ctx, s.PoolID, s.PoolName, s.Pool)
	if err != nil {
		return id, err
	}
	id.Pool, id.CreatedPool, id.Steps = p, step.Action == plan.Create, append(id.Steps, step)
	pool := aws.String(id.Pool.ID)
	id.Issuer = c.Issuer(id.Pool.ID)
	id.ResourceServer, id.Scopes = s.ResourceServer, s.FullScopes()
	resume := fmt.Sprintf(" (user pool %s exists; rerun to continue)", id.Pool.ID)

	// Resource server and scopes.
	act := plan.Unchanged
	rs, err := m.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool, Identifier: aws.String(s.ResourceServer)})
	switch {
	case err != nil && isCode(err, "ResourceNotFoundException"):
		in := &cip.CreateResourceServerInput{UserPoolId: pool, Identifier: aws.String(s.ResourceServer), Name: aws.String(s.ResourceServer)}
		for _, n := range s.Scopes {
			in.Scopes = append(in.Scopes, ciptypes.ResourceServerScopeType{ScopeName: aws.String(n), ScopeDescription: aws.String("kubectl-agentcore: " + n)})
		}
		if _, err := m.CreateResourceServer(ctx, in); err != nil {
			return id, fmt.Errorf("creating resource server %q in user pool %s: %w%s", s.ResourceServer, id.Pool.ID, ExplainCognito(err), resume)
		}
		act, id.CreatedResourceServer = plan.Create, true
	case err != nil:
		return id, fmt.Errorf("reading resource server %q of user pool %s: %w", s.ResourceServer, id.Pool.ID, ExplainCognito(err))
	case len(missingScopes(rs.ResourceServer, s.Scopes)) > 0:
		in := &cip.UpdateResourceServerInput{UserPoolId: pool, Identifier: aws.String(s.ResourceServer), Name: rs.ResourceServer.Name,
			Scopes: slices.Clone(rs.ResourceServer.Scopes)}
		for _, n := range missingScopes(rs.ResourceServer, s.Scopes) {
			in.Scopes = append(in.Scopes, ciptypes.ResourceServerScopeType{ScopeName: aws.String(n), ScopeDescription: aws.String("kubectl-agentcore: " + n)})
		}
		if _, err := m.UpdateResourceServer(ctx, in); err != nil {
			return id, fmt.Errorf("adding scopes to resource server %q: %w%s", s.ResourceServer, ExplainCognito(err), resume)
		}
		act = plan.Update
	}
	id.Steps = append(id.Steps, PlanStep{Resource: "resource-server", Name: s.ResourceServer, Action: act})

	// Domain: the pool's own, else an available prefix.
	dom, err := c.poolDomain(ctx, id.Pool.ID)
	if err != nil {
		return id, err
	}
	act = plan.Unchanged
	if dom == "" {
		want := s.DomainPrefix
		if want == "" {
			want = DomainPrefix(id.Pool.Name, id.Pool.ID)
		}
		if dom, err = c.freePrefix(ctx, m, id.Pool.ID, want, s.DomainPrefix != ""); err != nil {
			return id, err
		}
		if _, err := m.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{Domain: aws.String(dom), UserPoolId: pool}); err != nil {
			return id, fmt.Errorf("creating user-pool domain %q: %w%s", dom, ExplainCognito(err), resume)
		}
		act, id.CreatedDomain = plan.Create, true
	}
	id.Domain, id.TokenURL = dom, c.DomainTokenURL(dom)
	id.Steps = append(id.Steps, PlanStep{Resource: "domain", Name: dom, Action: act, Detail: "token endpoint " + id.TokenURL})

	// App client.
	ac, desc, err := c.findMachineClient(ctx, id.Pool.ID, s)
	if err != nil {
		return id, err
	}
	act = plan.Unchanged
	switch {
	case ac == nil:
		out, err := c.API.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool, ClientName: aws.String(s.ClientName),
			GenerateSecret: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeClientCredentials},
			AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthScopes: id.Scopes})
		if err != nil {
			return id, fmt.Errorf("creating app client %q in user pool %s: %w%s", s.ClientName, id.Pool.ID, ExplainCognito(err), resume)
		}
		d := out.UserPoolClient
		ac = &AppClient{PoolID: id.Pool.ID, ID: aws.ToString(d.ClientId), Name: s.ClientName, Secret: aws.ToString(d.ClientSecret)}
		if ac.Secret == "" {
			if full, _, err := c.DescribeAppClient(ctx, id.Pool.ID, ac.ID); err == nil {
				ac.Secret = full.Secret
			}
		}
		act, id.CreatedClient = plan.Create, true
	case ac.Secret == "":
		return id, noSecret(ac)
	case len(machineClientGaps(desc, id.Scopes)) > 0:
		in := UpdateClientInputFromDescribe(desc)
		if !slices.Contains(in.AllowedOAuthFlows, ciptypes.OAuthFlowTypeClientCredentials) {
			in.AllowedOAuthFlows = append(in.AllowedOAuthFlows, ciptypes.OAuthFlowTypeClientCredentials)
		}
		in.AllowedOAuthFlowsUserPoolClient = true
		for _, sc := range id.Scopes {
			if !slices.Contains(in.AllowedOAuthScopes, sc) {
				in.AllowedOAuthScopes = append(in.AllowedOAuthScopes, sc)
			}
		}
		if _, err := c.API.UpdateUserPoolClient(ctx, in); err != nil {
			return id, fmt.Errorf("enabling client credentials on app client %s: %w", ac.ID, ExplainCognito(err))
		}
		act = plan.Update
	}
	id.Client = *ac
	id.Steps = append(id.Steps, PlanStep{Resource: "app-client", Name: ac.Name, ID: ac.ID, Action: act})
	return id, nil
}

// DeleteDomain deletes a user-pool domain; one already gone is not an error (deleted=false).
func (c *Cognito) DeleteDomain(ctx context.Context, poolID, domain string) (bool, error) {
	m, err := c.machine()
	if err != nil {
		return false, err
	}
	if owner, err := c.domainOwner(ctx, m, domain); err != nil || owner != poolID {
		return false, err
	}
	if _, err := m.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{Domain: aws.String(domain), UserPoolId: aws.String(poolID)}); err != nil {
		return false, fmt.Errorf("deleting user-pool domain %s: %w", domain, ExplainCognito(err))
	}
	return true, nil
}

// DeleteResourceServer deletes a resource server; one already gone is not an error (deleted=false).
func (c *Cognito) DeleteResourceServer(ctx context.Context, poolID, identifier string) (bool, error) {
	m, err := c.machine()
	if err != nil {
		return false, err
	}
	if _, err := m.DeleteResourceServer(ctx, &cip.DeleteResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String(identifier)}); err != nil {
		if isCode(err, "ResourceNotFoundException") {
			return false, nil
		}
		return false, fmt.Errorf("deleting resource server %s: %w", identifier, ExplainCognito(err))
	}
	return true, nil
}

// DeleteAppClient deletes an app client; one already gone is not an error (deleted=false).
func (c *Cognito) DeleteAppClient(ctx context.Context, poolID, clientID string) (bool, error) {
	m, err := c.machine()
	if err != nil {
		return false, err
	}
	if _, err := m.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)}); err != nil {
		if isCode(err, "ResourceNotFoundException") {
			return false, nil
		}
		return false, fmt.Errorf("deleting app client %s: %w", clientID, ExplainCognito(err))
	}
	return true, nil
}
