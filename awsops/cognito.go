package awsops

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
)

// CognitoAPI is the part of the cognitoidentityprovider client the plugin uses.
type CognitoAPI interface {
	ListUserPools(ctx context.Context, in *cip.ListUserPoolsInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error)
	CreateUserPool(ctx context.Context, in *cip.CreateUserPoolInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolOutput, error)
	DeleteUserPool(ctx context.Context, in *cip.DeleteUserPoolInput, optFns ...func(*cip.Options)) (*cip.DeleteUserPoolOutput, error)
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	ListUserPoolClients(ctx context.Context, in *cip.ListUserPoolClientsInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolClientsOutput, error)
	CreateUserPoolClient(ctx context.Context, in *cip.CreateUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error)
	DescribeUserPoolClient(ctx context.Context, in *cip.DescribeUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error)
	UpdateUserPoolClient(ctx context.Context, in *cip.UpdateUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.UpdateUserPoolClientOutput, error)
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, optFns ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminSetUserPassword(ctx context.Context, in *cip.AdminSetUserPasswordInput, optFns ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error)
	AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, optFns ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
	InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, optFns ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, optFns ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error)
}

// Cognito sets up and uses Cognito user pools.
type Cognito struct {
	API    CognitoAPI
	Region string
	// IssuerBase overrides "https://cognito-idp.<region>.amazonaws.com" in Issuer (tests, cognito-local).
	IssuerBase string
}

// NewCognito makes a Cognito client from an AWS config. AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER and
// cfg.BaseEndpoint apply, as the SDK resolves them.
//
// Token issuers normally live at https://cognito-idp.<region>.amazonaws.com/<poolId>. When the Cognito endpoint
// the client calls is something that is not an AWS host (cognito-local in tests and the sandbox), that endpoint is
// also the issuer base, since local emulators serve the pool's discovery document and JWKS there.
// AGENTCORE_COGNITO_ISSUER_BASE overrides both.
func NewCognito(cfg aws.Config, optFns ...func(*cip.Options)) *Cognito {
	api := cip.NewFromConfig(cfg, optFns...)
	c := &Cognito{API: api, Region: cfg.Region}
	// The endpoint the client resolved (its config's, the environment's when the config was loaded from it, then
	// optFns'), not the environment read again: a config built in code with a BaseEndpoint calls that endpoint
	// even when AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER names another (a sandbox's, in the shell running tests).
	c.IssuerBase = localIssuerBase(api.Options().BaseEndpoint)
	return c
}

func localIssuerBase(endpoint *string) string {
	if v := os.Getenv("AGENTCORE_COGNITO_ISSUER_BASE"); v != "" {
		return strings.TrimRight(v, "/")
	}
	if endpoint == nil || *endpoint == "" {
		return ""
	}
	ep := *endpoint
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return ""
	}
	h := u.Hostname()
	if strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") || strings.HasSuffix(h, ".api.aws") {
		return ""
	}
	return strings.TrimRight(ep, "/")
}

// Issuer is the pool's token issuer (docs/facts.md#cognito): https://cognito-idp.<region>.amazonaws.com/<poolId>.
func (c *Cognito) Issuer(poolID string) string {
	base := c.IssuerBase
	if base == "" {
		region := c.Region
		if i := strings.IndexByte(poolID, '_'); region == "" && i > 0 {
			region = poolID[:i]
		}
		base = "https://cognito-idp." + region + ".amazonaws.com"
	}
	return strings.TrimRight(base, "/") + "/" + poolID
}

// UserPool is a found or created pool.
type UserPool struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
}

// ErrAmbiguousPool is returned when more than one user pool has the wanted name.
var ErrAmbiguousPool = errors.New("more than one user pool has this name")

