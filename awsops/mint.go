package awsops

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
)

// SecretHash is Cognito's SECRET_HASH: base64(HMAC-SHA256(key = client secret, message = username + client id)).
// For REFRESH_TOKEN_AUTH the username is the cognito:username claim (a UUID in e-mail pools), not the alias.
func SecretHash(clientSecret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Tokens are what Cognito returns. All three tokens are secret: print them only through redact.Token.
type Tokens struct {
	IDToken     string `json:"-"`
	AccessToken string `json:"-"`
	// RefreshToken is set when Cognito issued one (password flow) or rotated it (refresh flow).
	RefreshToken string `json:"-"`
	TokenType    string `json:"tokenType,omitempty"`
	// ExpiresIn is the access/ID token lifetime Cognito reported (0 when it did not say).
	ExpiresIn time.Duration `json:"expiresIn"`
	// IDTokenExpiresAt is read from the ID token's exp claim (zero if unreadable).
	IDTokenExpiresAt time.Time `json:"idTokenExpiresAt,omitzero"`
	// Username is the cognito:username claim of the ID token: the name SECRET_HASH needs for refresh.
	Username string `json:"username,omitempty"`
}

// MintRequest names the client and user to mint for. ClientSecret and Password are secret.
type MintRequest struct {
	PoolID       string
	ClientID     string
	ClientSecret string // empty for clients without a secret (no SECRET_HASH then)
	Username     string
	Password     string
	// RefreshToken and (for SECRET_HASH) CognitoUsername = the cognito:username claim, for MintWithRefresh.
	RefreshToken    string
	CognitoUsername string
	// UseGetTokensFromRefreshToken uses the newer API (needed when refresh-token rotation is on; takes the secret
	// directly) instead of InitiateAuth REFRESH_TOKEN_AUTH. An endpoint that does not know the operation
	// (UnknownOperationException) gets REFRESH_TOKEN_AUTH instead.
	UseGetTokensFromRefreshToken bool
}

func (r MintRequest) secrets() []string {
	return []string{r.ClientSecret, r.Password, r.RefreshToken}
}

// MintWithPassword calls AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH (needs AWS credentials).
func (c *Cognito) MintWithPassword(ctx context.Context, r MintRequest) (Tokens, error) {
	if r.PoolID == "" || r.ClientID == "" || r.Username == "" || r.Password == "" {
		return Tokens{}, errors.New("minting a token needs the pool id, client id, username and password")
	}
	params := map[string]string{"USERNAME": r.Username, "PASSWORD": r.Password}
	if r.ClientSecret != "" {
		params["SECRET_HASH"] = SecretHash(r.ClientSecret, r.Username, r.ClientID)
	}
	out, err := c.API.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId:     aws.String(r.PoolID),
		ClientId:       aws.String(r.ClientID),
		AuthFlow:       ciptypes.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: params,
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("minting a token for %q (client %s): %w", r.Username, r.ClientID, ExplainCognito(err, r.secrets()...))
	}
	if out.AuthenticationResult == nil {
		return Tokens{}, challengeError(string(out.ChallengeName), r.Username)
	}
	return tokensFrom(out.AuthenticationResult), nil
}

