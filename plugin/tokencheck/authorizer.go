// This file: Authorizer, the runtime's customJWTAuthorizer as the checks see it, read from the AWS CLI's JSON
// (ParseAuthorizerJSON) or from the SDK's types (AuthorizerFromSDK), and written back (JSON, ToSDK).
package tokencheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
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
// JWT authorizer (IAM / SigV4 only). Members this type does not model are kept as read (other) and written back
// by MarshalJSON and ConfigJSON, so an authorizer read and written again never loses a setting.
type Authorizer struct {
	DiscoveryURL    string        `json:"discoveryUrl"`
	AllowedAudience []string      `json:"allowedAudience,omitempty"`
	AllowedClients  []string      `json:"allowedClients,omitempty"`
	AllowedScopes   []string      `json:"allowedScopes,omitempty"`
	CustomClaims    []CustomClaim `json:"customClaims,omitempty"`

	// AllowedWorkload restricts callers to the listed workloads in the request's identity chain (at launch:
	// AgentCore Gateways calling a runtime). Anything else, Agent Gateway included, is refused.
	AllowedWorkload *AllowedWorkload `json:"allowedWorkloadConfiguration,omitempty"`
	// AdvertisedScopeMapping maps an allowed scope (what the token must carry) to the scope advertised to clients
	// in the protected-resource metadata and WWW-Authenticate (what clients ask the identity provider for).
	AdvertisedScopeMapping map[string]string `json:"advertisedScopeMapping,omitempty"`
	// PrivateEndpoint is the VPC Lattice resource AgentCore reaches the identity provider through (the AWS union
	// as JSON: {"managedVpcResource":{…}} or {"selfManagedLatticeResource":{"resourceConfigurationIdentifier":…}}).
	PrivateEndpoint json.RawMessage `json:"privateEndpoint,omitempty"`
	// PrivateEndpointOverrides route other domains (e.g. a JWKS host) through a private endpoint.
	PrivateEndpointOverrides []PrivateEndpointOverride `json:"privateEndpointOverrides,omitempty"`

	// other holds the members of the JSON this type does not model, exactly as read.
	other map[string]json.RawMessage

	// RuntimeID and RuntimeARN are filled when the JSON was a whole GetAgentRuntime output, or the authorizer was
	// read from the runtime (for fix commands). GatewayID instead names the AgentCore Gateway it was read from:
	// the fix is then an update-gateway.
	RuntimeID  string `json:"-"`
	RuntimeARN string `json:"-"`
	GatewayID  string `json:"-"`
	// Runtime holds the runtime settings around the authorizer when the JSON was a whole GetAgentRuntime output
	// (nil: not known).
	Runtime *RuntimeSettings `json:"-"`
}

// AllowedWorkload is allowedWorkloadConfiguration.
type AllowedWorkload struct {
	HostingEnvironments []HostingEnvironment `json:"hostingEnvironments,omitempty"`
	WorkloadIdentities  []string             `json:"workloadIdentities,omitempty"`
}

// HostingEnvironment is one allowed hosting environment (an AgentCore Gateway ARN at launch).
type HostingEnvironment struct {
	Arn string `json:"arn"`
}

// Describe lists what the configuration allows, for messages.
func (w *AllowedWorkload) Describe() string {
	var parts []string
	for _, h := range w.HostingEnvironments {
		parts = append(parts, h.Arn)
	}
	parts = append(parts, w.WorkloadIdentities...)
	if len(parts) == 0 {
		return "no workload"
	}
	return strings.Join(parts, ", ")
}

// PrivateEndpointOverride is one privateEndpointOverrides entry.
type PrivateEndpointOverride struct {
	Domain          string          `json:"domain"`
	PrivateEndpoint json.RawMessage `json:"privateEndpoint,omitempty"`
}