// FindUserPool returns the pool with exactly this name, nil when there is none, and an error naming the ids
// when there are several (the plugin never guesses between them).
func (c *Cognito) FindUserPool(ctx context.Context, name string) (*UserPool, error) {
	var found []UserPool
	p := cip.NewListUserPoolsPaginator(c.API, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing Cognito user pools: %w", ExplainCognito(err))
		}
		for _, up := range page.UserPools {
			if aws.ToString(up.Name) == name {
				found = append(found, UserPool{ID: aws.ToString(up.Id), Name: name})
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return &found[0], nil
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.ID
	}
	return nil, fmt.Errorf("user pool %q: %w (%s). Pass the pool id to use instead of the name", name, ErrAmbiguousPool, strings.Join(ids, ", "))
}

// PoolOptions tune a created pool.
type PoolOptions struct {
	// UsernameAttributes, e.g. ["email"]; empty (the default) means free-form usernames.
	UsernameAttributes []string
	// Tags are added to a created pool (e.g. managed-by).
	Tags map[string]string
}

// EnsureUserPool finds the pool by name or creates it. It never creates a second pool with the same name.
func (c *Cognito) EnsureUserPool(ctx context.Context, name string, o PoolOptions) (UserPool, plan.Action, error) {
	if name == "" {
		return UserPool{}, "", errors.New("user pool name is empty")
	}
	found, err := c.FindUserPool(ctx, name)
	if err != nil {
		return UserPool{}, "", err
	}
	if found != nil {
		return *found, plan.Unchanged, nil
	}
	in := &cip.CreateUserPoolInput{PoolName: aws.String(name), UserPoolTags: o.Tags,
		AdminCreateUserConfig: &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}}
	for _, a := range o.UsernameAttributes {
		in.UsernameAttributes = append(in.UsernameAttributes, ciptypes.UsernameAttributeType(a))
	}
	out, err := c.API.CreateUserPool(ctx, in)
	if err != nil {
		return UserPool{}, "", fmt.Errorf("creating user pool %q: %w", name, ExplainCognito(err))
	}
	return UserPool{ID: aws.ToString(out.UserPool.Id), Name: name, ARN: aws.ToString(out.UserPool.Arn)}, plan.Create, nil
}

// DeleteUserPool deletes a pool. A pool that is already gone is not an error (deleted=false).
func (c *Cognito) DeleteUserPool(ctx context.Context, poolID string) (deleted bool, err error) {
	_, err = c.API.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		if isCode(err, "ResourceNotFoundException") {
			return false, nil
		}
		return false, fmt.Errorf("deleting user pool %s: %w", poolID, ExplainCognito(err))
	}
	return true, nil
}

// RequiredAuthFlows are the flows the plugin's app client needs.
var RequiredAuthFlows = []ciptypes.ExplicitAuthFlowsType{
	ciptypes.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
	ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
}

// ClientSpec describes the app client.
type ClientSpec struct {
	Name string
	// Token lifetimes; zero keeps Cognito's defaults (ID/access 1h, refresh 30d). ID/access: 5m–1d.
	IDTokenValidity, AccessTokenValidity, RefreshTokenValidity time.Duration
}

// AppClient is a found or created app client. Secret is sensitive: never print it unmasked.
type AppClient struct {
	PoolID    string   `json:"poolId"`
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Secret    string   `json:"-"`
	AuthFlows []string `json:"authFlows"`
}

// FindAppClient returns the pool's app client with this name (described, with its secret), or nil.
func (c *Cognito) FindAppClient(ctx context.Context, poolID, name string) (*AppClient, *ciptypes.UserPoolClientType, error) {
	var ids []string
	p := cip.NewListUserPoolClientsPaginator(c.API, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing app clients of user pool %s: %w", poolID, ExplainCognito(err))
		}
		for _, d := range page.UserPoolClients {
			if aws.ToString(d.ClientName) == name {
				ids = append(ids, aws.ToString(d.ClientId))
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	if len(ids) > 1 {
		return nil, nil, fmt.Errorf("user pool %s has %d app clients named %q (%s). Pass the client id to use", poolID, len(ids), name, strings.Join(ids, ", "))
	}
	return c.DescribeAppClient(ctx, poolID, ids[0])
}

// DescribeAppClient reads one app client, including its secret.
func (c *Cognito) DescribeAppClient(ctx context.Context, poolID, clientID string) (*AppClient, *ciptypes.UserPoolClientType, error) {
	out, err := c.API.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)})
	if err != nil {
		return nil, nil, fmt.Errorf("reading app client %s of user pool %s: %w", clientID, poolID, ExplainCognito(err))
	}
	d := out.UserPoolClient
	ac := &AppClient{PoolID: poolID, ID: aws.ToString(d.ClientId), Name: aws.ToString(d.ClientName), Secret: aws.ToString(d.ClientSecret)}
	for _, f := range d.ExplicitAuthFlows {
		ac.AuthFlows = append(ac.AuthFlows, string(f))
	}
	return ac, d, nil
}

