package awsops

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
)

// This file: which hosts AgentCore, running on AWS's network, can reach. Its JWT authorizer fetches the identity
// provider's discovery document and keys from there, unless a privateEndpoint routes it into a VPC.

// UnreachableFromAWS says why a service on AWS's network, as AgentCore is, cannot reach host (a host or host:port from
// a URL) over the internet: a loopback, private or link-local address, or a name that only a cluster's or a
// private network's DNS resolves. "" when nothing says it is not public.
func UnreachableFromAWS(host string) string {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "" {
		return ""
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		switch {
		case ip.IsLoopback():
			return "a loopback address"
		case ip.IsPrivate():
			return "a private address"
		case ip.IsLinkLocalUnicast():
			return "a link-local address"
		case ip.IsUnspecified():
			return "an unspecified address"
		}
		return ""
	}
	switch {
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return "a loopback name"
	case !strings.Contains(h, "."):
		return "a single-label name that only a local resolver knows"
	case strings.HasSuffix(h, ".svc") || strings.HasSuffix(h, ".cluster.local"):
		return "a name that only the cluster's DNS resolves"
	}
	for _, suffix := range []string{".internal", ".local", ".home.arpa", ".lan", ".intranet", ".corp"} {
		if strings.HasSuffix(h, suffix) {
			return "a " + suffix + " name that public DNS does not resolve"
		}
	}
	return ""
}

// LocalEndpoint reports whether an AgentCore control-plane client (a *bedrockagentcorecontrol.Client, or anything
// with its Options) is pointed by an endpoint override (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL, a base
// endpoint) at a host AWS's network cannot reach: a local AgentCore (the sandbox's, a test's), which reaches what
// this machine reaches. False for AWS's own endpoints and for clients whose options are unknown.
func LocalEndpoint(client any) bool {
	c, ok := client.(interface {
		Options() bedrockagentcorecontrol.Options
	})
	if !ok {
		return false
	}
	u, err := url.Parse(aws.ToString(c.Options().BaseEndpoint))
	return err == nil && u.Host != "" && UnreachableFromAWS(u.Host) != ""
}

// UnreachableIdP says in one sentence why AgentCore, on AWS's network and without a privateEndpoint, cannot reach
// the identity provider whose discovery URL this is, and what follows; "" when nothing says it cannot. doctor's
// authorizer.private-endpoint and the wizard's plan both say it, with UnreachableIdPFix.
func UnreachableIdP(discoveryURL string) string {
	host := discoveryURL
	if u, err := url.Parse(discoveryURL); err == nil && u.Host != "" {
		host = u.Host
	}
	why := UnreachableFromAWS(host)
	if why == "" {
		return ""
	}
	return fmt.Sprintf("the discovery URL's host %s is %s: AgentCore fetches the discovery document and signing keys from AWS's network, where it cannot reach them, and refuses every token (401)", host, why)
}

// UnreachableIdPFix is what to do about UnreachableIdP.
const UnreachableIdPFix = "Serve the identity provider's discovery document and keys on a public HTTPS name, or give the authorizer a privateEndpoint (a VPC Lattice resource configuration) that reaches it."