// DescribePrivateEndpoint says in words what a privateEndpoint JSON value names.
func DescribePrivateEndpoint(raw json.RawMessage) string {
	var pe struct {
		ManagedVpcResource *struct {
			VpcIdentifier string   `json:"vpcIdentifier"`
			SubnetIds     []string `json:"subnetIds"`
			RoutingDomain string   `json:"routingDomain"`
		} `json:"managedVpcResource"`
		SelfManagedLatticeResource *struct {
			ResourceConfigurationIdentifier string `json:"resourceConfigurationIdentifier"`
		} `json:"selfManagedLatticeResource"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &pe) != nil {
		return "a private endpoint"
	}
	switch {
	case pe.ManagedVpcResource != nil:
		s := "a managed VPC Lattice resource in " + orPlaceholder(pe.ManagedVpcResource.VpcIdentifier, "a VPC")
		if pe.ManagedVpcResource.RoutingDomain != "" {
			s += " (routing domain " + pe.ManagedVpcResource.RoutingDomain + ")"
		}
		return s
	case pe.SelfManagedLatticeResource != nil:
		return "the VPC Lattice resource configuration " + orPlaceholder(pe.SelfManagedLatticeResource.ResourceConfigurationIdentifier, "(unnamed)")
	}
	return "a private endpoint"
}

// Private reports whether AgentCore reaches the identity provider through a private endpoint.
func (az *Authorizer) Private() bool {
	return az != nil && (len(bytes.TrimSpace(az.PrivateEndpoint)) > 0 && !bytes.Equal(bytes.TrimSpace(az.PrivateEndpoint), []byte("null")) || len(az.PrivateEndpointOverrides) > 0)
}

// RuntimeSettings are the runtime's settings that decide what reaches the agent and how it is called.
type RuntimeSettings struct {
	// HeaderAllowlist is requestHeaderConfiguration.requestHeaderAllowlist (nil: none configured).
	HeaderAllowlist []string `json:"requestHeaderAllowlist,omitempty"`
	// Protocol is protocolConfiguration.serverProtocol: HTTP (also when unset), MCP, A2A or AGUI.
	Protocol string `json:"serverProtocol,omitempty"`
}

// ServerProtocol is the protocol (agentproto's names), HTTP when unset (nil settings included).
func (rs *RuntimeSettings) ServerProtocol() string {
	if rs == nil {
		return agentproto.HTTP
	}
	return agentproto.Normalize(rs.Protocol)
}

// AllowsAuthorization reports whether the caller's Authorization header reaches the agent.
func (rs *RuntimeSettings) AllowsAuthorization() bool {
	if rs == nil {
		return false
	}
	for _, h := range rs.HeaderAllowlist {
		if strings.EqualFold(h, "Authorization") {
			return true
		}
	}
	return false
}

// RuntimeSettingsFromSDK reads the settings from GetAgentRuntime's members.
func RuntimeSettingsFromSDK(rhc types.RequestHeaderConfiguration, pc *types.ProtocolConfiguration) *RuntimeSettings {
	rs := &RuntimeSettings{}
	if m, ok := rhc.(*types.RequestHeaderConfigurationMemberRequestHeaderAllowlist); ok && m != nil {
		rs.HeaderAllowlist = append([]string(nil), m.Value...)
	}
	if pc != nil {
		rs.Protocol = string(pc.ServerProtocol)
	}
	return rs
}

type authorizerAlias Authorizer

// modelled are the JSON members Authorizer has fields for (compared case-insensitively, as encoding/json does).
var modelled = []string{"discoveryUrl", "allowedAudience", "allowedClients", "allowedScopes", "customClaims",
	"allowedWorkloadConfiguration", "advertisedScopeMapping", "privateEndpoint", "privateEndpointOverrides"}

func isModelled(k string) bool {
	return slices.ContainsFunc(modelled, func(m string) bool { return strings.EqualFold(m, k) })
}

// MarshalJSON writes the AWS shape: the modelled members, then every member read but not modelled.
func (az Authorizer) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(authorizerAlias(az))
	if err != nil || len(az.other) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range az.other {
		m[k] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the AWS shape and keeps the members it does not model.
func (az *Authorizer) UnmarshalJSON(b []byte) error {
	var a authorizerAlias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k, v := range m {
		if !isModelled(k) {
			if a.other == nil {
				a.other = map[string]json.RawMessage{}
			}
			a.other[k] = v
		}
	}
	*az = Authorizer(a)
	return nil
}

// Unmodelled names the members kept as read without being understood, sorted.
func (az *Authorizer) Unmodelled() []string {
	if az == nil {
		return nil
	}
	var ks []string
	for k := range az.other {
		ks = append(ks, k)
	}
	return sorted(ks)
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
		if az.RuntimeID != "" || az.RuntimeARN != "" {
			az.Runtime = runtimeSettingsJSON(get)
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

// runtimeSettingsJSON reads requestHeaderConfiguration and protocolConfiguration of a GetAgentRuntime output.
func runtimeSettingsJSON(get func(string) (json.RawMessage, bool)) *RuntimeSettings {
	rs := &RuntimeSettings{}
	if v, ok := get("requestHeaderConfiguration"); ok {
		var h struct {
			RequestHeaderAllowlist []string `json:"requestHeaderAllowlist"`
		}
		_ = json.Unmarshal(v, &h)
		rs.HeaderAllowlist = h.RequestHeaderAllowlist
	}
	if v, ok := get("protocolConfiguration"); ok {
		var p struct {
			ServerProtocol string `json:"serverProtocol"`
		}
		_ = json.Unmarshal(v, &p)
		rs.Protocol = p.ServerProtocol
	}
	return rs
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
	if az.AllowedWorkload != nil {
		w := AllowedWorkload{HostingEnvironments: slices.Clone(az.AllowedWorkload.HostingEnvironments), WorkloadIdentities: slices.Clone(az.AllowedWorkload.WorkloadIdentities)}
		c.AllowedWorkload = &w
	}
	c.AdvertisedScopeMapping = maps.Clone(az.AdvertisedScopeMapping)
	c.PrivateEndpoint = slices.Clone(az.PrivateEndpoint)
	c.PrivateEndpointOverrides = slices.Clone(az.PrivateEndpointOverrides)
	c.other = maps.Clone(az.other)
	if az.Runtime != nil {
		rs := *az.Runtime
		rs.HeaderAllowlist = slices.Clone(rs.HeaderAllowlist)
		c.Runtime = &rs
	}
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

// DiscoveryURLValid reports whether u matches AgentCore's pattern `.+/\.well-known/openid-configuration` (as a
// whole: something, no line break in it, then the suffix). Written out rather than as a regular expression:
// doctor --all asks it hundreds of times.
func DiscoveryURLValid(u string) bool {
	head, ok := strings.CutSuffix(u, "/.well-known/openid-configuration")
	return ok && head != "" && !strings.ContainsRune(head, '\n')
}

// DiscoveryURLFor is the discovery URL of an issuer: iss + "/.well-known/openid-configuration".
func DiscoveryURLFor(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// AuthorizerFromSDK converts the SDK's union; nil (or an unknown member) = no JWT authorizer. It goes through the
// AWS JSON (the SDK's own serializer, awsops.AuthorizerToJSON), so every member the SDK knows is kept.
func AuthorizerFromSDK(cfg types.AuthorizerConfiguration) *Authorizer {
	if _, ok := cfg.(*types.AuthorizerConfigurationMemberCustomJWTAuthorizer); !ok {
		return nil
	}
	b, err := awsops.AuthorizerToJSON(cfg)
	if err != nil {
		return nil
	}
	az, err := ParseAuthorizerJSON(b)
	if err != nil {
		return nil
	}
	return az.Clone()
}

// ToSDK is the SDK union for this authorizer (nil for a nil authorizer), read by the SDK's own deserializer from
// ConfigJSON: every member the SDK knows is set; members the SDK does not know cannot be sent and are left out.
func (az *Authorizer) ToSDK() types.AuthorizerConfiguration {
	if az == nil {
		return nil
	}
	cfg, err := awsops.ParseAuthorizerJSON([]byte(az.ConfigJSON()))
	if err != nil {
		return nil
	}
	return cfg
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
