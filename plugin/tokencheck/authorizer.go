// This file: Authorizer, the runtime's customJWTAuthorizer as the checks see it, read from the AWS CLI's JSON
// (ParseAuthorizerJSON) or from the SDK's types (AuthorizerFromSDK), and written back (JSON, ToSDK).
package tokencheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// Custom-claim value types and operators (AgentCore's names).
const (
	ClaimString      = "STRING"
	ClaimStringArray = "STRING_ARRAY"

	OpEquals      = "EQUALS"
	OpContains    = "CONTAINS"
	OpContainsAny = "CONTAINS_ANY"
)

// Authorizer mirrors AgentCore's CustomJWTAuthorizerConfiguration. A nil *Authorizer means the runtime has no
// JWT authorizer (IAM / SigV4 only).
type Authorizer struct {
	DiscoveryURL    string        `json:"discoveryUrl"`
	AllowedAudience []string      `json:"allowedAudience,omitempty"`
	AllowedClients  []string      `json:"allowedClients,omitempty"`
	AllowedScopes   []string      `json:"allowedScopes,omitempty"`
	CustomClaims    []CustomClaim `json:"customClaims,omitempty"`

	// RuntimeID and RuntimeARN are filled when the JSON was a whole GetAgentRuntime output (for fix commands).
	RuntimeID  string `json:"-"`
	RuntimeARN string `json:"-"`
}

// CustomClaim is one custom-claim rule: the claim Name of ValueType (STRING or STRING_ARRAY) compared with
// MatchValue (EQUALS, CONTAINS) or MatchValues (CONTAINS_ANY) by Operator.
type CustomClaim struct {
	Name        string
	ValueType   string
	MatchValue  string
	MatchValues []string
	Operator    string
}

type customClaimJSON struct {
	InboundTokenClaimName      string `json:"inboundTokenClaimName"`
	InboundTokenClaimValueType string `json:"inboundTokenClaimValueType"`
	AuthorizingClaimMatchValue struct {
		ClaimMatchValue struct {
			MatchValueString     *string  `json:"matchValueString,omitempty"`
			MatchValueStringList []string `json:"matchValueStringList,omitempty"`
		} `json:"claimMatchValue"`
		ClaimMatchOperator string `json:"claimMatchOperator"`
	} `json:"authorizingClaimMatchValue"`
}