func missingFlows(have []ciptypes.ExplicitAuthFlowsType) []ciptypes.ExplicitAuthFlowsType {
	var miss []ciptypes.ExplicitAuthFlowsType
	for _, f := range RequiredAuthFlows {
		if !slices.Contains(have, f) {
			miss = append(miss, f)
		}
	}
	return miss
}

// validity converts a duration to (value, unit) in the largest whole unit.
func validity(d time.Duration) (int32, ciptypes.TimeUnitsType) {
	switch {
	case d%(24*time.Hour) == 0:
		return int32(d / (24 * time.Hour)), ciptypes.TimeUnitsTypeDays
	case d%time.Hour == 0:
		return int32(d / time.Hour), ciptypes.TimeUnitsTypeHours
	case d%time.Minute == 0:
		return int32(d / time.Minute), ciptypes.TimeUnitsTypeMinutes
	}
	return int32(d / time.Second), ciptypes.TimeUnitsTypeSeconds
}

func (s ClientSpec) validate() error {
	if s.Name == "" {
		return errors.New("app client name is empty")
	}
	for _, v := range []struct {
		what string
		d    time.Duration
	}{{"ID token", s.IDTokenValidity}, {"access token", s.AccessTokenValidity}} {
		if v.d != 0 && (v.d < 5*time.Minute || v.d > 24*time.Hour) {
			return fmt.Errorf("%s validity %s is out of Cognito's range (5m to 24h)", v.what, v.d)
		}
	}
	if d := s.RefreshTokenValidity; d != 0 && (d < time.Hour || d > 10*365*24*time.Hour) {
		return fmt.Errorf("refresh token validity %s is out of Cognito's range (1h to 10 years)", d)
	}
	return nil
}

// EnsureAppClient finds the client by name in the pool or creates it with a secret and the required flows. An
// existing client missing a required flow is updated (every other setting kept); one without a secret is used as
// it is (tokens are minted without SECRET_HASH).
// enableMissingFlows turns on the auth flows the plugin needs on an existing client, keeping every other
// setting (Update replaces the whole client, so it starts from Describe).
func (c *Cognito) enableMissingFlows(ctx context.Context, found *AppClient, desc *ciptypes.UserPoolClientType) (AppClient, plan.Action, error) {
	miss := missingFlows(desc.ExplicitAuthFlows)
	if len(miss) == 0 {
		return *found, plan.Unchanged, nil
	}
	in := UpdateClientInputFromDescribe(desc)
	in.ExplicitAuthFlows = append(slices.Clone(desc.ExplicitAuthFlows), miss...)
	if _, err := c.API.UpdateUserPoolClient(ctx, in); err != nil {
		return AppClient{}, "", fmt.Errorf("enabling %v on app client %s: %w", miss, found.ID, ExplainCognito(err))
	}
	for _, f := range miss {
		found.AuthFlows = append(found.AuthFlows, string(f))
	}
	return *found, plan.Update, nil
}

func (c *Cognito) EnsureAppClient(ctx context.Context, poolID string, spec ClientSpec) (AppClient, plan.Action, error) {
	if err := spec.validate(); err != nil {
		return AppClient{}, "", err
	}
	found, desc, err := c.FindAppClient(ctx, poolID, spec.Name)
	if err != nil {
		return AppClient{}, "", err
	}
	if found != nil {
		return c.enableMissingFlows(ctx, found, desc)
	}
	in := &cip.CreateUserPoolClientInput{
		UserPoolId:        aws.String(poolID),
		ClientName:        aws.String(spec.Name),
		GenerateSecret:    true,
		ExplicitAuthFlows: slices.Clone(RequiredAuthFlows),
	}
	units := &ciptypes.TokenValidityUnitsType{}
	if spec.IDTokenValidity > 0 {
		v, u := validity(spec.IDTokenValidity)
		in.IdTokenValidity, units.IdToken = aws.Int32(v), u
	}
	if spec.AccessTokenValidity > 0 {
		v, u := validity(spec.AccessTokenValidity)
		in.AccessTokenValidity, units.AccessToken = aws.Int32(v), u
	}
	if spec.RefreshTokenValidity > 0 {
		v, u := validity(spec.RefreshTokenValidity)
		in.RefreshTokenValidity, units.RefreshToken = v, u
	}
	if *units != (ciptypes.TokenValidityUnitsType{}) {
		in.TokenValidityUnits = units
	}
	out, err := c.API.CreateUserPoolClient(ctx, in)
	if err != nil {
		return AppClient{}, "", fmt.Errorf("creating app client %q in user pool %s: %w", spec.Name, poolID, ExplainCognito(err))
	}
	d := out.UserPoolClient
	ac := AppClient{PoolID: poolID, ID: aws.ToString(d.ClientId), Name: spec.Name, Secret: aws.ToString(d.ClientSecret)}
	for _, f := range d.ExplicitAuthFlows {
		ac.AuthFlows = append(ac.AuthFlows, string(f))
	}
	if ac.Secret == "" {
		// Some implementations only return the secret from Describe.
		if full, _, err := c.DescribeAppClient(ctx, poolID, ac.ID); err == nil {
			ac.Secret = full.Secret
		}
	}
	return ac, plan.Create, nil
}

