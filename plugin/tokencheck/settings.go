// This file: the runtime authorizer's newer settings (AgentCore SDK v1.78, see docs/checks.md):
// allowedWorkloadConfiguration (authorizer.workload), requestHeaderConfiguration (authorizer.request-headers) and
// privateEndpoint / privateEndpointOverrides (authorizer.private-endpoint).
package tokencheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
)

// Token sources: where the token AgentCore sees comes from.
const (
	// SourceSecret is a token the gateway takes from a Secret (rewrite, native): a service identity.
	SourceSecret = "secret"
	// SourcePassthrough is the caller's own token, validated by the gateway and passed on.
	SourcePassthrough = "passthrough"
	// SourceExchange is a token the gateway obtained for the caller by token exchange (on-behalf-of).
	SourceExchange = "exchange"
)

// ParseTokenSource accepts secret, passthrough or exchange ("" = secret).
func ParseTokenSource(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", SourceSecret:
		return SourceSecret, nil
	case SourcePassthrough, SourceExchange:
		return v, nil
	}
	return "", fmt.Errorf("unknown token source %q: use secret, passthrough or exchange", s)
}

// callerToken reports whether the token AgentCore sees stands for the caller (passthrough, exchange).
func callerToken(source string) bool { return source == SourcePassthrough || source == SourceExchange }

// MaxHeaderAllowlist is the most header names requestHeaderAllowlist takes.
const MaxHeaderAllowlist = 20

