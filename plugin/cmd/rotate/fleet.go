package rotate

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-logr/logr"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"k8s.io/klog/v2"
)

// validateAll checks the flags of the rotation service (--all).
func (o *Options) validateAll() error {
	if !o.All {
		for _, f := range []struct {
			set  bool
			flag string
		}{{o.AllNamespaces, "--all-namespaces"}, {o.RenewBefore != "", "--renew-before"}, {o.Listen != "", "--listen"}, {o.LeaseNamespace != "", "--lease-namespace"}} {
			if f.set {
				return cmdutil.UsageErrorf("%s belongs to the rotation service: add --all (rotate --watch --all)", f.flag)
			}
		}
		return nil
	}
	if !o.Watch && !o.PrintManifests {
		return cmdutil.UsageErrorf("--all runs the rotation service: add --watch (or --print-manifests to run it in the cluster)")
	}
	if o.PrintManifests && (o.Listen != "" || o.LeaseNamespace != "") {
		return cmdutil.UsageErrorf("--listen and --lease-namespace are set by --print-manifests (port %d, the -n namespace): drop them", rotate.FleetListenPort)
	}
	fl := o.Flags
	for _, f := range []struct{ flag, v string }{{"--secret", fl.SecretName}, {"--credentials-secret", fl.CredentialsSecret}, {"--user-pool-id", fl.UserPoolID},
		{"--client-id", fl.ClientID}, {"--username", fl.Username}, {"--client-secret-from", fl.ClientSecretFrom}, {"--password-from", fl.PasswordFrom},
		{"--refresh-token-from", fl.RefreshTokenFrom}, {"--runtime-arn", fl.RuntimeARN}, {"--discovery-url", fl.DiscoveryURL}, {"--token-use", fl.TokenUse}} {
		if f.v != "" {
			return cmdutil.UsageErrorf("%s names one setup; --all takes every setup from its record: drop %s", f.flag, f.flag)
		}
	}
	if o.AllNamespaces && fl.Namespace != "" {
		return cmdutil.UsageErrorf("-n and --all-namespaces do not go together: pick one")
	}
	if o.Watch && o.OutputSet {
		return cmdutil.UsageErrorf("--watch --all logs lines (--log-format text|json): drop -o")
	}
	if o.Workers < 1 {
		return cmdutil.UsageErrorf("--workers %d: at least 1", o.Workers)
	}
	if o.RenewBefore != "" {
		rb, err := rotate.ParseRenewBefore(o.RenewBefore)
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		o.Renew = rb
	}
	return nil
}

// replicaIdentity is this replica's name in the Lease and on what it writes: $POD_NAME (the manifests set it; a
// pod's name is unique while it runs), else the host name and a random suffix. The host name alone is not
// unique: two services started on one machine (two terminals, a laptop and a CI job) both took the Lease held by
// "their" name at once and wrote together. client-go's leader election takes the holder's identity as proof.
func replicaIdentity() string {
	if p := os.Getenv("POD_NAME"); p != "" {
		return p
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "pid-" + strconv.Itoa(os.Getpid())
	}
	return h + "_" + strings.ToLower(rand.Text()[:8])
}

// runFleet is `rotate --watch --all`: the rotation service until SIGTERM / ctrl+c.
func (o *Options) runFleet(ctx context.Context, fl rotate.Flags) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	kube, err := o.f.KubeClient()
	if err != nil {
		return err
	}
	log := NewLogger(o.f.IO.ErrOut, o.LogFormat)
	// client-go's leader election and informers log through the same lines (their contextual logger; the global
	// klog logger is left alone).
	ctx = klog.NewContext(ctx, logr.FromSlogHandler(log.Handler()))
	ns := fl.Namespace
	if !o.AllNamespaces && ns == "" {
		ns = fl.DefaultNamespace
	}
	leaseNS := o.LeaseNamespace
	if leaseNS == "" {
		leaseNS = fl.DefaultNamespace
		if fl.Namespace != "" {
			leaseNS = fl.Namespace
		}
	}
	id := replicaIdentity()
	scope := "namespace " + ns
	if o.AllNamespaces {
		scope = "all namespaces"
	}
	ol := &outcomeLog{l: log}
	svc := rotate.NewService(rotate.ServiceOptions{
		Fleet: rotate.FleetOptions{Kube: kube, Namespace: ns, RenewBefore: o.Renew, Workers: o.Workers, Deps: rotate.Deps{
			AWSConfig: func(ctx context.Context, region string) (aws.Config, error) {
				if o.f.AWS.Region == "" && region != "" {
					return awsops.Load(ctx, awsops.Options{Region: region, Profile: o.f.AWS.Profile})
				}
				return o.f.AWSConfig(ctx)
			},
			Identity:    fmt.Sprintf("kubectl-agentcore/%s (%s)", cmdutil.Version, id),
			MinValidity: o.MinValidity,
		}},
		LeaseNamespace: leaseNS, Identity: id, Listen: o.Listen,
		Log: ol.log,
		OnLeading: func(b bool) {
			if b {
				ol.seen.Clear() // a new term looks at every setup again: each says its schedule once more
				log.Info("leading: rotating every setup", "scope", scope, "lease", leaseNS+"/"+rotate.DefaultLeaseName, "identity", id)
			} else {
				log.Info("stopped leading: writers stopped", "identity", id)
			}
		},
	})
	log.Info("rotation service starting", "scope", scope, "renewBefore", o.Renew.String(), "lease", leaseNS+"/"+rotate.DefaultLeaseName,
		"identity", id, "listen", o.Listen)
	if err := svc.Run(ctx); err != nil {
		return fmt.Errorf("running the rotation service: %w", err)
	}
	log.Info("stopped")
	return nil
}

