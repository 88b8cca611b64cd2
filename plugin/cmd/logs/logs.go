// Package logs is `kubectl agentcore logs`.
package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/startgc"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	pl "github.com/kubectl-agentcore/kubectl-agentcore/plugin/logs"
	tuilogs "github.com/kubectl-agentcore/kubectl-agentcore/tui/logs"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/spf13/cobra"
)

// Output formats of logs.
const (
	OutputText = "text"
	OutputJSON = "json"
	OutputRaw  = "raw"
)

// Options are the flags of `logs`; Complete and Validate add the filter they make, whether a screen opens and
// the tree's doctor command (the screen's d key).
type Options struct {
	f *cmdutil.Factory

	Gateway  string
	Follow   bool
	Since    time.Duration
	Tail     int64
	Statuses []string
	Routes   []string
	Reasons  []string
	Grep     string
	Output   string
	Stats    bool
	File     string
	Buffer   int

	filter *pl.Filter
	tui    bool
	doctor *cobra.Command
}

// NewCmd builds the logs command. runF, when not nil, receives the completed and validated Options instead of
// Run (flag tests).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Stream the gateway's access logs, parsed and filtered",
		Long: `Follow every proxy pod of the Gateway, parse agentgateway access lines, filter by status, route, reason or
regular expression, and show 401s so they cannot be missed. --file reads a saved log instead.

The Gateway is --gateway, else the one in the setup record (kubectl agentcore wizard), else the only Agent
Gateway in the cluster. Filters combine: every flag must match (AND), any value of one flag may (OR).
On a terminal a live table opens (space pause, / filter, enter details, d doctor); otherwise one line per
entry is printed and flushed (-o text aligned columns, -o json one object per line, -o raw the original line).`,
		Example: `  kubectl agentcore logs -f --status 4xx
  kubectl agentcore logs --since 10m --status 401,403 --reason JwtAuth -o json
  kubectl agentcore logs --file saved.log --status 5xx --stats`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Gateway, "gateway", "", "the Gateway as NAMESPACE/NAME (default: the setup record's, else the only Agent Gateway)")
	fl.BoolVarP(&o.Follow, "follow", "f", false, "keep following the logs (and pods that appear later)")
	fl.DurationVar(&o.Since, "since", 0, "only lines newer than this, e.g. 10m")
	fl.Int64Var(&o.Tail, "tail", -1, "start with the last N lines of each container (-1 = all)")
	fl.StringSliceVar(&o.Statuses, "status", nil, "HTTP statuses to keep: codes or classes, e.g. 401,403,4xx,5xx")
	fl.StringSliceVar(&o.Routes, "route", nil, "routes to keep, NAMESPACE/NAME (or NAME in any namespace)")
	fl.StringSliceVar(&o.Reasons, "reason", nil, "reasons to keep, e.g. JwtAuth,RateLimit (none = answered upstream)")
	fl.StringVar(&o.Grep, "grep", "", "regular expression the raw line must match")
	cmdutil.AddOutputFlag(cmd, &o.Output, OutputText, OutputJSON, OutputRaw)
	fl.BoolVar(&o.Stats, "stats", false, "print counts by status, reason, route, where the 401s happened (gateway reason or AgentCore) and caller (jwt.sub) at the end (also on ctrl+c)")
	fl.StringVar(&o.File, "file", "", "read a saved log from PATH (- = stdin) instead of the cluster")
	fl.IntVar(&o.Buffer, "buffer", pl.DefaultBuffer, "lines the screen keeps (a bounded ring)")
	return cmd
}

// Complete decides whether a screen opens (a terminal, no -o, not reading stdin) and finds the tree's doctor.
func (o *Options) Complete(cmd *cobra.Command, _ []string) error {
	o.tui = o.f.IO.CanPrompt() && !cmd.Flags().Changed("output") && o.File != "-"
	o.doctor = findDoctor(cmd)
	return nil
}

