package awsops

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
)

// Vectors computed independently (Python hmac/hashlib and `openssl dgst -sha256 -hmac`) from the documented
// formula base64(HMAC-SHA256(key=client secret, msg=username+clientId)).
func TestSecretHashKnownVectors(t *testing.T) {
	for _, v := range []struct{ secret, user, client, want string }{
		{"secret", "user", "client", "wvW87lzZoI+qQCVGmWVBJLlucdJ65huAVP1z+0MgA6E="},
		{"1example23456789abcdefghijklmnopqrstuvwxyz0123456789", "testuser", "1example23456789", "8cYnNkHJaiu8Jz9EJXuAONlh1FhZIYFzBHGxwOxijWk="},
		{"s3cr3t", "5b6c7d8e-0000-4000-8000-000000000001", "7abc", "S0drfiuD99WA9q2oLrllT8wXq3wgviXoEITtFgBeJ2g="},
		{"k", "用户", "c", "ZznNLW3ukbcnSm96Sg3h4D5dY7Jr0r2puIm2MgbvuTQ="},
	} {
		if got := SecretHash(v.secret, v.user, v.client); got != v.want {
			t.Errorf("SecretHash(%q,%q,%q) = %s, want %s", v.secret, v.user, v.client, got, v.want)
		}
	}
	// Argument order matters: the key is the secret, the message username+clientId.
	if SecretHash("secret", "client", "user") == SecretHash("secret", "user", "client") {
		t.Error("SecretHash ignores the order of username and client id")
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != PasswordLength || seen[p] {
			t.Fatalf("password %d: length %d or repeated", i, len(p))
		}
		seen[p] = true
		var lo, up, dig, sym bool
		for _, r := range p {
			switch {
			case unicode.IsLower(r):
				lo = true
			case unicode.IsUpper(r):
				up = true
			case unicode.IsDigit(r):
				dig = true
			case strings.ContainsRune(pwSymbols, r):
				sym = true
			default:
				t.Fatalf("unexpected character %q", r)
			}
		}
		if !lo || !up || !dig || !sym {
			t.Fatalf("password misses a class required by Cognito's default policy (lower %v upper %v digit %v symbol %v)", lo, up, dig, sym)
		}
	}
}

func TestExplainCognitoNamesEveryDocumentedError(t *testing.T) {
	const secret = "Sup3r-S3cret-Value!"
	for _, c := range []struct {
		code, msg string
		want      []string
	}{
		{"NotAuthorizedException", "Unable to verify secret hash for client 5pk1q2", []string{"SECRET_HASH", "client secret is wrong", "cognito:username"}},
		{"NotAuthorizedException", "Client 5pk1q2 is configured for secret but secret was not received", []string{"has a secret but none was sent"}},
		{"NotAuthorizedException", "Incorrect username or password.", []string{"incorrect username or password", "rerun the wizard"}},
		{"NotAuthorizedException", "Invalid Refresh Token", []string{"refresh token is no longer valid", "password"}},
		{"InvalidParameterException", "Auth flow not enabled for this client", []string{"not enabled for the app client", "ALLOW_ADMIN_USER_PASSWORD_AUTH"}},
		{"UserNotFoundException", "User does not exist.", []string{"does not exist", "rerun the wizard"}},
		{"PasswordResetRequiredException", "Password reset required for the user", []string{"reset the password", "--permanent"}},
		{"TooManyRequestsException", "Too many requests", []string{"throttled", "retry"}},
		{"InvalidPasswordException", "Invalid password", []string{"incorrect password"}},
		{"InvalidPasswordException", "Password does not conform to policy: Password not long enough", []string{"policy"}},
		{"NotAuthorizedException", "Incorrect password " + secret, []string{"NotAuthorizedException"}},
	} {
		err := ExplainCognito(&smithy.GenericAPIError{Code: c.code, Message: c.msg}, secret)
		got := err.Error()
		for _, w := range c.want {
			if !strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
				t.Errorf("%s %q → %q; want it to mention %q", c.code, c.msg, got, w)
			}
		}
		if strings.Contains(got, secret) {
			t.Errorf("secret leaked: %s", got)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != c.code {
			t.Errorf("explained error lost the API error code %s", c.code)
		}
	}
	// A JWT in a message is masked too.
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
	if got := ExplainCognito(&smithy.GenericAPIError{Code: "NotAuthorizedException", Message: "bad token " + jwt}).Error(); strings.Contains(got, jwt) {
		t.Errorf("JWT leaked: %s", got)
	}
}

