package rotate

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// printManifests prints the in-cluster rotator for the setup record (or for the flags, without one).
//
// When -n and --secret are given the flags name everything and the cluster is not read (GitOps renders offline):
// with --user-pool-id, --client-id, --username and --credentials-secret the rotator runs from the flags alone,
// else from the setup record the wizard keeps in that namespace (read by the pod, at its fixed name).
func (o *Options) printManifests(ctx context.Context, fl rotate.Flags) error {
	var rec *setup.Record
	switch {
	case fl.Namespace != "" && fl.SecretName != "":
		if !flagsNameIdentity(fl) {
			rec = &setup.Record{Namespace: fl.Namespace, SecretName: fl.SecretName}
		}
	default:
		kube, err := o.f.KubeClient()
		if err != nil {
			return err
		}
		if rec, err = rotate.FindRecord(ctx, kube, fl); err != nil {
			return err
		}
	}
	mo := rotate.ManifestOptions{Image: o.image(), AWSRoleARN: o.AWSRoleARN, Region: fl.Region}
	var args []string
	add := func(flag, v string) {
		if v != "" {
			args = append(args, "--"+flag+"="+v)
		}
	}
	if rec != nil {
		r := rec.WithDefaults()
		mo.Namespace, mo.SecretName, mo.CredentialsName, mo.RecordName = r.Namespace, r.SecretName, r.CredentialsName(), r.Name
		if mo.Region == "" {
			mo.Region = r.Region
		}
		mo.Labels = map[string]string{setup.LabelSetup: r.SetupLabel()}
	} else {
		mo.Namespace = fl.Namespace
		if mo.Namespace == "" {
			mo.Namespace = fl.DefaultNamespace
		}
		var missing []string
		for _, m := range []struct{ flag, v string }{{"--user-pool-id", fl.UserPoolID}, {"--client-id", fl.ClientID}, {"--username", fl.Username}, {"--credentials-secret", fl.CredentialsSecret}} {
			if m.v == "" {
				missing = append(missing, m.flag)
			}
		}
		if len(missing) > 0 {
			return errors.New("printing the in-cluster rotator: no setup record in namespace " + mo.Namespace + " and no " + strings.Join(missing, ", ") +
				" (in the cluster nobody can type a password: the credentials must be in a Secret). Run the wizard, or pass the flags")
		}
		mo.SecretName = fl.SecretName
		if mo.SecretName == "" {
			mo.SecretName = setup.DefaultSecretName
		}
		mo.CredentialsName = fl.CredentialsSecret
	}
	add("user-pool-id", fl.UserPoolID) // with a record, these override it in the pod as they do here
	add("client-id", fl.ClientID)
	add("username", fl.Username)
	mo.SecretName = cmp.Or(fl.SecretName, mo.SecretName)
	if fl.CredentialsSecret != "" {
		mo.CredentialsName = fl.CredentialsSecret
	}
	add("runtime-arn", fl.RuntimeARN)
	add("discovery-url", fl.DiscoveryURL)
	add("token-use", fl.TokenUse)
	if o.MinValiditySet {
		add("min-validity", o.MinValidity.String())
	}
	for _, s := range []struct{ flag, v string }{{"client-secret-from", fl.ClientSecretFrom}, {"password-from", fl.PasswordFrom}, {"refresh-token-from", fl.RefreshTokenFrom}} {
		if s.v == rotate.SourcePrompt {
			return cmdutil.UsageErrorf("--%s prompt cannot work in the cluster: use secret:NAME/KEY", s.flag)
		}
		if strings.HasPrefix(s.v, rotate.SourceSecret) {
			return cmdutil.UsageErrorf("--%s %s: the in-cluster Role only grants the token and credentials Secrets; put the value in --credentials-secret", s.flag, s.v)
		}
		add(s.flag, s.v)
	}
	mo.Args = args
	b, err := rotate.ManifestsYAML(rotate.Manifests(mo))
	if err != nil {
		return err
	}
	_, err = o.f.IO.Out.Write(b)
	return err
}

// flagsNameIdentity reports whether the flags alone say how to mint: pool, client, user and the credentials Secret.
func flagsNameIdentity(fl rotate.Flags) bool {
	return fl.UserPoolID != "" && fl.ClientID != "" && fl.Username != "" && fl.CredentialsSecret != ""
}

// image is --image, else the project's image at this version.
func (o *Options) image() string {
	if o.Image != "" {
		return o.Image
	}
	tag := cmdutil.Version
	if tag == "" || tag == "dev" {
		tag = "latest"
	}
	return rotate.DefaultImage + ":" + tag
}