// MarshalJSON writes the AWS shape.
func (c CustomClaim) MarshalJSON() ([]byte, error) {
	var j customClaimJSON
	j.InboundTokenClaimName, j.InboundTokenClaimValueType = c.Name, c.ValueType
	j.AuthorizingClaimMatchValue.ClaimMatchOperator = c.Operator
	if c.MatchValues != nil {
		j.AuthorizingClaimMatchValue.ClaimMatchValue.MatchValueStringList = c.MatchValues
	} else {
		v := c.MatchValue
		j.AuthorizingClaimMatchValue.ClaimMatchValue.MatchValueString = &v
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the AWS shape.
func (c *CustomClaim) UnmarshalJSON(b []byte) error {
	var j customClaimJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	mv := j.AuthorizingClaimMatchValue.ClaimMatchValue
	*c = CustomClaim{Name: j.InboundTokenClaimName, ValueType: j.InboundTokenClaimValueType,
		Operator: j.AuthorizingClaimMatchValue.ClaimMatchOperator, MatchValues: mv.MatchValueStringList}
	if mv.MatchValueString != nil {
		c.MatchValue = *mv.MatchValueString
	}
	if c.Name == "" {
		return errors.New("a custom claim rule has no inboundTokenClaimName")
	}
	return nil
}

// String is the rule in words: `department EQUALS "eng"`.
func (c CustomClaim) String() string {
	if c.MatchValues != nil {
		return fmt.Sprintf("%s %s %q", c.Name, c.Operator, c.MatchValues)
	}
	return fmt.Sprintf("%s %s %q", c.Name, c.Operator, c.MatchValue)
}

// ParseAuthorizerJSON reads an authorizer configuration as the AWS CLI prints it:
// `{"customJWTAuthorizer":{"discoveryUrl":…,"allowedAudience":[…]}}`, the bare inner object, or a whole
// GetAgentRuntime output (its "authorizerConfiguration"). `null`, `{}`, a missing or null
// authorizerConfiguration all mean no JWT authorizer: (nil, nil).
func ParseAuthorizerJSON(b []byte) (*Authorizer, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("authorizer JSON is empty: expected {\"customJWTAuthorizer\":{…}}, {} or null")
	}
	if bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("authorizer JSON is not a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if len(top) == 0 {
		return nil, nil
	}
	get := func(name string) (json.RawMessage, bool) {
		for k, v := range top {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	if inner, ok := get("authorizerConfiguration"); ok {
		az, err := ParseAuthorizerJSON(inner)
		if err != nil || az == nil {
			return az, err
		}
		if v, ok := get("agentRuntimeId"); ok {
			_ = json.Unmarshal(v, &az.RuntimeID)
		}
		if v, ok := get("agentRuntimeArn"); ok {
			_ = json.Unmarshal(v, &az.RuntimeARN)
		}
		return az, nil
	}
	if _, ok := get("agentRuntimeArn"); ok {
		return nil, nil // a GetAgentRuntime output without authorizerConfiguration: IAM only
	}
	if inner, ok := get("customJWTAuthorizer"); ok {
		if t := bytes.TrimSpace(inner); bytes.Equal(t, []byte("null")) || bytes.Equal(t, []byte("{}")) {
			return nil, nil
		}
		return parseInner(inner)
	}
	if _, ok := get("discoveryUrl"); ok {
		return parseInner(b)
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	return nil, fmt.Errorf("not an authorizer configuration (keys %s): expected customJWTAuthorizer, discoveryUrl or authorizerConfiguration", strings.Join(sorted(keys), ", "))
}

func parseInner(b []byte) (*Authorizer, error) {
	var az Authorizer
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&az); err != nil {
		return nil, fmt.Errorf("customJWTAuthorizer: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if az.DiscoveryURL == "" {
		return nil, errors.New("customJWTAuthorizer has no discoveryUrl (it is required)")
	}
	for _, c := range az.CustomClaims {
		if c.ValueType != ClaimString && c.ValueType != ClaimStringArray {
			return nil, fmt.Errorf("custom claim %s: inboundTokenClaimValueType %q is not STRING or STRING_ARRAY", c.Name, c.ValueType)
		}
		switch c.Operator {
		case OpEquals, OpContains, OpContainsAny:
		default:
			return nil, fmt.Errorf("custom claim %s: claimMatchOperator %q is not EQUALS, CONTAINS or CONTAINS_ANY", c.Name, c.Operator)
		}
	}
	return &az, nil
}

// ConfigJSON is the authorizerConfiguration as the AWS CLI takes it: {"customJWTAuthorizer":{…}}; "null" for nil.
func (az *Authorizer) ConfigJSON() string {
	if az == nil {
		return "null"
	}
	b, _ := json.Marshal(map[string]*Authorizer{"customJWTAuthorizer": az})
	return string(b)
}

// Clone is a deep copy (nil stays nil).
func (az *Authorizer) Clone() *Authorizer {
	if az == nil {
		return nil
	}
	c := *az
	c.AllowedAudience = append([]string(nil), az.AllowedAudience...)
	c.AllowedClients = append([]string(nil), az.AllowedClients...)
	c.AllowedScopes = append([]string(nil), az.AllowedScopes...)
	c.CustomClaims = append([]CustomClaim(nil), az.CustomClaims...)
	if len(az.AllowedAudience) == 0 {
		c.AllowedAudience = nil
	}
	if len(az.AllowedClients) == 0 {
		c.AllowedClients = nil
	}
	if len(az.AllowedScopes) == 0 {
		c.AllowedScopes = nil
	}
	if len(az.CustomClaims) == 0 {
		c.CustomClaims = nil
	}
	return &c
}

var discoveryURLPattern = regexp.MustCompile(`^.+/\.well-known/openid-configuration$`)

// DiscoveryURLValid reports whether u matches AgentCore's pattern `.+/\.well-known/openid-configuration`.
func DiscoveryURLValid(u string) bool { return discoveryURLPattern.MatchString(u) }

// DiscoveryURLFor is the discovery URL of an issuer: iss + "/.well-known/openid-configuration".
func DiscoveryURLFor(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// AuthorizerFromSDK converts the SDK's union; nil (or an unknown member) = no JWT authorizer.
func AuthorizerFromSDK(cfg types.AuthorizerConfiguration) *Authorizer {
	m, ok := cfg.(*types.AuthorizerConfigurationMemberCustomJWTAuthorizer)
	if !ok || m == nil {
		return nil
	}
	v := m.Value
	az := &Authorizer{DiscoveryURL: aws.ToString(v.DiscoveryUrl), AllowedAudience: v.AllowedAudience,
		AllowedClients: v.AllowedClients, AllowedScopes: v.AllowedScopes}
	for _, c := range v.CustomClaims {
		cc := CustomClaim{Name: aws.ToString(c.InboundTokenClaimName), ValueType: string(c.InboundTokenClaimValueType)}
		if mv := c.AuthorizingClaimMatchValue; mv != nil {
			cc.Operator = string(mv.ClaimMatchOperator)
			switch x := mv.ClaimMatchValue.(type) {
			case *types.ClaimMatchValueTypeMemberMatchValueString:
				cc.MatchValue = x.Value
			case *types.ClaimMatchValueTypeMemberMatchValueStringList:
				cc.MatchValues = x.Value
			}
		}
		az.CustomClaims = append(az.CustomClaims, cc)
	}
	return az.Clone()
}

// ToSDK is the SDK union for this authorizer (nil for a nil authorizer). Fields this type does not model are not
// set: to keep them on update, start from the SDK value you read and change only what you mean to.
func (az *Authorizer) ToSDK() types.AuthorizerConfiguration {
	if az == nil {
		return nil
	}
	v := types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(az.DiscoveryURL),
		AllowedAudience: az.AllowedAudience, AllowedClients: az.AllowedClients, AllowedScopes: az.AllowedScopes}
	for _, c := range az.CustomClaims {
		cc := types.CustomClaimValidationType{InboundTokenClaimName: aws.String(c.Name),
			InboundTokenClaimValueType: types.InboundTokenClaimValueType(c.ValueType)}
		mv := &types.AuthorizingClaimMatchValueType{ClaimMatchOperator: types.ClaimMatchOperatorType(c.Operator)}
		if c.MatchValues != nil {
			mv.ClaimMatchValue = &types.ClaimMatchValueTypeMemberMatchValueStringList{Value: c.MatchValues}
		} else {
			mv.ClaimMatchValue = &types.ClaimMatchValueTypeMemberMatchValueString{Value: c.MatchValue}
		}
		cc.AuthorizingClaimMatchValue = mv
		v.CustomClaims = append(v.CustomClaims, cc)
	}
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: v}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