// UpdateClientInputFromDescribe copies every setting of an app client into an UpdateUserPoolClientInput
// (UpdateUserPoolClient resets what it is not given), by reflection over same-named fields.
func UpdateClientInputFromDescribe(d *ciptypes.UserPoolClientType) *cip.UpdateUserPoolClientInput {
	in := &cip.UpdateUserPoolClientInput{}
	dst := reflect.ValueOf(in).Elem()
	src := reflect.ValueOf(d).Elem()
	for i := 0; i < dst.NumField(); i++ {
		f := dst.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		sf, ok := src.Type().FieldByName(f.Name)
		if !ok {
			continue
		}
		sv := src.FieldByIndex(sf.Index)
		switch {
		case sf.Type.AssignableTo(f.Type):
			dst.Field(i).Set(sv)
		case sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().AssignableTo(f.Type):
			if !sv.IsNil() {
				dst.Field(i).Set(sv.Elem())
			}
		}
	}
	return in
}

// ServiceUser is the pool user whose tokens the gateway sends. Password is sensitive.
type ServiceUser struct {
	// Username is what was asked for (the sign-in name).
	Username string `json:"username"`
	// PoolUsername is Cognito's own username (the cognito:username claim; a UUID in pools that sign in by email).
	PoolUsername string `json:"poolUsername,omitempty"`
	Sub          string `json:"sub,omitempty"`
	Password     string `json:"-"`
	// PasswordSet says the password was (re)set by this call, so the caller must store it.
	PasswordSet bool `json:"-"`
}

// EnsureUser finds or creates the service user with a permanent password. When the user exists and password is
// given, nothing changes if the password still signs in through client (PasswordSignsIn; nil client: not
// checked); when it no longer does (another setup for the same user set a new one), when no password is known,
// or when the user still waits for its first password (an interrupted earlier run), a new generated password is
// set (PasswordSet, action update).
// When creating, password "" means "generate one" (crypto/rand, meets Cognito's default policy).
func (c *Cognito) EnsureUser(ctx context.Context, poolID, username, password string, client *AppClient) (ServiceUser, plan.Action, error) {
	if username == "" {
		return ServiceUser{}, "", errors.New("service user name is empty")
	}
	u := ServiceUser{Username: username}
	got, err := c.API.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	switch {
	case err == nil:
		u.PoolUsername = aws.ToString(got.Username)
		u.Sub = attr(got.UserAttributes, "sub")
		if password != "" && got.UserStatus != ciptypes.UserStatusTypeForceChangePassword && got.UserStatus != ciptypes.UserStatusTypeResetRequired {
			ok := true
			if client != nil {
				// Reuse the stored password only when it still signs in: another setup for the same user may
				// have set a new one.
				if ok, _, err = c.PasswordSignsIn(ctx, poolID, *client, username, password); err != nil {
					return ServiceUser{}, "", err
				}
			}
			if ok {
				u.Password = password
				return u, plan.Unchanged, nil
			}
			password = ""
		}
		if password == "" {
			if password, err = GeneratePassword(); err != nil {
				return ServiceUser{}, "", err
			}
		}
		if err := c.setPassword(ctx, poolID, username, password); err != nil {
			return ServiceUser{}, "", err
		}
		u.Password, u.PasswordSet = password, true
		return u, plan.Update, nil
	case !isCode(err, "UserNotFoundException"):
		return ServiceUser{}, "", fmt.Errorf("looking up user %q in pool %s: %w", username, poolID, ExplainCognito(err))
	}
	if password == "" {
		if password, err = GeneratePassword(); err != nil {
			return ServiceUser{}, "", err
		}
	}
	out, err := c.API.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId:    aws.String(poolID),
		Username:      aws.String(username),
		MessageAction: ciptypes.MessageActionTypeSuppress,
	})
	if err != nil {
		return ServiceUser{}, "", fmt.Errorf("creating user %q in pool %s: %w", username, poolID, ExplainCognito(err))
	}
	if out.User != nil {
		u.PoolUsername = aws.ToString(out.User.Username)
		u.Sub = attr(out.User.Attributes, "sub")
	}
	if err := c.setPassword(ctx, poolID, username, password); err != nil {
		return ServiceUser{}, "", fmt.Errorf("%w (the user exists now; rerun to finish)", err)
	}
	u.Password, u.PasswordSet = password, true
	return u, plan.Create, nil
}