func TestUnverifiedClaimsAndCognitoUsername(t *testing.T) {
	// {"alg":"none"} . {"cognito:username":"u-1","exp":2000000000} . sig
	tok := "eyJhbGciOiJub25lIn0.eyJjb2duaXRvOnVzZXJuYW1lIjoidS0xIiwiZXhwIjoyMDAwMDAwMDAwfQ.c2ln"
	u, err := CognitoUsername(tok)
	if err != nil || u != "u-1" {
		t.Fatalf("CognitoUsername = %q, %v", u, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a.bm90anNvbg.c"} {
		if _, err := jwtparts.Claims(bad); err == nil {
			t.Errorf("jwtparts.Claims(%q) accepted", bad)
		}
	}
}

type stubAuth struct {
	CognitoAPI
	gotRefresh *cip.GetTokensFromRefreshTokenInput
	challenge  ciptypes.ChallengeNameType
}

func (s *stubAuth) GetTokensFromRefreshToken(_ context.Context, in *cip.GetTokensFromRefreshTokenInput, _ ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error) {
	s.gotRefresh = in
	return &cip.GetTokensFromRefreshTokenOutput{AuthenticationResult: &ciptypes.AuthenticationResultType{
		IdToken:     aws.String("eyJhbGciOiJub25lIn0.eyJjb2duaXRvOnVzZXJuYW1lIjoidS0xIiwiZXhwIjoyMDAwMDAwMDAwfQ.c2ln"),
		AccessToken: aws.String("a"), RefreshToken: aws.String("rotated"), ExpiresIn: 3600}}, nil
}

func (s *stubAuth) AdminInitiateAuth(_ context.Context, in *cip.AdminInitiateAuthInput, _ ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error) {
	return &cip.AdminInitiateAuthOutput{ChallengeName: s.challenge}, nil
}

func TestGetTokensFromRefreshTokenAndChallenges(t *testing.T) {
	st := &stubAuth{}
	c := &Cognito{API: st}
	tok, err := c.MintWithRefresh(context.Background(), MintRequest{ClientID: "cid", ClientSecret: "sec", RefreshToken: "old", UseGetTokensFromRefreshToken: true})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(st.gotRefresh.ClientSecret) != "sec" || aws.ToString(st.gotRefresh.RefreshToken) != "old" {
		t.Errorf("request: %+v", st.gotRefresh)
	}
	if tok.RefreshToken != "rotated" || tok.ExpiresIn != time.Hour || tok.Username != "u-1" || tok.IDTokenExpiresAt.Unix() != 2000000000 {
		t.Errorf("tokens: %+v", tok)
	}
	st.challenge = ciptypes.ChallengeNameTypeNewPasswordRequired
	_, err = c.MintWithPassword(context.Background(), MintRequest{PoolID: "p", ClientID: "c", Username: "u", Password: "pw-secret-1"})
	if err == nil || !strings.Contains(err.Error(), "NEW_PASSWORD_REQUIRED") || strings.Contains(err.Error(), "pw-secret-1") {
		t.Errorf("challenge: %v", err)
	}
	st.challenge = ciptypes.ChallengeNameTypeSoftwareTokenMfa
	if _, err := c.MintWithPassword(context.Background(), MintRequest{PoolID: "p", ClientID: "c", Username: "u", Password: "x"}); err == nil || !strings.Contains(err.Error(), "SOFTWARE_TOKEN_MFA") {
		t.Errorf("mfa: %v", err)
	}
	if _, err := c.MintWithPassword(context.Background(), MintRequest{ClientID: "c"}); err == nil {
		t.Error("missing fields accepted")
	}
}
