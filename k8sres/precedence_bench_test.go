package k8sres

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// BenchmarkRouteShadows100: doctor --all over 100 setups whose routes share one Gateway parses the Gateway's routes
// into one RouteSet and ranks each route against it (the work resources.route-precedence adds per run).
func BenchmarkRouteShadows100(b *testing.B) {
	var rs []*unstructured.Unstructured
	for i := range 100 {
		rs = append(rs, testRoute(fmt.Sprintf("ns-%03d", i), "agentcore", i%60, []any{prefix(fmt.Sprintf("/ns-%03d/agentcore", i))}))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		set := NewRouteSet(testGateway, rs)
		for _, r := range rs {
			set.Rank(r)
		}
	}
}