// Validate checks the flags and builds the filter. Every bad value is a usage error (exit 2); a --file that is
// not there fails (exit 1) before anything is read.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output, OutputText, OutputJSON, OutputRaw); err != nil {
		return err
	}
	st, err := pl.ParseStatuses(o.Statuses)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	flt := &pl.Filter{Statuses: st, Routes: pl.SplitList(o.Routes), Reasons: pl.SplitList(o.Reasons)}
	if o.Grep != "" {
		re, err := regexp.Compile(o.Grep)
		if err != nil {
			return cmdutil.UsageErrorf("invalid --grep %q: %v", o.Grep, err)
		}
		flt.Grep = re
	}
	o.filter = flt
	if o.Gateway != "" {
		if _, err := pl.ParseGatewayRef(o.Gateway, "default"); err != nil {
			return cmdutil.UsageErrorf("%v", err)
		}
	}
	switch {
	case o.Buffer < 1:
		return cmdutil.UsageErrorf("invalid --buffer %d: must be at least 1", o.Buffer)
	case o.Tail < -1:
		return cmdutil.UsageErrorf("invalid --tail %d: use a number of lines, or -1 for all", o.Tail)
	case o.Since < 0:
		return cmdutil.UsageErrorf("invalid --since %s: must be positive", o.Since)
	case o.File != "" && o.Gateway != "":
		return cmdutil.UsageErrorf("--file and --gateway cannot be combined: --file reads a saved log, not the cluster")
	case o.File != "" && o.Follow:
		return cmdutil.UsageErrorf("--follow cannot be used with --file")
	}
	if o.File != "" && o.File != "-" {
		if fi, err := os.Stat(o.File); err != nil {
			return cmdutil.Fail("reading "+o.File, errors.Unwrap(err), "Check the path")
		} else if fi.IsDir() {
			return cmdutil.Fail("reading "+o.File, errors.New("it is a directory"), "Pass a log file")
		}
	}
	return nil
}

// Run reads the source and renders it (screen or plain lines).
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !o.tui && !o.Follow { // reads what is there, prints, exits
		defer startgc.OneShot()()
	}
	if o.File != "" {
		return o.runFile(ctx, o.f)
	}
	return o.runCluster(ctx, o.f)
}

func (o *Options) theme(f *cmdutil.Factory) style.Theme {
	return f.IO.Theme()
}

func (o *Options) since(f *cmdutil.Factory) time.Time {
	if o.Since <= 0 {
		return time.Time{}
	}
	return f.Now().Add(-o.Since)
}

// ---- file source ----

func (o *Options) runFile(ctx context.Context, f *cmdutil.Factory) error {
	var r io.Reader = f.IO.In
	name := "stdin"
	if o.File != "-" {
		fh, err := os.Open(o.File)
		if err != nil {
			return cmdutil.Fail("reading "+o.File, errors.Unwrap(err), "Check the path")
		}
		defer fh.Close()
		r, name = fh, o.File
	}
	if o.tui {
		return o.runTUIFile(ctx, f, r, name)
	}
	p := newPrinter(f, o, false, "")
	pipe := &pl.Pipeline{Filter: o.filter, Since: o.since(f)}
	var tail *pl.Ring[[]byte]
	if o.Tail >= 0 {
		tail = pl.NewRing[[]byte](int(max(o.Tail, 1)))
	}
	var mu sync.Mutex
	emit := func(v *pl.View) error {
		mu.Lock()
		defer mu.Unlock()
		if tail != nil {
			if o.Tail > 0 {
				tail.Push(append([]byte(nil), v.Line...))
			}
			return nil
		}
		return p.emit(v, "", "")
	}
	done := make(chan error, 1)
	go func() {
		// A named regular file is split between the cores (lines stay in order); stdin and pipes are read as they
		// come, flushing the output whenever the next read may wait.
		if fh, ok := r.(*os.File); ok && o.File != "-" {
			if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
				// raw output and a tail read only each line's bytes (a tail is parsed again as it is printed)
				lineOnly := tail != nil || o.Output == OutputRaw && p.stats == nil
				done <- pl.ScanFile(fh, st.Size(), runtime.GOMAXPROCS(0), func() *pl.Pipeline {
					return &pl.Pipeline{Filter: o.filter, Since: pipe.Since}
				}, lineOnly, emit)
				return
			}
		}
		done <- pipe.ScanReader(r, emit, func() error {
			mu.Lock()
			defer mu.Unlock()
			return p.flush()
		})
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	if tail != nil {
		for i := 0; i < tail.Len(); i++ {
			line := *tail.At(i)
			if v, ok := (&pl.Pipeline{}).Process(line, time.Time{}); ok {
				_ = p.emit(v, "", "")
			}
		}
	}
	if err != nil && !errors.Is(err, syscall.EPIPE) {
		_ = p.finish()
		return cmdutil.Fail("reading "+name, err, "")
	}
	return p.finish()
}

