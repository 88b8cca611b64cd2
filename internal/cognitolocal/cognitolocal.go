// Package cognitolocal runs cognito-local (the npm package installed under tools/cognito-local) for tests and
// the sandbox, behind a small front that fixes its discovery document.
//
// cognito-local 5.3.0 hard-codes http://localhost:9229/<poolId> as the openid-configuration's issuer and in its
// jwks_uri, whatever port it listens on, while its tokens carry iss = TokenConfig.IssuerDomain + "/" + poolId. On
// any other port the discovery issuer cannot match the token's iss. The front (an in-process HTTP server) proxies
// everything to cognito-local but answers /<poolId>/.well-known/openid-configuration itself with a correct document,
// and cognito-local is configured with IssuerDomain = the front's URL, so
//
//	token iss == discovery issuer == http://127.0.0.1:<front port>/<poolId>
//
// The front also serves, through internal/cognitoextra (a local fake, said so in its package doc), the user-pool
// calls cognito-local does not: resource servers, domains, GetTokensFromRefreshToken with refresh-token rotation.
//
// RawDiscoveryURL still reaches cognito-local's own (wrong) document for tests that want the mismatch.
package cognitolocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitoextra"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/proc"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options tune Start.
type Options struct {
	// Dir holds .cognito/ (config and pools) and the log; default: a new temp dir removed by Stop.
	Dir string
	// Node is the node binary (default: "node" from PATH).
	Node string
	// StartJS is cognito-local's lib/bin/start.js (default: StartJS()).
	StartJS string
	// FrontAddr is where the front listens (default 127.0.0.1:0). The sandbox sets a fixed port.
	FrontAddr string
	// EmailUsernames keeps cognito-local's default of e-mail usernames for pools that do not say otherwise
	// (then cognito:username is a UUID). Default: free-form usernames, like real Cognito.
	EmailUsernames bool
	// StartTimeout bounds waiting for cognito-local to answer (default 60s).
	StartTimeout time.Duration
}

// Server is a running cognito-local with its front.
type Server struct {
	Dir     string
	LogFile string

	rawURL   string
	frontURL string
	front    *http.Server
	frontLn  net.Listener
	proc     *proc.Process
	ownsDir  bool
	stopOnce sync.Once
}

// StartJS is where `make test` installs cognito-local: $AGENTCORE_COGNITO_LOCAL (the start.js path), else
// <repo>/tools/cognito-local/node_modules/cognito-local/lib/bin/start.js.
func StartJS() string {
	if p := os.Getenv("AGENTCORE_COGNITO_LOCAL"); p != "" {
		return p
	}
	rel := filepath.Join("tools", "cognito-local", "node_modules", "cognito-local", "lib", "bin", "start.js")
	if root, err := repoRoot(); err == nil {
		return filepath.Join(root, rel)
	}
	return rel
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/kubectl-agentcore/kubectl-agentcore\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kubectl-agentcore repository root not found")
		}
		dir = parent
	}
}

// Missing says why cognito-local cannot start here ("" when it can).
func Missing(o Options) string {
	node := o.Node
	if node == "" {
		node = "node"
	}
	if _, err := exec.LookPath(node); err != nil {
		return "node (Node.js) is not on PATH"
	}
	js := o.StartJS
	if js == "" {
		js = StartJS()
	}
	if _, err := os.Stat(js); err != nil {
		return "cognito-local is not installed at " + js + " (run `make test` once, or npm ci in tools/cognito-local)"
	}
	return ""
}

// Start runs cognito-local on a free loopback port behind the front and waits until it answers.
func Start(ctx context.Context, o Options) (*Server, error) {
	if why := Missing(o); why != "" {
		return nil, errors.New(why)
	}
	if o.Node == "" {
		o.Node = "node"
	}
	if o.StartJS == "" {
		o.StartJS = StartJS()
	}
	if o.FrontAddr == "" {
		o.FrontAddr = "127.0.0.1:0"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	s := &Server{Dir: o.Dir}
	if s.Dir == "" {
		d, err := os.MkdirTemp("", "cognito-local-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.ownsDir = d, true
	}
	s.LogFile = filepath.Join(s.Dir, "cognito-local.log")
	ln, err := net.Listen("tcp", o.FrontAddr)
	if err != nil {
		s.cleanupDir()
		return nil, fmt.Errorf("cognito-local front: %w", err)
	}
	s.frontLn = ln
	s.frontURL = "http://" + ln.Addr().String()

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := proc.FreePort()
		if err != nil {
			lastErr = err
			break
		}
		if err := s.writeConfig(o); err != nil {
			lastErr = err
			break
		}
		s.rawURL = "http://127.0.0.1:" + strconv.Itoa(port)
		if lastErr = s.spawn(o, port); lastErr != nil {
			break
		}
		if lastErr = s.waitReady(ctx, o.StartTimeout); lastErr == nil {
			break
		}
		s.kill()
		if !strings.Contains(s.LogTail(), "EADDRINUSE") {
			break
		}
	}
	if lastErr != nil {
		_ = ln.Close()
		tail := s.LogTail()
		s.cleanupDir()
		return nil, fmt.Errorf("starting cognito-local: %w\n%s", lastErr, tail)
	}
	raw, _ := url.Parse(s.rawURL)
	proxy := httputil.NewSingleHostReverseProxy(raw)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{pool}/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		pool := r.PathValue("pool")
		iss := s.Issuer(pool)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss,
			"jwks_uri":                              iss + "/.well-known/jwks.json",
			"authorization_endpoint":                s.frontURL + "/oauth2/authorize",
			"token_endpoint":                        s.frontURL + "/oauth2/token",
			"userinfo_endpoint":                     s.frontURL + "/oauth2/userInfo",
			"response_types_supported":              []string{"code", "token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"scopes_supported":                      []string{"openid", "email", "phone", "profile"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		})
	})
	// The Cognito calls cognito-local lacks (resource servers, domains, refresh-token rotation) are served by a
	// local fake in front of it; everything else reaches cognito-local.
	mux.Handle("/", cognitoextra.New(proxy))
	s.front = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.front.Serve(ln) }()
	return s, nil
}

