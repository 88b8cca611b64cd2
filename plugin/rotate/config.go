package rotate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"k8s.io/client-go/kubernetes"
)

// Target is everything a rotation needs to know, resolved from the setup record and/or flags.
type Target struct {
	Namespace       string
	SecretName      string
	CredentialsName string // "" when the credentials come from env vars or a prompt only
	RecordName      string // "" when there is no setup record
	Record          *setup.Record

	Region     string
	RuntimeARN string
	// AgentCoreGateway is the AgentCore Gateway whose authorizer the token must fit (setup.Record.GatewayTarget,
	// when --runtime-arn does not name a runtime instead).
	AgentCoreGateway string
	UserPoolID       string
	ClientID         string
	Username         string
	TokenUse         string
	DiscoveryURL     string
	Audience         []string

	Creds Credentials

	// ClientCreds is set when the token is minted by OAuth 2.0 client credentials (an external identity
	// provider); its ClientSecret is filled from Creds.ClientSecret when minting.
	ClientCreds *clientcreds.Request
	// AllowedClients are the authorizer's allowedClients recorded by the wizard (external identity provider).
	AllowedClients []string
}

// Flags are the command-line inputs for the no-record case (each overrides the record when set).
type Flags struct {
	Namespace         string // -n, "" when not given explicitly
	DefaultNamespace  string // the kubeconfig's namespace, used without a record
	SecretName        string
	CredentialsSecret string
	UserPoolID        string
	ClientID          string
	Username          string
	RuntimeARN        string
	DiscoveryURL      string
	TokenUse          string
	Region            string
	// Sources of the secret values: "env:NAME", "secret:NAME[/KEY]" (a Secret in the namespace) or "prompt".
	ClientSecretFrom string
	PasswordFrom     string
	RefreshTokenFrom string
	// Record, when set, is the setup record to rotate (the rotation service has it from its informer); it is
	// not looked up again.
	Record *setup.Record
}

// Source kinds (plugin/secretsource reads them).
const (
	SourceEnv    = secretsource.Env
	SourceSecret = secretsource.Secret
	SourcePrompt = secretsource.Prompt
)

// Default environment variables read when no record, Secret or flag names a source.
const (
	EnvClientSecret = "AGENTCORE_CLIENT_SECRET"
	EnvPassword     = "AGENTCORE_PASSWORD"
	EnvRefreshToken = "AGENTCORE_REFRESH_TOKEN"
)

// ValidateSource checks a --*-from value without reading it: a literal secret is refused (it would sit in argv).
func ValidateSource(flag, v string) error { return secretsource.Validate(flag, v) }