// outcomeLog writes the rotation service's outcomes as log lines: each rotation and failure, and the first look
// at each setup (its token's expiry and when it renews), so an operator sees every setup the service took up;
// later fresh looks are quiet.
type outcomeLog struct {
	l    *slog.Logger
	seen sync.Map // setup keys whose first look was logged (cleared when a term of leading starts)
}

func (ol *outcomeLog) log(out rotate.Outcome) {
	_, again := ol.seen.LoadOrStore(out.Setup.Key(), true)
	logOutcome(ol.l, out, !again)
}

// logOutcome writes one line per rotation and per failure, and for a fresh token only at a setup's first look.
// Nothing secret is a field.
func logOutcome(log *slog.Logger, out rotate.Outcome, first bool) {
	attrs := []any{"setup", out.Setup.Key(), "secret", out.Setup.Namespace + "/" + out.Setup.Secret}
	if !out.Expiry.IsZero() {
		attrs = append(attrs, "expiresAt", out.Expiry.UTC().Format(time.RFC3339))
	}
	if !out.Next.IsZero() {
		attrs = append(attrs, "next", out.Next.UTC().Format(time.RFC3339))
	}
	switch out.Action {
	case rotate.ActionRotated:
		log.Info("token rotated", append(attrs, "method", out.Result.Method)...)
	case rotate.ActionKept:
		log.Info("newer token kept", attrs...)
	case rotate.ActionFresh:
		if first { // next: when it is renewed
			log.Info("setup taken up: token fresh", attrs...)
		}
	case "":
		msg := "ALERT: token rotation failed"
		switch {
		case out.Expiry.IsZero():
		case !out.Expiry.After(out.Time):
			msg += "; the stored token has EXPIRED"
		default:
			msg += "; the stored token still works for " + out.Expiry.Sub(out.Time).Round(time.Second).String()
		}
		reason := ""
		if out.Err != nil {
			reason = redact.Text(out.Err.Error())
		}
		var re *rotate.Error
		if errors.As(out.Err, &re) && re.Stage == rotate.StageRead {
			reason = redact.Text(re.Err.Error())
		}
		log.Error(msg, append(attrs, "stage", out.Reason, "failures", out.Failures, "reason", reason)...)
	}
}

// printFleetManifests prints the in-cluster rotation service (--print-manifests --all): nothing is read from the
// cluster, so it renders offline.
func (o *Options) printFleetManifests(fl rotate.Flags) error {
	ns := fl.Namespace
	if ns == "" {
		ns = fl.DefaultNamespace
	}
	mo := rotate.FleetManifestOptions{Namespace: ns, AllNamespaces: o.AllNamespaces, Image: o.image(), Region: fl.Region, AWSRoleARN: o.AWSRoleARN}
	if o.RenewBefore != "" {
		mo.Args = append(mo.Args, "--renew-before="+o.Renew.String())
	}
	if o.MinValiditySet {
		mo.Args = append(mo.Args, "--min-validity="+o.MinValidity.String())
	}
	if o.Workers != rotate.DefaultFleetWorkers {
		mo.Args = append(mo.Args, fmt.Sprintf("--workers=%d", o.Workers))
	}
	b, err := rotate.ManifestsYAML(rotate.FleetManifests(mo))
	if err != nil {
		return err
	}
	_, err = o.f.IO.Out.Write(b)
	return err
}
