package rotate

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// DefaultImage is the project's container image (built by `make image`, pushed by the release workflow).
const DefaultImage = "ghcr.io/kubectl-agentcore/kubectl-agentcore"

// ManifestOptions describe the in-cluster rotator.
type ManifestOptions struct {
	Namespace string
	// Name of the Deployment, ServiceAccount, Role and RoleBinding (default "agentcore-rotate").
	Name string
	// Image with tag.
	Image string
	// SecretName is the token Secret; CredentialsName the Secret with client secret / password / refresh token.
	SecretName      string
	CredentialsName string
	// RecordName is the setup record ConfigMap ("" when running from flags only).
	RecordName string
	// Args are the extra `rotate` flags (for the no-record case: pool, client, username …).
	Args []string
	// Region sets AWS_REGION ("" = leave to the pod's environment).
	Region string
	// AWSRoleARN annotates the ServiceAccount for IRSA (needed for the password path and GetAgentRuntime).
	AWSRoleARN string
	Labels     map[string]string
}

// Manifests returns the ServiceAccount, Role, RoleBinding and Deployment that run `kubectl-agentcore rotate
// --watch` in the cluster. The Role allows get+update on exactly the two Secrets and get on the setup record.
func Manifests(o ManifestOptions) []runtime.Object {
	o.Name = cmp.Or(o.Name, defaultManifestName)
	labels, selector := manifestLabels(o.Name, "token-rotator", o.Labels)
	meta := func() metav1.ObjectMeta {
		l := map[string]string{}
		for k, v := range labels {
			l[k] = v
		}
		return metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: l}
	}

	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta()}
	if o.AWSRoleARN != "" {
		sa.Annotations = map[string]string{"eks.amazonaws.com/role-arn": o.AWSRoleARN}
	}

	secrets := []string{o.SecretName}
	if o.CredentialsName != "" && o.CredentialsName != o.SecretName {
		secrets = append(secrets, o.CredentialsName)
	}
	rules := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: secrets, Verbs: []string{"get", "update"}}}
	if o.RecordName != "" {
		// get: the record; patch and events: the rotation status and Events it writes on it, as the service does.
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{o.RecordName}, Verbs: []string{"get", "patch"}},
			rbacv1.PolicyRule{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create"}})
	}
	role := &rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}, ObjectMeta: meta(), Rules: rules}
	rb := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: meta(),
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: o.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: o.Name, Namespace: o.Namespace}},
	}

	args := []string{"rotate", "--watch", "--log-format=json", "--namespace=" + o.Namespace, "--secret=" + o.SecretName}
	if o.CredentialsName != "" {
		args = append(args, "--credentials-secret="+o.CredentialsName)
	}
	args = append(args, o.Args...)
	var env []corev1.EnvVar
	if o.Region != "" {
		env = append(env, corev1.EnvVar{Name: "AWS_REGION", Value: o.Region})
	}
	one := int32(1)
	f, t := false, true
	uid := int64(65532)
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(),
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			// One rotator at a time; two would be safe (conflict-checked writes) but mint twice.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: o.Name,
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &t, RunAsUser: &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					TerminationGracePeriodSeconds: ptr(int64(30)),
					Containers: []corev1.Container{{
						Name:    "rotate",
						Image:   o.Image,
						Command: []string{"/usr/local/bin/kubectl-agentcore"},
						Args:    args,
						Env:     env,
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &f, ReadOnlyRootFilesystem: &t,
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
						},
					}},
				},
			},
		},
	}
	return []runtime.Object{sa, role, rb, dep}
}

// ManifestsYAML renders the objects as one multi-document YAML stream, ready for kubectl apply -f -.
func ManifestsYAML(objs []runtime.Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("rendering manifest %d: %w", i, err)
		}
		buf.WriteString("---\n")
		buf.Write(stripStatus(b))
	}
	return buf.Bytes(), nil
}

// stripStatus drops the empty `status: {}` and `creationTimestamp: null` the typed objects marshal with.
func stripStatus(b []byte) []byte {
	var lines [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if bytes.Equal(t, []byte("status: {}")) || bytes.Equal(t, []byte("creationTimestamp: null")) {
			continue
		}
		lines = append(lines, l)
	}
	return bytes.Join(lines, []byte("\n"))
}

func ptr[T any](v T) *T { return &v }

// Ports and paths of the rotation service's HTTP endpoint in the manifests.
const (
	FleetListenPort = 8080
	fleetPortName   = "http-metrics"
)

// FleetManifestOptions describe the in-cluster rotation service (`rotate --watch --all`).
type FleetManifestOptions struct {
	// Namespace is where the service runs (its Lease too) and, unless AllNamespaces, whose setups it rotates.
	Namespace     string
	AllNamespaces bool
	// Name of every object (default "agentcore-rotate").
	Name  string
	Image string
	// Args are extra `rotate` flags (--renew-before, --min-validity …).
	Args       []string
	Region     string
	AWSRoleARN string
}