// Resolve builds the Target: the setup record (when one exists) gives the defaults, flags override, secret values
// come from the credentials Secret, then from the --*-from sources, then from the AGENTCORE_* env vars.
// prompt asks for a secret value on the terminal (nil: prompting is not possible).
func Resolve(ctx context.Context, kube kubernetes.Interface, fl Flags, prompt func(label string) (string, error)) (*Target, error) {
	t := &Target{}
	rec := fl.Record
	if rec == nil {
		var err error
		if rec, err = FindRecord(ctx, kube, fl); err != nil {
			return nil, err
		}
	}
	if rec != nil {
		r := rec.WithDefaults()
		if !r.Mode.UsesToken() {
			return nil, fmt.Errorf("the setup %s uses mode %s: %s, and holds no token to rotate", r.Ref(), r.Mode, r.Mode.WithoutToken())
		}
		t.Record, t.RecordName = rec, r.Name
		t.Namespace, t.SecretName, t.CredentialsName = r.Namespace, r.SecretName, r.CredentialsName()
		t.Region, t.RuntimeARN, t.UserPoolID, t.ClientID, t.Username = r.Region, r.RuntimeARN, r.UserPoolID, r.ClientID, r.Username
		t.TokenUse, t.DiscoveryURL, t.Audience = string(r.TokenUse), r.DiscoveryURL, r.Audience
		if r.IdentityProvider == setup.IdPCognitoMachine {
			// A Cognito machine client: minted by client credentials at the pool domain's /oauth2/token.
			t.TokenUse, t.AllowedClients = TokenUseAccess, []string{r.ClientID}
			t.ClientCreds = &clientcreds.Request{TokenURL: r.TokenURL, ClientID: r.ClientID, Scopes: r.TokenScopes, AuthMethod: r.AuthMethod}
		}
		if r.IdentityProvider == setup.IdPExternal {
			if !r.ClientCredentials() {
				return nil, fmt.Errorf("the setup %s uses a token pasted from an external identity provider (%s): rotate has nothing to renew it with. Let the plugin mint it by client credentials: kubectl agentcore wizard -n %s --identity external --discovery-url %s --client-id ID --client-secret-from env:VAR|secret:NAME/KEY|prompt --audience API; or put a new token in with --token-file FILE",
					r.Ref(), r.DiscoveryURL, r.Namespace, r.DiscoveryURL)
			}
			t.TokenUse, t.AllowedClients = TokenUseAccess, r.AllowedClients
			t.ClientCreds = &clientcreds.Request{TokenURL: r.TokenURL, ClientID: r.ClientID, Audience: r.TokenAudience,
				Scopes: r.TokenScopes, AuthMethod: r.AuthMethod}
			if r.TokenURL == "" {
				t.ClientCreds.DiscoveryURL = r.DiscoveryURL
			}
		}
	} else {
		t.Namespace = fl.Namespace
		if t.Namespace == "" {
			t.Namespace = fl.DefaultNamespace
		}
	}
	over := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	over(&t.SecretName, fl.SecretName)
	over(&t.CredentialsName, fl.CredentialsSecret)
	over(&t.UserPoolID, fl.UserPoolID)
	over(&t.ClientID, fl.ClientID)
	over(&t.Username, fl.Username)
	over(&t.RuntimeARN, fl.RuntimeARN)
	if rec != nil && fl.RuntimeARN == "" {
		t.AgentCoreGateway = rec.GatewayTarget()
	}
	over(&t.DiscoveryURL, fl.DiscoveryURL)
	over(&t.TokenUse, fl.TokenUse)
	over(&t.Region, fl.Region)
	if t.SecretName == "" {
		t.SecretName = setup.DefaultSecretName
	}
	if t.TokenUse == "" {
		t.TokenUse = TokenUseID
	}
	if t.TokenUse != TokenUseID && t.TokenUse != TokenUseAccess {
		return nil, fmt.Errorf("--token-use %q: use id or access", t.TokenUse)
	}
	if t.Region == "" && t.UserPoolID != "" {
		if i := strings.IndexByte(t.UserPoolID, '_'); i > 0 && strings.Count(t.UserPoolID[:i], "-") >= 2 {
			t.Region = t.UserPoolID[:i] // pool ids are <region>_<id> (cognito-local's local_… is not a region)
		}
	}
	if t.ClientCreds != nil {
		return t, resolveClientSecret(ctx, kube, t, fl, prompt)
	}
	var missing []string
	if t.UserPoolID == "" {
		missing = append(missing, "--user-pool-id")
	}
	if t.ClientID == "" {
		missing = append(missing, "--client-id")
	}
	if t.Username == "" {
		missing = append(missing, "--username")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no setup record in namespace %s and no %s. Run kubectl agentcore wizard, pass -n with the setup's namespace, or give the flags",
			t.Namespace, strings.Join(missing, ", "))
	}

	// Secret values: the credentials Secret first, then explicit sources, then the environment.
	if t.CredentialsName != "" {
		s, err := k8sres.GetSecret(ctx, kube, t.Namespace, t.CredentialsName)
		switch {
		case err == nil:
			t.Creds.ClientSecret, _ = k8sres.SecretValue(s, setup.KeyClientSecret)
			t.Creds.Password, _ = k8sres.SecretValue(s, setup.KeyPassword)
			t.Creds.RefreshToken, _ = k8sres.SecretValue(s, setup.KeyRefreshToken)
		case rec != nil && fl.CredentialsSecret == "" && strings.Contains(err.Error(), "not found"):
			t.CredentialsName = "" // the record's Secret does not exist: credentials must come from elsewhere
		default:
			return nil, err
		}
	}
	for _, s := range []struct {
		flag, from, env string
		dst             *string
	}{
		{"client-secret-from", fl.ClientSecretFrom, EnvClientSecret, &t.Creds.ClientSecret},
		{"password-from", fl.PasswordFrom, EnvPassword, &t.Creds.Password},
		{"refresh-token-from", fl.RefreshTokenFrom, EnvRefreshToken, &t.Creds.RefreshToken},
	} {
		if err := ValidateSource(s.flag, s.from); err != nil {
			return nil, err
		}
		if s.from != "" {
			v, err := readSource(ctx, kube, t.Namespace, s.flag, s.from, prompt)
			if err != nil {
				return nil, err
			}
			*s.dst = v
			continue
		}
		if *s.dst == "" {
			*s.dst = os.Getenv(s.env)
		}
	}
	if t.Creds.RefreshToken == "" && t.Creds.Password == "" {
		return nil, errors.New("nothing to mint a token with: no refresh token and no password. Store them with the wizard, or pass --password-from env:VAR|secret:NAME/KEY|prompt")
	}
	t.Creds.UserPoolID, t.Creds.ClientID, t.Creds.Username = t.UserPoolID, t.ClientID, t.Username
	return t, nil
}

