package cmdutil

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// CompletionTimeout bounds every shell completion that asks the cluster: a slow or unreachable cluster gives
// no suggestions after this long instead of a hanging <TAB>.
var CompletionTimeout = 3 * time.Second

// Resources the completion helpers know.
var (
	NamespacesResource = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	SecretsResource    = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	HTTPRoutesResource = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

// CompleteContexts completes --context with the kubeconfig's contexts (no cluster call).
func CompleteContexts(f *Factory) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := f.KubeFlags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			cobra.CompDebugln("reading kubeconfig: "+err.Error(), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for name, c := range raw.Contexts {
			desc := "cluster " + c.Cluster
			if c.Namespace != "" {
				desc += ", namespace " + c.Namespace
			}
			out = append(out, cobra.CompletionWithDesc(name, desc))
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteClusters completes --cluster with the kubeconfig's clusters (no cluster call).
func CompleteClusters(f *Factory) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := f.KubeFlags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for name, c := range raw.Clusters {
			out = append(out, cobra.CompletionWithDesc(name, c.Server))
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteUsers completes --user with the kubeconfig's users (no cluster call).
func CompleteUsers(f *Factory) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := f.KubeFlags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := make([]cobra.Completion, 0, len(raw.AuthInfos))
		for name := range raw.AuthInfos {
			out = append(out, name)
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteNamespaces completes a namespace from the cluster. When listing namespaces is forbidden it offers
// the kubeconfig context's namespace.
func CompleteNamespaces(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		names, err := f.completionNames(cmd, NamespacesResource, "", false)
		if err != nil {
			cobra.CompDebugln("listing namespaces: "+err.Error(), false)
			if ns, nerr := f.Namespace(); nerr == nil && strings.HasPrefix(ns, toComplete) {
				return []cobra.Completion{ns}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteNames completes the NAME of objects of gvr in the command's namespace (-n, else the context's).
// Use it for a flag or argument that takes a plain name, e.g.
// cmd.RegisterFlagCompletionFunc("secret-name", cmdutil.CompleteNames(f, cmdutil.SecretsResource)).
func CompleteNames(f *Factory, gvr schema.GroupVersionResource) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ns, err := f.Namespace()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, err := f.completionNames(cmd, gvr, ns, false)
		if err != nil {
			cobra.CompDebugln(fmt.Sprintf("listing %s in %s: %v", gvr.Resource, ns, err), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteRefs completes NAMESPACE/NAME references to objects of gvr (the form of --secret and --route).
// With a "/" typed it lists that namespace; otherwise every namespace, or the command's namespace when
// listing across namespaces is forbidden.
func CompleteRefs(f *Factory, gvr schema.GroupVersionResource) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if ns, _, ok := strings.Cut(toComplete, "/"); ok {
			refs, err := f.completionNames(cmd, gvr, ns, true)
			if err != nil {
				cobra.CompDebugln(fmt.Sprintf("listing %s in %s: %v", gvr.Resource, ns, err), false)
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return withPrefix(refs, toComplete), cobra.ShellCompDirectiveNoFileComp
		}
		refs, err := f.completionNames(cmd, gvr, metav1.NamespaceAll, true)
		if apierrors.IsForbidden(err) {
			var ns string
			if ns, err = f.Namespace(); err == nil {
				refs, err = f.completionNames(cmd, gvr, ns, true)
			}
		}
		if err != nil {
			cobra.CompDebugln(fmt.Sprintf("listing %s: %v", gvr.Resource, err), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(refs, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteSecretRefs and CompleteHTTPRouteRefs complete --secret NS/NAME and --route NS/NAME.
func CompleteSecretRefs(f *Factory) cobra.CompletionFunc { return CompleteRefs(f, SecretsResource) }

// CompleteHTTPRouteRefs completes NS/NAME of HTTPRoutes.
func CompleteHTTPRouteRefs(f *Factory) cobra.CompletionFunc {
	return CompleteRefs(f, HTTPRoutesResource)
}

// completionNames lists the names (ns/name when refs) of gvr in ns ("" = all namespaces, or cluster-scoped)
// with object metadata only (a Secret's data is never fetched), within CompletionTimeout.
func (f *Factory) completionNames(cmd *cobra.Command, gvr schema.GroupVersionResource, ns string, refs bool) ([]string, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = CompletionTimeout
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if cmd != nil && cmd.Context() != nil {
		ctx = cmd.Context()
	}
	ctx, cancel := context.WithTimeout(ctx, CompletionTimeout)
	defer cancel()
	var list *metav1.PartialObjectMetadataList
	if ns == "" || gvr == NamespacesResource {
		list, err = mc.Resource(gvr).List(ctx, metav1.ListOptions{})
	} else {
		list, err = mc.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list.Items))
	for _, it := range list.Items {
		if refs {
			out = append(out, it.Namespace+"/"+it.Name)
		} else {
			out = append(out, it.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func withPrefix(names []string, prefix string) []cobra.Completion {
	out := make([]cobra.Completion, 0, len(names))
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// SecretSourceFlag declares a --*-from flag: what it reads (e.g. "the client secret"), the sources it accepts
// (secretsource.Forms, the same for every such flag), then more (e.g. its default; "" for none), and completion.
func SecretSourceFlag(cmd *cobra.Command, p *string, name, what, more string) {
	usage := what + " from " + secretsource.Forms
	if more != "" {
		usage += " " + more
	}
	cmd.Flags().StringVar(p, name, "", usage)
	_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return secretsource.Kinds, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}