func (o *Options) runTUIFile(ctx context.Context, f *cmdutil.Factory, r io.Reader, name string) error {
	entries := make(chan pl.Entry, 256)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(entries)
		pipe := &pl.Pipeline{Filter: o.filter, Since: o.since(f)}
		errc <- pipe.ScanReader(r, func(v *pl.View) error {
			select {
			case entries <- v.Entry("", ""):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, nil)
	}()
	return o.runTUI(ctx, f, tuilogs.Config{Source: name}, entries, nil, errc)
}

// ---- cluster source ----

func (o *Options) runCluster(ctx context.Context, f *cmdutil.Factory) error {
	kube, err := f.KubeClient()
	if err != nil {
		return err
	}
	dyn, err := f.Dynamic()
	if err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	gw, err := pl.ResolveGateway(ctx, kube, dyn, o.Gateway, ns, f.NamespaceFlag())
	if err != nil {
		if o.Gateway != "" {
			return cmdutil.UsageErrorf("%v", err)
		}
		return err
	}
	fol := &pl.Follower{Kube: kube, Namespace: gw.Namespace, Gateway: gw.Name, Follow: o.Follow, Since: o.Since, Tail: o.Tail, Now: f.Now}
	lines := make(chan pl.Line, 1024)
	events := make(chan pl.Event, 16)
	errc := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		errc <- fol.Run(rctx, lines, events)
		close(lines)
	}()
	if o.tui {
		entries := make(chan pl.Entry, 256)
		go func() {
			defer close(entries)
			pipe := &pl.Pipeline{Filter: o.filter}
			for l := range lines {
				if v, ok := pipe.Process(l.Data, l.Time); ok {
					select {
					case entries <- v.Entry(l.Pod, l.Container):
					case <-rctx.Done():
						return
					}
				}
			}
		}()
		terr := make(chan error, 1)
		go func() {
			// report a failed read (e.g. RBAC) on screen; a clean end of a non-follow read is not an error
			err := <-errc
			if err != nil && rctx.Err() == nil {
				terr <- err
			}
		}()
		return o.runTUI(rctx, f, tuilogs.Config{Gateway: gw.Ref(), Following: o.Follow}, entries, events, terr)
	}

	p := newPrinter(f, o, true, gw.Name)
	pipe := &pl.Pipeline{Filter: o.filter}
	var runErr error
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				runErr = <-errc
				lines = nil
				break
			}
			if v, ok := pipe.Process(l.Data, l.Time); ok {
				if err := p.emit(v, l.Pod, l.Container); err != nil {
					return p.stop(err)
				}
			}
			if len(lines) == 0 {
				if err := p.flush(); err != nil {
					return p.stop(err)
				}
			}
			continue
		case ev := <-events:
			o.warn(f, gw, ev)
			continue
		case <-ctx.Done():
		}
		break
	}
	for len(events) > 0 {
		o.warn(f, gw, <-events)
	}
	cancel()
	if runErr != nil && ctx.Err() == nil {
		_ = p.finish()
		return runErr
	}
	return p.finish()
}