// resolveClientSecret reads the client secret of a client-credentials setup: --client-secret-from, else the
// credentials Secret, else $AGENTCORE_CLIENT_SECRET.
func resolveClientSecret(ctx context.Context, kube kubernetes.Interface, t *Target, fl Flags, prompt func(string) (string, error)) error {
	if err := ValidateSource("client-secret-from", fl.ClientSecretFrom); err != nil {
		return err
	}
	// The method is the record's: the wizard chooses it (rotate has no --auth-method).
	t.ClientCreds.AuthMethodFlag = "kubectl agentcore wizard -n " + t.Namespace + " --auth-method"
	if fl.ClientSecretFrom != "" {
		v, err := readSource(ctx, kube, t.Namespace, "client-secret-from", fl.ClientSecretFrom, prompt)
		t.Creds.ClientSecret = v
		t.ClientCreds.SecretFrom = secretsource.Describe(fl.ClientSecretFrom, t.Namespace, setup.KeyClientSecret) + " (--client-secret-from)"
		return err
	}
	if t.CredentialsName != "" {
		s, err := k8sres.GetSecret(ctx, kube, t.Namespace, t.CredentialsName)
		switch {
		case err == nil:
			t.Creds.ClientSecret, _ = k8sres.SecretValue(s, setup.KeyClientSecret)
			t.ClientCreds.SecretFrom = secretsource.Describe(secretsource.Secret+t.CredentialsName+"/"+setup.KeyClientSecret, t.Namespace, setup.KeyClientSecret)
		case !strings.Contains(err.Error(), "not found"):
			return err
		}
	}
	if t.Creds.ClientSecret == "" {
		t.Creds.ClientSecret = os.Getenv(EnvClientSecret)
		t.ClientCreds.SecretFrom = secretsource.Describe(secretsource.Env+EnvClientSecret, "", "")
	}
	if t.Creds.ClientSecret == "" {
		return fmt.Errorf("no client secret for client %s: the credentials Secret %s has no %s key. Store it there (the wizard does), or pass --client-secret-from env:VAR|secret:NAME/KEY|prompt",
			t.ClientCreds.ClientID, k8sres.Ref(t.Namespace, orDefault(t.CredentialsName, setup.DefaultRecordName+setup.CredentialsSuffix)), setup.KeyClientSecret)
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// FindRecord reads the setup record: namespace's when -n was given; the kubeconfig namespace's when the flags name
// the identity; else the only one in the cluster. No record is (nil, nil).
func FindRecord(ctx context.Context, kube kubernetes.Interface, fl Flags) (*setup.Record, error) {
	var rec *setup.Record
	var err error
	switch {
	case fl.Namespace != "":
		rec, err = setup.Load(ctx, kube, fl.Namespace)
	case fl.UserPoolID != "" && fl.ClientID != "" && fl.Username != "":
		// The flags name the identity: the target is the kubeconfig's namespace, never a record elsewhere.
		rec, err = setup.Load(ctx, kube, fl.DefaultNamespace)
		if err != nil {
			return nil, nil
		}
	default:
		rec, err = setup.Resolve(ctx, kube, "")
	}
	if errors.Is(err, setup.ErrNotFound) {
		return nil, nil
	}
	if err != nil && fl.UserPoolID != "" && fl.ClientID != "" && fl.Username != "" {
		return nil, nil // everything is given by flags; an unreadable record does not matter
	}
	return rec, err
}

func readSource(ctx context.Context, kube kubernetes.Interface, ns, flag, from string, prompt func(string) (string, error)) (string, error) {
	label := strings.TrimSuffix(flag, "-from")
	key := map[string]string{"client-secret": setup.KeyClientSecret, "password": setup.KeyPassword, "refresh-token": setup.KeyRefreshToken}[label]
	return secretsource.Read(ctx, kube, ns, flag, from, key, strings.ReplaceAll(label, "-", " "), prompt)
}