// MintWithRefresh gets new tokens from a refresh token with the public API (no AWS credentials needed):
// InitiateAuth REFRESH_TOKEN_AUTH with SECRET_HASH over the cognito:username claim, or GetTokensFromRefreshToken.
func (c *Cognito) MintWithRefresh(ctx context.Context, r MintRequest) (Tokens, error) {
	if r.ClientID == "" || r.RefreshToken == "" {
		return Tokens{}, errors.New("refreshing a token needs the client id and a refresh token")
	}
	var res *ciptypes.AuthenticationResultType
	if r.UseGetTokensFromRefreshToken {
		in := &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(r.ClientID), RefreshToken: aws.String(r.RefreshToken)}
		if r.ClientSecret != "" {
			in.ClientSecret = aws.String(r.ClientSecret)
		}
		out, err := c.API.GetTokensFromRefreshToken(ctx, in)
		switch {
		case err != nil && isCode(err, "UnknownOperationException") && r.CognitoUsername != "":
			r.UseGetTokensFromRefreshToken = false
			return c.MintWithRefresh(ctx, r)
		case err != nil:
			return Tokens{}, fmt.Errorf("refreshing the token (client %s): %w", r.ClientID, ExplainCognito(err, r.secrets()...))
		}
		res = out.AuthenticationResult
	} else {
		params := map[string]string{"REFRESH_TOKEN": r.RefreshToken}
		if r.ClientSecret != "" {
			if r.CognitoUsername == "" {
				return Tokens{}, errors.New("refreshing with a client secret needs the cognito:username claim for SECRET_HASH. Read it from a previous ID token (awsops.CognitoUsername) or use GetTokensFromRefreshToken")
			}
			params["SECRET_HASH"] = SecretHash(r.ClientSecret, r.CognitoUsername, r.ClientID)
		}
		out, err := c.API.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId:       aws.String(r.ClientID),
			AuthFlow:       ciptypes.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: params,
		})
		if err != nil {
			return Tokens{}, fmt.Errorf("refreshing the token (client %s): %w", r.ClientID, ExplainCognito(err, r.secrets()...))
		}
		if out.AuthenticationResult == nil {
			return Tokens{}, challengeError(string(out.ChallengeName), r.CognitoUsername)
		}
		res = out.AuthenticationResult
	}
	if res == nil {
		return Tokens{}, errors.New("refreshing the token: Cognito returned no tokens. Mint with the password instead")
	}
	t := tokensFrom(res)
	if t.RefreshToken == r.RefreshToken {
		t.RefreshToken = "" // not rotated
	}
	return t, nil
}

func challengeError(challenge, user string) error {
	switch challenge {
	case "NEW_PASSWORD_REQUIRED":
		return fmt.Errorf("user %q must set a new password (NEW_PASSWORD_REQUIRED). Rerun the wizard to set a permanent password, or aws cognito-idp admin-set-user-password --permanent", user)
	case "":
		return errors.New("cognito returned neither tokens nor a challenge")
	}
	return fmt.Errorf("cognito asks for the %s challenge for user %q; the service user must not need MFA or other challenges. Turn them off for this user", challenge, user)
}

func tokensFrom(r *ciptypes.AuthenticationResultType) Tokens {
	t := Tokens{
		IDToken:      aws.ToString(r.IdToken),
		AccessToken:  aws.ToString(r.AccessToken),
		RefreshToken: aws.ToString(r.RefreshToken),
		TokenType:    aws.ToString(r.TokenType),
		ExpiresIn:    time.Duration(r.ExpiresIn) * time.Second,
	}
	if claims, err := jwtparts.Claims(t.IDToken); err == nil {
		if exp, ok := claims["exp"].(float64); ok {
			t.IDTokenExpiresAt = time.Unix(int64(exp), 0).UTC()
		}
		t.Username, _ = claims["cognito:username"].(string)
	}
	return t
}

// CognitoUsername returns the cognito:username claim of an ID token (or username of an access token): the name
// SECRET_HASH needs for REFRESH_TOKEN_AUTH.
func CognitoUsername(token string) (string, error) {
	c, err := jwtparts.Claims(token)
	if err != nil {
		return "", err
	}
	if u, ok := c["cognito:username"].(string); ok && u != "" {
		return u, nil
	}
	if u, ok := c["username"].(string); ok && u != "" {
		return u, nil
	}
	return "", errors.New("token has neither cognito:username nor username")
}

