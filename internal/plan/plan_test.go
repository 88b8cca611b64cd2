package plan

import (
	"encoding/json"
	"testing"
)

func TestActions(t *testing.T) {
	for _, tc := range []struct {
		a       Action
		changes bool
		symbol  string
	}{
		{Create, true, "+"}, {Update, true, "~"}, {Delete, true, "-"}, {Unchanged, false, "="}, {Skip, false, "○"},
	} {
		if tc.a.Changes() != tc.changes || tc.a.Symbol() != tc.symbol {
			t.Errorf("%s: changes %v symbol %q, want %v %q", tc.a, tc.a.Changes(), tc.a.Symbol(), tc.changes, tc.symbol)
		}
	}
	items := []Item{{Action: Create}, {Action: Unchanged}, {Action: Delete}, {Action: Skip}, {Action: Update}}
	if n := Changes(items); n != 3 {
		t.Fatalf("Changes = %d, want 3", n)
	}
}

// The -o json shape: empty optional fields are left out, so a teardown item (no step, call or diff) and a
// wizard item share one shape.
func TestItemJSON(t *testing.T) {
	b, err := json.Marshal(Item{Kind: KindKubernetes, Action: Delete, Target: "Secret ns/jwt"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"kind":"kubernetes","action":"delete","target":"Secret ns/jwt"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	b, _ = json.Marshal(Item{Step: "identity", Kind: KindAWS, Action: Create, Target: "user pool p", Call: "cognito-idp:CreateUserPool", Detail: "d", Diff: "-a\n+b\n"})
	if got, want := string(b), `{"step":"identity","kind":"aws","action":"create","target":"user pool p","call":"cognito-idp:CreateUserPool","detail":"d","diff":"-a\n+b\n"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