// CheckAuthorizerSettings checks the runtime settings around the JWT authorizer: authorizer.workload,
// authorizer.request-headers and authorizer.private-endpoint. rs nil = the runtime's settings are not known
// (offline with only the authorizer JSON); source is SourceSecret, SourcePassthrough or SourceExchange; d is the
// discovery document when one was fetched or given (nil otherwise); localAgentCore is true when the AgentCore
// being checked is itself served from this machine or its private network (the sandbox's, a test's), so it
// reaches what this machine reaches.
func CheckAuthorizerSettings(az *Authorizer, rs *RuntimeSettings, source string, d *Discovery, localAgentCore bool) []Finding {
	mk := func(id, title string) Finding { return Finding{ID: id, Category: CategoryAuthorizer, Title: title} }
	wl := mk("authorizer.workload", "allowed workloads")
	hdr := mk("authorizer.request-headers", "headers the agent sees")
	pe := mk("authorizer.private-endpoint", "private identity provider")
	if az == nil {
		for _, f := range []*Finding{&wl, &hdr, &pe} {
			f.Status, f.Detail = StatusSkip, "no JWT authorizer"
		}
		return []Finding{wl, hdr, pe}
	}

	// allowed workloads
	if w := az.AllowedWorkload; w == nil || len(w.HostingEnvironments) == 0 && len(w.WorkloadIdentities) == 0 {
		wl.Status, wl.Detail = StatusPass, "allowedWorkloadConfiguration not set: callers are not restricted by workload"
	} else {
		wl.Status = StatusFail
		wl.Detail = fmt.Sprintf("allowedWorkloadConfiguration admits only the workloads %s in the caller's identity chain: calls arriving from Agent Gateway are refused", w.Describe())
		wl.Hint = "Agent Gateway is not an AgentCore workload, so no token it sends satisfies this. Remove allowedWorkloadConfiguration from the runtime's authorizer, or call the runtime through one of the allowed AgentCore Gateways instead."
		wl.Fix = updateFix(az, func(n *Authorizer) { n.AllowedWorkload = nil })
	}

	// request headers
	switch {
	case rs == nil:
		hdr.Status, hdr.Detail = StatusSkip, "the runtime's requestHeaderConfiguration is not known (give the whole get-agent-runtime output to --authorizer-file)"
	case rs.AllowsAuthorization():
		hdr.Status, hdr.Detail = StatusPass, fmt.Sprintf("requestHeaderAllowlist %s includes Authorization: the agent sees the validated token", list(rs.HeaderAllowlist))
	case !callerToken(source):
		hdr.Status, hdr.Detail = StatusPass, "Authorization is not allowlisted: the runtime validates the gateway's token and strips it before the agent (fine for a service token)"
		if len(rs.HeaderAllowlist) > 0 {
			hdr.Detail = fmt.Sprintf("requestHeaderAllowlist %s: the runtime validates the gateway's token and strips Authorization before the agent (fine for a service token)", list(rs.HeaderAllowlist))
		}
	default:
		hdr.Status = StatusWarn
		allow := "no requestHeaderConfiguration"
		if len(rs.HeaderAllowlist) > 0 {
			allow = "requestHeaderAllowlist " + list(rs.HeaderAllowlist) + " lacks Authorization"
		}
		hdr.Detail = fmt.Sprintf("%s: with the caller's token (%s) the runtime validates it, then strips Authorization, so the agent never sees who called", allow, source)
		hdr.Hint = "If the agent needs the caller's claims, add Authorization to the runtime's requestHeaderAllowlist (allowed with a JWT authorizer)."
		if len(rs.HeaderAllowlist) >= MaxHeaderAllowlist {
			hdr.Hint += fmt.Sprintf(" The list already has the most names (%d): drop one first.", MaxHeaderAllowlist)
		} else {
			hdr.Fix = HeaderUpdateCommand(az.RuntimeID, append(slices.Clone(rs.HeaderAllowlist), "Authorization"))
		}
	}

	// private endpoint
	host := hostOf(az.DiscoveryURL)
	if !az.Private() {
		pe.Status, pe.Detail = StatusPass, fmt.Sprintf("none: AgentCore reaches %s over the internet", orPlaceholder(host, "the discovery URL"))
		switch unreachable := awsops.UnreachableIdP(az.DiscoveryURL); {
		case unreachable != "" && localAgentCore:
			pe.Detail = fmt.Sprintf("none: %s is not public, but the AgentCore checked here is served from this machine or its network (an endpoint override), so it reaches it", host)
		case unreachable != "":
			pe.Status, pe.Detail, pe.Hint = StatusWarn, "no privateEndpoint, and "+unreachable, awsops.UnreachableIdPFix
		}
		return []Finding{wl, hdr, pe}
	}
	var domains, bad []string
	for _, o := range az.PrivateEndpointOverrides {
		domains = append(domains, o.Domain)
		if o.Domain == "" || strings.ContainsAny(o.Domain, "/: ") {
			bad = append(bad, fmt.Sprintf("%q", o.Domain))
		}
	}
	via := "no privateEndpoint (overrides only)"
	if len(az.PrivateEndpoint) > 0 && string(az.PrivateEndpoint) != "null" {
		via = DescribePrivateEndpoint(az.PrivateEndpoint)
	}
	detail := fmt.Sprintf("AgentCore reaches %s through %s", orPlaceholder(host, "the identity provider"), via)
	if len(domains) > 0 {
		detail += "; overrides for " + list(domains)
	}
	pe.Status, pe.Detail = StatusPass, detail+" (a discovery URL unreachable from this machine is expected)"
	switch {
	case len(bad) > 0:
		pe.Status = StatusFail
		pe.Detail = fmt.Sprintf("privateEndpointOverrides domain %s is not a host name", strings.Join(bad, ", "))
		pe.Hint = "Each override's domain is a bare host name (no scheme, port or path), e.g. keys.idp.internal."
	case d != nil && d.JWKSURI != "":
		if jh := hostOf(d.JWKSURI); jh != "" && !strings.EqualFold(jh, host) && !slices.ContainsFunc(domains, func(x string) bool { return strings.EqualFold(x, jh) }) {
			pe.Status = StatusWarn
			pe.Detail = fmt.Sprintf("jwks_uri is on %s, neither the discovery URL's host %s nor a privateEndpointOverrides domain %s", jh, host, list(domains))
			pe.Hint = "AgentCore fetches the keys from jwks_uri too: add a privateEndpointOverrides entry for " + jh + " if it is only reachable privately."
		}
	}
	return []Finding{wl, hdr, pe}
}

// HeaderUpdateCommand is the AWS CLI call that sets the runtime's requestHeaderAllowlist.
func HeaderUpdateCommand(runtimeID string, allow []string) string {
	b, _ := json.Marshal(map[string][]string{"requestHeaderAllowlist": allow})
	return fmt.Sprintf("aws bedrock-agentcore-control update-agent-runtime --agent-runtime-id %s --request-header-configuration '%s' … (also pass the current --agent-runtime-artifact, --role-arn, --network-configuration and --authorizer-configuration: the update replaces the whole spec)",
		orPlaceholder(runtimeID, "<runtime-id>"), b)
}

// advertised is the scope clients are told to request for an allowed scope (itself when not mapped).
func (az *Authorizer) advertised(scope string) string {
	if v, ok := az.AdvertisedScopeMapping[scope]; ok && v != "" {
		return v
	}
	return scope
}

// allowedFor is the allowed scope an advertised scope maps back to ("" when none does).
func (az *Authorizer) allowedFor(advertised string) string {
	for k, v := range az.AdvertisedScopeMapping {
		if v == advertised && k != advertised {
			return k
		}
	}
	return ""
}