func (o *Options) warn(f *cmdutil.Factory, gw pl.Gateway, ev pl.Event) {
	if ev.Notice != "" {
		fmt.Fprintln(f.IO.ErrOut, "warning: "+ev.Notice)
	}
	if ev.Pods != nil && len(ev.Pods) == 0 && !o.Follow {
		fmt.Fprintf(f.IO.ErrOut, "warning: Gateway %s has no proxy pods (label %s)\n", gw.Ref(), k8sres.ProxyPodSelector(gw.Name))
	}
}

// ---- screen ----

func (o *Options) runTUI(ctx context.Context, f *cmdutil.Factory, cfg tuilogs.Config, entries <-chan pl.Entry, events <-chan pl.Event, errc <-chan error) error {
	cfg.Theme = o.theme(f)
	cfg.Buffer = o.Buffer
	doctor := o.doctor
	cfg.Doctor = doctor != nil
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg.Batches = pl.Batcher(bctx, entries, events, errc, o.Buffer, pl.FrameInterval)
	m, err := cmdutil.RunScreen(ctx, f.IO, tuilogs.New(cfg))
	cancel()
	if err != nil {
		return err
	}
	if o.Stats {
		writeStatsText(f.IO.Out, m.Report())
	}
	if m.OpenDoctor && doctor != nil {
		return doctor.RunE(doctor, nil)
	}
	return nil
}

// findDoctor returns the doctor command when the tree has one that runs.
func findDoctor(cmd *cobra.Command) *cobra.Command {
	d, _, err := cmd.Root().Find([]string{"doctor"})
	if err != nil || d == nil || d == cmd.Root() || d.RunE == nil {
		return nil
	}
	return d
}

// ---- plain output ----

type printer struct {
	o       *Options
	w       *bufio.Writer
	theme   style.Theme
	color   bool
	pods    bool
	gateway string
	stats   *pl.Stats
	buf     []byte
}

func newPrinter(f *cmdutil.Factory, o *Options, pods bool, gateway string) *printer {
	p := &printer{o: o, w: bufio.NewWriterSize(f.IO.Out, 64<<10), theme: o.theme(f), color: f.IO.ColorEnabled(),
		pods: pods, gateway: gateway}
	if o.Stats {
		p.stats = pl.NewStats()
	}
	if o.Output == OutputText && f.IO.IsStdoutTTY() {
		p.w.WriteString(p.theme.Faint.Render(textHeader(pods)) + "\n")
	}
	return p
}

func (p *printer) emit(v *pl.View, pod, container string) error {
	if p.stats != nil {
		p.stats.Add(v)
	}
	switch p.o.Output {
	case OutputRaw:
		p.w.Write(v.Line)
		return p.w.WriteByte('\n')
	case OutputJSON:
		e := v.Entry(pod, container)
		b, err := marshalEntry(&e)
		if err != nil {
			return err
		}
		p.w.Write(b)
		return p.w.WriteByte('\n')
	}
	p.buf = appendText(p.buf[:0], v, pod, p)
	_, err := p.w.Write(p.buf)
	return err
}

func (p *printer) flush() error { return p.w.Flush() }

// stop ends output after a write error (a closed pipe ends quietly).
func (p *printer) stop(err error) error {
	if errors.Is(err, syscall.EPIPE) {
		return nil
	}
	return cmdutil.Fail("writing output", err, "")
}

func (p *printer) finish() error {
	if p.stats != nil {
		if p.o.Output == OutputJSON {
			b, _ := marshalStats(p.stats.Report())
			p.w.Write(b)
			p.w.WriteByte('\n')
		} else {
			writeStatsText(p.w, p.stats.Report())
		}
	}
	if err := p.w.Flush(); err != nil {
		return p.stop(err)
	}
	return nil
}
