package rotate

import (
	"context"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// Keys.
const (
	// KeyAuthorization is the token Secret's key the gateway policy reads.
	KeyAuthorization = "Authorization"
	// KeyRefreshToken is the credentials Secret's key for the refresh token (the setup record's Secret).
	KeyRefreshToken = "refreshToken"
)

// KubeStore is the token Secret in a cluster, plus the optional credentials Secret where a rotated refresh token
// is stored. Every write is an Update with the resourceVersion read (k8sres.UpdateSecret): only the
// Authorization key (or refreshToken key) and the rotation annotations change.
type KubeStore struct {
	Kube      kubernetes.Interface
	Namespace string
	Name      string
	// CredentialsName is the Secret holding the refresh token ("" = do not store rotated refresh tokens).
	CredentialsName string
	// Retries after conflicts (0 = k8sres.DefaultConflictRetries).
	Retries int
}

// Ref is namespace/name of the token Secret.
func (s *KubeStore) Ref() string { return k8sres.Ref(s.Namespace, s.Name) }

// Read returns the stored Authorization value and its claims.
func (s *KubeStore) Read(ctx context.Context) (Stored, error) {
	sec, err := k8sres.GetSecret(ctx, s.Kube, s.Namespace, s.Name)
	if err != nil {
		return Stored{}, err
	}
	v, _ := k8sres.SecretValue(sec, KeyAuthorization)
	st := Stored{Ref: s.Ref(), Value: v}
	if s.CredentialsName != "" {
		st.CredentialsRef = k8sres.Ref(s.Namespace, s.CredentialsName)
	}
	st.Claims, _ = Peek(v)
	return st, nil
}

// Write replaces the Authorization key unless another writer replaced prev meanwhile with a token that expires
// no earlier than the new one.
func (s *KubeStore) Write(ctx context.Context, prev, value string, exp time.Time, annotations map[string]string) (WriteOutcome, error) {
	var out WriteOutcome
	res, err := k8sres.UpdateSecret(ctx, s.Kube, s.Namespace, s.Name, s.Retries, func(sec *corev1.Secret) error {
		if cur, ok := k8sres.SecretValue(sec, KeyAuthorization); ok {
			if c, err := Peek(cur); err == nil && cur != prev && !c.Exp.Before(exp) {
				out.Kept = c.Exp
				return k8sres.ErrNoChange
			}
		}
		k8sres.SetSecretValue(sec, KeyAuthorization, value)
		for k, v := range annotations {
			k8sres.SetAnnotation(sec, k, v)
		}
		return nil
	})
	out.Written, out.Conflicts = res.Written, res.Conflicts
	if err != nil {
		return out, err
	}
	return out, nil
}

// SaveRefreshToken updates the credentials Secret's refreshToken key (nothing else).
func (s *KubeStore) SaveRefreshToken(ctx context.Context, rt string) error {
	if s.CredentialsName == "" {
		return nil
	}
	_, err := k8sres.UpdateSecret(ctx, s.Kube, s.Namespace, s.CredentialsName, s.Retries, func(sec *corev1.Secret) error {
		if cur, _ := k8sres.SecretValue(sec, KeyRefreshToken); cur == rt {
			return k8sres.ErrNoChange
		}
		k8sres.SetSecretValue(sec, KeyRefreshToken, rt)
		return nil
	})
	if err != nil {
		return explain.New(err, trimDot(err.Error()))
	}
	return nil
}
