// Package startgc sets the garbage collector for the plugin's start and for its one-shot commands: it keeps the
// collector off while the binary's packages initialise, Restore turns it back on as main begins, and OneShot
// (oneshot.go) makes collections rarer for a command that answers and exits.
//
// The plugin links client-go, the AWS SDK and prometheus; their package initialisers allocate about 5 MB (API
// schemes, service schemas, default collectors) and, at the default GOGC, the collector ran twice during those few
// milliseconds, for about a quarter of the start-up time of a short command (`version`: 27 ms → 20 ms with GOGC
// off, `perf stat -r 20`). Nothing collected then would have been garbage for long: init allocates what lives
// for the process.
//
// Go initialises packages in import-path order among those whose imports are done (the language spec,
// "Package initialization"), so this package, which imports only runtime/debug, runs before the heavy ones
// whenever main imports it first; cmd/kubectl-agentcore TestNoCollectionWhilePackagesInitialise checks it. The setting in force before
// (GOGC from the environment, or 100) is what Restore puts back, so GOGC and GOMEMLIMIT still work as documented.
package startgc

import "runtime/debug"

var before = debug.SetGCPercent(-1)

// Restore turns the collector back on with the setting the process started with. Call it first thing in main.
func Restore() { debug.SetGCPercent(before) }
