// Package plan is the one vocabulary of what a command will change (or changed): create, update, unchanged,
// delete and skip, and the item every plan is made of, whose JSON is the -o json shape of the wizard's, teardown's
// and rotate's plans. tui/planview prints it as text. No UI here.
package plan

// Action is what happens to one target.
type Action string

// The actions.
const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
	Delete    Action = "delete"
	Skip      Action = "skip" // left alone on purpose (a flag, or nothing of ours there)
)

// Changes reports whether the action changes something: create, update and delete do; unchanged and skip do not.
func (a Action) Changes() bool { return a == Create || a == Update || a == Delete }

// Symbol is + ~ - ○ = for create, update, delete, skip and unchanged.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	case Skip:
		return "○"
	}
	return "="
}

// Item is one line of a plan: an AWS call or a Kubernetes object, with the step it belongs to (wizard), the call
// that makes the change, a detail and, for an updated object, the diff.
type Item struct {
	Step   string `json:"step,omitempty"`
	Kind   string `json:"kind,omitempty"` // KindAWS or KindKubernetes
	Action Action `json:"action"`
	Target string `json:"target"`
	Call   string `json:"call,omitempty"`
	Detail string `json:"detail,omitempty"`
	Diff   string `json:"diff,omitempty"`
}

// Kinds of targets.
const (
	KindAWS        = "aws"
	KindKubernetes = "kubernetes"
)

// Changes counts the items that change something.
func Changes(items []Item) int {
	n := 0
	for _, it := range items {
		if it.Action.Changes() {
			n++
		}
	}
	return n
}

// JoinDetail joins two parts of an item's detail with "; " (either may be empty).
func JoinDetail(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}