func (c *Cognito) setPassword(ctx context.Context, poolID, username, password string) error {
	_, err := c.API.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username), Password: aws.String(password), Permanent: true,
	})
	if err != nil {
		return fmt.Errorf("setting the password of user %q in pool %s: %w", username, poolID, ExplainCognito(err, password))
	}
	return nil
}

func attr(as []ciptypes.AttributeType, name string) string {
	for _, a := range as {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// Password generation: Cognito's default policy wants at least 8 characters with a lower-case letter, an upper-case
// letter, a digit and a symbol. Symbols are taken from Cognito's allowed set, avoiding ones shells and YAML mangle.
const (
	pwLower   = "abcdefghijkmnopqrstuvwxyz"
	pwUpper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	pwDigits  = "23456789"
	pwSymbols = "!#%*+-.=?@^_~"
	// PasswordLength is the length of generated passwords.
	PasswordLength = 32
)

// GeneratePassword returns a random password (crypto/rand) that meets Cognito's default password policy.
func GeneratePassword() (string, error) {
	all := pwLower + pwUpper + pwDigits + pwSymbols
	pick := func(set string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, fmt.Errorf("generating a password: %w", err)
		}
		return set[n.Int64()], nil
	}
	b := make([]byte, 0, PasswordLength)
	for _, set := range []string{pwLower, pwUpper, pwDigits, pwSymbols} {
		ch, err := pick(set)
		if err != nil {
			return "", err
		}
		b = append(b, ch)
	}
	for len(b) < PasswordLength {
		ch, err := pick(all)
		if err != nil {
			return "", err
		}
		b = append(b, ch)
	}
	// Shuffle (Fisher–Yates with crypto/rand) so the required classes are not always first.
	for i := len(b) - 1; i > 0; i-- {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", fmt.Errorf("generating a password: %w", err)
		}
		j := n.Int64()
		b[i], b[j] = b[j], b[i]
	}
	return string(b), nil
}

// IdentitySpec is the whole Cognito side of the setup.
type IdentitySpec struct {
	PoolName string
	// PoolID uses an existing pool instead of finding one by name.
	PoolID string
	Pool   PoolOptions
	Client ClientSpec
	// ClientID uses an existing client instead of finding one by name.
	ClientID string
	Username string
	// Password is the stored password of an existing user, if known.
	Password string
}

// PlanStep is one line of the plan.
type PlanStep struct {
	Resource string      `json:"resource"` // "user-pool", "app-client", "user", "password"
	Name     string      `json:"name"`
	ID       string      `json:"id,omitempty"`
	Action   plan.Action `json:"action"`
	Detail   string      `json:"detail,omitempty"`
	Call     string      `json:"call,omitempty"` // the AWS call(s) that will be made
	// PasswordReset: an existing user gets a new password (AdminSetUserPassword), so every other setup that
	// stores the old one for the same pool and user needs the new one.
	PasswordReset bool `json:"passwordReset,omitempty"`
}

