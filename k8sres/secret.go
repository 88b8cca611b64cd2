package k8sres

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ErrNoChange is returned by a SecretMutator to say the Secret is fine as it is: nothing is written.
var ErrNoChange = errors.New("no change")

// SecretMutator changes the freshest copy of a Secret in place. It is called again with a re-read copy after
// every conflict, so it must decide from what it is given, not from what it saw before. Returning ErrNoChange
// skips the write; any other error aborts the update.
type SecretMutator func(s *corev1.Secret) error

// SecretUpdate says what UpdateSecret did.
type SecretUpdate struct {
	// Secret is the object as stored after the update (or as read, when nothing was written).
	Secret *corev1.Secret
	// Written is false when the mutator returned ErrNoChange.
	Written bool
	// Conflicts counts the optimistic-concurrency conflicts that were retried.
	Conflicts int
}

// DefaultConflictRetries is how many times UpdateSecret re-reads and retries after a conflict.
const DefaultConflictRetries = 10

// UpdateSecret is the safe way to change one Secret that others also write: read it, let mutate change only what
// it owns, Update with the resourceVersion that was read, and on a conflict read again and retry (up to retries
// times; 0 = DefaultConflictRetries). Keys, labels and annotations the mutator does not touch are kept as stored
// at the moment of the write. Errors are one line naming the verb and the Secret.
func UpdateSecret(ctx context.Context, kc kubernetes.Interface, namespace, name string, retries int, mutate SecretMutator) (SecretUpdate, error) {
	if retries <= 0 {
		retries = DefaultConflictRetries
	}
	ref := Ref(namespace, name)
	var res SecretUpdate
	for {
		cur, err := kc.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return res, explainSecret("reading Secret "+ref, err)
		}
		s := cur.DeepCopy()
		if err := mutate(s); err != nil {
			if errors.Is(err, ErrNoChange) {
				res.Secret = cur
				return res, nil
			}
			return res, err
		}
		// The resourceVersion of the copy that was read is what makes this update safe.
		s.ResourceVersion = cur.ResourceVersion
		out, err := kc.CoreV1().Secrets(namespace).Update(ctx, s, metav1.UpdateOptions{FieldManager: FieldManager})
		if err == nil {
			res.Secret, res.Written = out, true
			return res, nil
		}
		if apierrors.IsConflict(err) && res.Conflicts < retries {
			res.Conflicts++
			continue
		}
		if apierrors.IsConflict(err) {
			return res, fmt.Errorf("updating Secret %s: it kept changing under us (%d conflicts). Check what else writes it, then retry", ref, res.Conflicts)
		}
		return res, explainSecret("updating Secret "+ref, err)
	}
}

// GetSecret reads a Secret with a one-line error naming the verb and resource.
func GetSecret(ctx context.Context, kc kubernetes.Interface, namespace, name string) (*corev1.Secret, error) {
	s, err := kc.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, SecretReadError(namespace, name, err)
	}
	return s, nil
}

// SecretReadError is GetSecret's error for err, for callers that read the Secret another way (from a LIST).
func SecretReadError(namespace, name string, err error) error {
	return explainSecret("reading Secret "+Ref(namespace, name), err)
}

// SecretValue returns key's value from Data, falling back to StringData (set on objects not yet stored).
func SecretValue(s *corev1.Secret, key string) (string, bool) {
	if s == nil {
		return "", false
	}
	if v, ok := s.Data[key]; ok {
		return string(v), true
	}
	if v, ok := s.StringData[key]; ok {
		return v, true
	}
	return "", false
}

// SetSecretValue sets key in Data (the form the API server stores), leaving every other key alone.
func SetSecretValue(s *corev1.Secret, key, value string) {
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	s.Data[key] = []byte(value)
	delete(s.StringData, key)
}

// SetAnnotation sets one annotation, leaving the others alone.
func SetAnnotation(s *corev1.Secret, key, value string) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[key] = value
}

func explainSecret(what string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: not found. Create it (kubectl agentcore wizard) or name the right one with --secret / -n", what)
	}
	return Explain(what, err)
}