func (s *Server) writeConfig(o Options) error {
	cfg := map[string]any{
		"TokenConfig": map[string]any{"IssuerDomain": s.frontURL},
	}
	if !o.EmailUsernames {
		cfg["UserPoolDefaults"] = map[string]any{"UsernameAttributes": []string{}}
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.MkdirAll(filepath.Join(s.Dir, ".cognito"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, ".cognito", "config.json"), b, 0o644)
}

func (s *Server) spawn(o Options, port int) error {
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(o.Node, o.StartJS)
	cmd.Dir = s.Dir
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORT=") && !strings.HasPrefix(kv, "HOST=") && !strings.HasPrefix(kv, "DEBUG=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "PORT="+strconv.Itoa(port), "HOST=127.0.0.1")
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := proc.Start(cmd, func() { logf.Close() })
	if err != nil {
		logf.Close()
		return err
	}
	s.proc = p
	return nil
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.rawURL+"/health", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-s.proc.Done():
			return errors.New("cognito-local exited during start")
		case <-ctx.Done():
			return fmt.Errorf("cognito-local did not answer on %s within %s", s.rawURL, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) kill() {
	if s.proc != nil {
		s.proc.Stop()
	}
}

// LogTail is the end of cognito-local's log, for error messages.
func (s *Server) LogTail() string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (s *Server) cleanupDir() {
	if s.ownsDir {
		_ = os.RemoveAll(s.Dir)
	}
}

// Stop stops the front and cognito-local (its whole process group) and removes a temp dir it made.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.front != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.front.Shutdown(ctx)
			cancel()
		}
		s.kill()
		s.cleanupDir()
	})
}

// PID is cognito-local's process id (for the sandbox's state file).
func (s *Server) PID() int {
	if s.proc == nil {
		return 0
	}
	return s.proc.PID()
}

// Endpoint is the front's base URL: use it as AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER / BaseEndpoint.
func (s *Server) Endpoint() string { return s.frontURL }

// RawEndpoint is cognito-local itself (its discovery document is wrong; see the package comment).
func (s *Server) RawEndpoint() string { return s.rawURL }

// Issuer is the pool's issuer: the front's URL + "/" + poolID (what the tokens' iss says).
func (s *Server) Issuer(poolID string) string { return s.frontURL + "/" + poolID }

// DiscoveryURL is the pool's correct discovery URL through the front.
func (s *Server) DiscoveryURL(poolID string) string {
	return s.Issuer(poolID) + "/.well-known/openid-configuration"
}

// JWKSURL is the pool's JWKS through the front.
func (s *Server) JWKSURL(poolID string) string { return s.Issuer(poolID) + "/.well-known/jwks.json" }

// RawDiscoveryURL is cognito-local's own discovery document, whose issuer is http://localhost:9229/<poolId>.
func (s *Server) RawDiscoveryURL(poolID string) string {
	return s.rawURL + "/" + poolID + "/.well-known/openid-configuration"
}

// Credentials used by AWSConfig and Env (dummies: cognito-local does not check them).
const (
	AccessKeyID     = "AKIDCOGNITOLOCAL"
	SecretAccessKey = "cognito-local-secret"
	Region          = "us-east-1"
)

// AWSConfig is an AWS config for the real SDK: dummy static credentials, region us-east-1, BaseEndpoint = the
// front.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region: Region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "cognitolocal"}, nil
		}),
		BaseEndpoint: aws.String(s.frontURL),
	}
}

// Env is the environment that points the AWS SDK (and so the plugin) at this cognito-local.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=" + s.frontURL,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
	}
}

var poolIDRe = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// ValidPoolID reports whether s looks like a user pool id (region_suffix; cognito-local uses local_XXXXXXXX).
func ValidPoolID(s string) bool { return poolIDRe.MatchString(s) }

// Required reports whether a missing cognito-local must fail the test instead of skipping it
// (AGENTCORE_REQUIRE_COGNITO=1, set by `make test` and CI).
func Required() bool { return os.Getenv("AGENTCORE_REQUIRE_COGNITO") == "1" }