// PlanIdentity says what EnsureIdentity would do, with read-only calls only (for --dry-run and the plan page).
func (c *Cognito) PlanIdentity(ctx context.Context, s IdentitySpec) ([]PlanStep, error) {
	poolID, err := c.plannedPool(ctx, s.PoolID, s.PoolName)
	if err != nil {
		return nil, err
	}
	if poolID == "" {
		return []PlanStep{
			{Resource: "user-pool", Name: s.PoolName, Action: plan.Create, Call: "CreateUserPool"},
			{Resource: "app-client", Name: s.Client.Name, Action: plan.Create, Call: "CreateUserPoolClient", Detail: "with secret; ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH"},
			{Resource: "user", Name: s.Username, Action: plan.Create, Call: "AdminCreateUser, AdminSetUserPassword", Detail: "generated password, permanent"},
		}, nil
	}
	steps := []PlanStep{{Resource: "user-pool", Name: s.PoolName, ID: poolID, Action: plan.Unchanged}}
	var (
		ac   *AppClient
		desc *ciptypes.UserPoolClientType
	)
	if s.ClientID != "" {
		ac, desc, err = c.DescribeAppClient(ctx, poolID, s.ClientID)
	} else {
		ac, desc, err = c.FindAppClient(ctx, poolID, s.Client.Name)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case ac == nil:
		steps = append(steps, PlanStep{Resource: "app-client", Name: s.Client.Name, Action: plan.Create, Call: "CreateUserPoolClient", Detail: "with secret; ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH"})
	case len(missingFlows(desc.ExplicitAuthFlows)) > 0:
		steps = append(steps, PlanStep{Resource: "app-client", Name: ac.Name, ID: ac.ID, Action: plan.Update, Call: "UpdateUserPoolClient", Detail: fmt.Sprintf("enable %v", missingFlows(desc.ExplicitAuthFlows))})
	default:
		steps = append(steps, PlanStep{Resource: "app-client", Name: ac.Name, ID: ac.ID, Action: plan.Unchanged})
	}
	got, err := c.API.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(s.Username)})
	switch {
	case err != nil && isCode(err, "UserNotFoundException"):
		steps = append(steps, PlanStep{Resource: "user", Name: s.Username, Action: plan.Create, Call: "AdminCreateUser, AdminSetUserPassword", Detail: "generated password, permanent"})
	case err != nil:
		return nil, fmt.Errorf("looking up user %q in pool %s: %w", s.Username, poolID, ExplainCognito(err))
	case s.Password == "" || got.UserStatus == ciptypes.UserStatusTypeForceChangePassword || got.UserStatus == ciptypes.UserStatusTypeResetRequired:
		why := string(got.UserStatus)
		if s.Password == "" {
			why = "no stored password"
		}
		steps = append(steps, PlanStep{Resource: "user", Name: s.Username, ID: aws.ToString(got.Username), Action: plan.Update, Call: "AdminSetUserPassword", Detail: "set a new generated password (" + why + ")", PasswordReset: true})
	case ac == nil || len(missingFlows(desc.ExplicitAuthFlows)) > 0:
		// The client is created or its flows enabled first: EnsureIdentity checks the password through it then.
		steps = append(steps, PlanStep{Resource: "user", Name: s.Username, ID: aws.ToString(got.Username), Action: plan.Unchanged,
			Detail: "the stored password is checked once the app client allows ADMIN_USER_PASSWORD_AUTH (a new one is set if it no longer signs in)"})
	default:
		ok, why, err := c.PasswordSignsIn(ctx, poolID, *ac, s.Username, s.Password)
		if err != nil {
			return nil, err
		}
		if !ok {
			steps = append(steps, PlanStep{Resource: "user", Name: s.Username, ID: aws.ToString(got.Username), Action: plan.Update, Call: "AdminSetUserPassword",
				Detail: "the stored password no longer signs in (" + why + "; another setup may have set a new one): set a new generated password", PasswordReset: true})
			break
		}
		steps = append(steps, PlanStep{Resource: "user", Name: s.Username, ID: aws.ToString(got.Username), Action: plan.Unchanged, Detail: "the stored password signs in"})
	}
	return steps, nil
}

// PasswordSignsIn checks that username signs in with password through the app client, as the mint does
// (AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH with SECRET_HASH; a successful check is a sign-in, its tokens are
// dropped). ok is false, with Cognito's reason, when the password is refused or must be reset; err is for a check
// that could not be made (throttling, a client without the flow, an MFA challenge).
func (c *Cognito) PasswordSignsIn(ctx context.Context, poolID string, client AppClient, username, password string) (ok bool, why string, err error) {
	_, err = c.MintWithPassword(ctx, MintRequest{PoolID: poolID, ClientID: client.ID, ClientSecret: client.Secret, Username: username, Password: password})
	var ae smithy.APIError
	switch {
	case err == nil:
		return true, "", nil
	case !errors.As(err, &ae):
		return false, "", err
	case ae.ErrorCode() == "NotAuthorizedException" && strings.Contains(strings.ToLower(ae.ErrorMessage()), "incorrect username or password"),
		ae.ErrorCode() == "InvalidPasswordException", // cognito-local's answer to a wrong password
		ae.ErrorCode() == "PasswordResetRequiredException":
		return false, ae.ErrorCode(), nil
	}
	return false, "", fmt.Errorf("checking the stored password of user %q: %w", username, err)
}