// ExplainCognito turns a Cognito error into one line that says what is wrong and what to do. The given secrets
// (client secret, password, refresh token) and anything JWT-shaped are masked.
func ExplainCognito(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		e := Explain(err)
		return explain.New(err, redact.Strings(e.Error(), secrets...))
	}
	code, msg := ae.ErrorCode(), redact.Strings(ae.ErrorMessage(), secrets...)
	lm := strings.ToLower(msg)
	say := func(s string) error { return explain.New(err, s) }
	switch code {
	case "NotAuthorizedException":
		switch {
		case strings.Contains(lm, "secret hash"):
			return say("Cognito could not verify SECRET_HASH (NotAuthorizedException: " + msg + "). The client secret is wrong, or the hash used another username (for refresh it must be the cognito:username claim) — re-read the secret with DescribeUserPoolClient")
		case strings.Contains(lm, "configured for secret but secret was not received"), strings.Contains(lm, "secret was not received"):
			return say("the app client has a secret but none was sent (NotAuthorizedException: " + msg + "). Provide the client secret so SECRET_HASH can be computed")
		case strings.Contains(lm, "incorrect username or password"):
			return say("incorrect username or password (NotAuthorizedException). Check the stored password, or rerun the wizard to set a new one")
		case strings.Contains(lm, "refresh token") && (strings.Contains(lm, "invalid") || strings.Contains(lm, "expired") || strings.Contains(lm, "revoked")):
			return say("the refresh token is no longer valid (NotAuthorizedException: " + msg + "). Mint with the password again to get a new one")
		case strings.Contains(lm, "disabled"):
			return say("the user is disabled (NotAuthorizedException: " + msg + "). Enable it with aws cognito-idp admin-enable-user")
		case strings.Contains(lm, "auth flow not enabled"), strings.Contains(lm, "flow not enabled"):
			return say("this auth flow is not enabled for the app client (NotAuthorizedException: " + msg + "). Enable ALLOW_ADMIN_USER_PASSWORD_AUTH and ALLOW_REFRESH_TOKEN_AUTH on the client (rerun the wizard)")
		}
		return say("Cognito refused the credentials (NotAuthorizedException: " + msg + "). Check client id, client secret and password")
	case "InvalidParameterException":
		if strings.Contains(lm, "flow not enabled") || strings.Contains(lm, "auth flow") {
			return say("this auth flow is not enabled for the app client (InvalidParameterException: " + msg + "). Enable ALLOW_ADMIN_USER_PASSWORD_AUTH and ALLOW_REFRESH_TOKEN_AUTH on the client (rerun the wizard)")
		}
		return say("Cognito rejected a parameter (InvalidParameterException: " + msg + ")")
	case "RefreshTokenReuseException":
		return say("the refresh token was already rotated out (RefreshTokenReuseException: " + msg + "): the app client rotates refresh tokens and a newer one replaced it. Mint with the password again, or store the newest refresh token")
	case "UserNotFoundException":
		return say("the user does not exist in this pool (UserNotFoundException). Check the username and pool id, or rerun the wizard to create it")
	case "PasswordResetRequiredException":
		return say("the user must reset the password (PasswordResetRequiredException). Set a permanent one: rerun the wizard, or aws cognito-idp admin-set-user-password --permanent")
	case "UserNotConfirmedException":
		return say("the user is not confirmed (UserNotConfirmedException). Confirm it: aws cognito-idp admin-confirm-sign-up")
	case "TooManyRequestsException", "ThrottlingException", "LimitExceededException":
		return say("Cognito throttled the request (" + code + "). Wait a little and retry; rotate --watch backs off by itself")
	case "ResourceNotFoundException":
		return say("not found in Cognito (ResourceNotFoundException: " + msg + "). Check the pool id, client id and --region")
	case "InvalidPasswordException":
		if strings.Contains(lm, "policy") || strings.Contains(lm, "conform") {
			return say("the password does not meet the pool's policy (InvalidPasswordException: " + msg + "). Let the wizard generate one")
		}
		return say("incorrect password (InvalidPasswordException: " + msg + "). Check the stored password, or rerun the wizard to set a new one")
	case "UsernameExistsException":
		return say("the user already exists (UsernameExistsException). Rerun: the wizard reuses it")
	case "AccessDeniedException":
		return say("access denied (AccessDeniedException: " + msg + "). The AWS identity needs cognito-idp permissions for this call")
	case "InvalidUserPoolConfigurationException":
		return say("the user pool is not configured for this (InvalidUserPoolConfigurationException: " + msg + ")")
	}
	e := Explain(err)
	return explain.New(err, redact.Strings(e.Error(), secrets...))
}