// FleetManifests returns what runs the rotation service in the cluster: a ServiceAccount; least-privilege RBAC
// (a Role in Namespace, or a ClusterRole with AllNamespaces, for the records (list/watch, patch for the status
// annotations), the token Secrets (get/update), Events (create/patch); a Role for the Lease); a Deployment of 2
// replicas with probes and resources; a PodDisruptionBudget keeping one; a Service for /metrics.
// docs/rotation-service.md explains each rule.
func FleetManifests(o FleetManifestOptions) []runtime.Object {
	o.Name = cmp.Or(o.Name, defaultManifestName)
	labels, selector := manifestLabels(o.Name, "rotation-service", nil)
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: maps.Clone(labels)}
	}
	rbac := func(kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: kind}
	}
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta()}
	if o.AWSRoleARN != "" {
		sa.Annotations = map[string]string{"eks.amazonaws.com/role-arn": o.AWSRoleARN}
	}
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: o.Name, Namespace: o.Namespace}}
	setupRules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list", "watch", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
	var objs []runtime.Object
	objs = append(objs, sa)
	if o.AllNamespaces {
		cm := meta()
		cm.Namespace = ""
		cm.Name = o.Name + "-" + o.Namespace // cluster-scoped: one per installation
		objs = append(objs,
			&rbacv1.ClusterRole{TypeMeta: rbac("ClusterRole"), ObjectMeta: cm, Rules: setupRules},
			&rbacv1.ClusterRoleBinding{TypeMeta: rbac("ClusterRoleBinding"), ObjectMeta: cm,
				RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: cm.Name}, Subjects: subjects})
	} else {
		objs = append(objs,
			&rbacv1.Role{TypeMeta: rbac("Role"), ObjectMeta: meta(), Rules: setupRules},
			&rbacv1.RoleBinding{TypeMeta: rbac("RoleBinding"), ObjectMeta: meta(),
				RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: o.Name}, Subjects: subjects})
	}
	lm := meta()
	lm.Name = o.Name + "-lease"
	objs = append(objs,
		&rbacv1.Role{TypeMeta: rbac("Role"), ObjectMeta: lm, Rules: []rbacv1.PolicyRule{
			// create cannot be limited by name; get and update only touch the service's own Lease.
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{DefaultLeaseName}, Verbs: []string{"get", "update"}},
		}},
		&rbacv1.RoleBinding{TypeMeta: rbac("RoleBinding"), ObjectMeta: lm,
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: lm.Name}, Subjects: subjects})

	args := []string{"rotate", "--watch", "--all", "--log-format=json", fmt.Sprintf("--listen=:%d", FleetListenPort), "--lease-namespace=" + o.Namespace}
	if o.AllNamespaces {
		args = append(args, "--all-namespaces")
	} else {
		args = append(args, "--namespace="+o.Namespace)
	}
	args = append(args, o.Args...)
	env := []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}
	if o.Region != "" {
		env = append(env, corev1.EnvVar{Name: "AWS_REGION", Value: o.Region})
	}
	probe := func(path string, period int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(fleetPortName)}},
			PeriodSeconds: period, TimeoutSeconds: 2, FailureThreshold: 3}
	}
	f, t := false, true
	uid := int64(65532)
	replicas := int32(2)
	one := intstr.FromInt32(1)
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(),
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &one, MaxSurge: &one}},
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(labels)},
				Spec: corev1.PodSpec{
					ServiceAccountName: o.Name,
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &t, RunAsUser: &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					// Long enough for a rotation in progress to finish and the Lease to be released.
					TerminationGracePeriodSeconds: ptr(int64(30)),
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname", LabelSelector: &metav1.LabelSelector{MatchLabels: selector}}}},
					}},
					Containers: []corev1.Container{{
						Name:           "rotate",
						Image:          o.Image,
						Command:        []string{"/usr/local/bin/kubectl-agentcore"},
						Args:           args,
						Env:            env,
						Ports:          []corev1.ContainerPort{{Name: fleetPortName, ContainerPort: FleetListenPort, Protocol: corev1.ProtocolTCP}},
						LivenessProbe:  probe("/healthz", 10),
						ReadinessProbe: probe("/readyz", 5),
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &f, ReadOnlyRootFilesystem: &t,
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
						},
					}},
				},
			},
		},
	}
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: meta(),
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: selector}},
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(),
		Spec: corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Name: fleetPortName, Port: FleetListenPort,
			TargetPort: intstr.FromString(fleetPortName), Protocol: corev1.ProtocolTCP}}},
	}
	return append(objs, dep, pdb, svc)
}

// defaultManifestName names the rotator's objects when --name is not given.
const defaultManifestName = "agentcore-rotate"

// manifestLabels returns the labels every rotator object carries (extra ones on top) and the selector of its pods,
// for the one-setup rotator and the rotation service alike.
func manifestLabels(name, component string, extra map[string]string) (labels, selector map[string]string) {
	labels = map[string]string{
		k8sres.LabelManagedBy:         k8sres.ManagedByValue,
		"app.kubernetes.io/name":      "kubectl-agentcore",
		"app.kubernetes.io/component": component,
		"app.kubernetes.io/instance":  name,
	}
	maps.Copy(labels, extra)
	return labels, map[string]string{"app.kubernetes.io/name": "kubectl-agentcore", "app.kubernetes.io/instance": name}
}