// CognitoIdentity is the result of EnsureIdentity.
type CognitoIdentity struct {
	Pool   UserPool    `json:"pool"`
	Client AppClient   `json:"client"`
	User   ServiceUser `json:"user"`
	Issuer string      `json:"issuer"`
	Steps  []PlanStep  `json:"steps"`
}

// EnsureIdentity converges pool, client and user (each found or created, never duplicated) and reports the step
// actions. An interrupted run is finished by running it again.
func (c *Cognito) EnsureIdentity(ctx context.Context, s IdentitySpec) (CognitoIdentity, error) {
	var id CognitoIdentity
	pool, step, err := c.ensurePool(ctx, s.PoolID, s.PoolName, s.Pool)
	if err != nil {
		return id, err
	}
	id.Pool, id.Steps = pool, append(id.Steps, step)
	id.Issuer = c.Issuer(id.Pool.ID)
	if s.ClientID != "" {
		found, desc, err := c.DescribeAppClient(ctx, id.Pool.ID, s.ClientID)
		if err != nil {
			return id, err
		}
		// The same convergence as for a client found by name, so the run does what PlanIdentity planned.
		ac, act, err := c.enableMissingFlows(ctx, found, desc)
		if err != nil {
			return id, err
		}
		id.Client = ac
		id.Steps = append(id.Steps, PlanStep{Resource: "app-client", Name: ac.Name, ID: ac.ID, Action: act})
	} else {
		ac, act, err := c.EnsureAppClient(ctx, id.Pool.ID, s.Client)
		if err != nil {
			return id, fmt.Errorf("%w (user pool %s exists; rerun to continue)", err, id.Pool.ID)
		}
		id.Client = ac
		id.Steps = append(id.Steps, PlanStep{Resource: "app-client", Name: ac.Name, ID: ac.ID, Action: act})
	}
	u, act, err := c.EnsureUser(ctx, id.Pool.ID, s.Username, s.Password, &id.Client)
	if err != nil {
		return id, fmt.Errorf("%w (user pool %s and app client %s exist; rerun to continue)", err, id.Pool.ID, id.Client.ID)
	}
	id.User = u
	id.Steps = append(id.Steps, PlanStep{Resource: "user", Name: u.Username, ID: u.PoolUsername, Action: act, PasswordReset: act == plan.Update && u.PasswordSet})
	return id, nil
}

// ensurePool is the pool step EnsureIdentity and EnsureMachine share: the pool poolID names (read, unchanged),
// else the pool named name, found or created with o; and its plan step.
func (c *Cognito) ensurePool(ctx context.Context, poolID, name string, o PoolOptions) (UserPool, PlanStep, error) {
	if poolID != "" {
		out, err := c.API.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
		if err != nil {
			return UserPool{}, PlanStep{}, fmt.Errorf("reading user pool %s: %w", poolID, ExplainCognito(err))
		}
		p := UserPool{ID: poolID, Name: aws.ToString(out.UserPool.Name), ARN: aws.ToString(out.UserPool.Arn)}
		return p, PlanStep{Resource: "user-pool", Name: p.Name, ID: poolID, Action: plan.Unchanged}, nil
	}
	p, act, err := c.EnsureUserPool(ctx, name, o)
	if err != nil {
		return UserPool{}, PlanStep{}, err
	}
	return p, PlanStep{Resource: "user-pool", Name: p.Name, ID: p.ID, Action: act}, nil
}

// plannedPool is the pool PlanIdentity and PlanMachine start from: poolID, else the id of the pool named name; ""
// when there is none yet (everything is to be created).
func (c *Cognito) plannedPool(ctx context.Context, poolID, name string) (string, error) {
	if poolID != "" {
		return poolID, nil
	}
	p, err := c.FindUserPool(ctx, name)
	if err != nil || p == nil {
		return "", err
	}
	return p.ID, nil
}

func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return slices.Contains(codes, ae.ErrorCode())
}
