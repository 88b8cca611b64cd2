package doctor

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
)

// TestFlavourGVRs: backends and policies are looked for by one rule — the OSS resource when served or when the
// Enterprise one is not, then the Enterprise one when served.
func TestFlavourGVRs(t *testing.T) {
	type gvrs = []schema.GroupVersionResource
	for _, tc := range []struct {
		name            string
		kinds           k8sres.Kinds
		backend, policy gvrs
	}{
		{"nothing served", k8sres.Kinds{}, gvrs{k8sres.GVRBackend}, gvrs{k8sres.GVRPolicy}},
		{"oss", k8sres.AllOSSKinds, gvrs{k8sres.GVRBackend}, gvrs{k8sres.GVRPolicy}},
		{"enterprise only", k8sres.Kinds{EnterpriseBackend: true, EnterprisePolicy: true}, gvrs{k8sres.GVREnterpriseBackend}, gvrs{k8sres.GVREnterprisePolicy}},
		{"both", k8sres.Kinds{Backend: true, Policy: true, EnterpriseBackend: true, EnterprisePolicy: true},
			gvrs{k8sres.GVRBackend, k8sres.GVREnterpriseBackend}, gvrs{k8sres.GVRPolicy, k8sres.GVREnterprisePolicy}},
		{"oss backend, enterprise policy", k8sres.Kinds{Backend: true, EnterprisePolicy: true}, gvrs{k8sres.GVRBackend}, gvrs{k8sres.GVREnterprisePolicy}},
	} {
		if got := backendGVRs(tc.kinds); !reflect.DeepEqual(got, tc.backend) {
			t.Errorf("%s: backends %v, want %v", tc.name, got, tc.backend)
		}
		if got := policyGVRs(tc.kinds); !reflect.DeepEqual(got, tc.policy) {
			t.Errorf("%s: policies %v, want %v", tc.name, got, tc.policy)
		}
	}
}
