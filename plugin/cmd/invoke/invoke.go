// Package invoke is `kubectl agentcore invoke`: one request through the gateway (or straight to AgentCore with
// --direct), the reply streamed as it arrives, a non-2xx answer explained.
package invoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	doctorcmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	uc "github.com/kubectl-agentcore/kubectl-agentcore/plugin/invoke"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/spf13/cobra"
)

// Options are the flags (Prompt is the argument); Validate adds the payload (or the MCP tool's arguments) they
// make.
type Options struct {
	f *cmdutil.Factory

	Prompt     string
	Data       string
	DataFile   string
	Gateway    string
	Route      string
	Direct     bool
	RuntimeARN string
	Qualifier  string
	SessionID  string
	Stream     bool
	// BearerFrom is where the caller's own token comes from (env:, file:, secret:, prompt; never argv): it is
	// sent as Authorization: Bearer to a gateway that validates callers (--mode passthrough|exchange).
	BearerFrom string
	Timeout    time.Duration
	Output     string
	// MCP speaks MCP to an AgentCore Gateway behind the route: initialize, tools/list, and tools/call of Tool
	// with Args.
	MCP  bool
	Tool string
	Args string

	payload []byte
	args    map[string]any
	// rec is the setup record the call goes to (nil: none, or --gateway-url).
	rec *setup.Record
}

// NewCmd builds the invoke command. runF, when not nil, receives the completed and validated Options instead of
// Run (flag tests).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "invoke [PROMPT]",
		Short: "Send one request to the agent through the gateway and print the reply",
		Long: `Send one request through the gateway to the AgentCore runtime and print the reply as it arrives
(text/event-stream replies are streamed event by event). The payload is {"role":"user","content":[{"text":PROMPT}]}
unless --data or --data-file gives the JSON. Each call carries a fresh runtime session id (--session-id to reuse
one).

The gateway's address comes from --gateway, else the setup record and the Gateway's status. --direct calls
AgentCore itself without a token, to show the 401 the gateway protects against: the runtime's invocation URL, or
for an AgentCore Gateway setup the gateway's MCP URL from the setup record (then --mcp is implied). A non-2xx
answer is explained (which link is broken, which doctor check looks at it) and exits 1.`,
		Example: `  kubectl agentcore invoke "What can you do?"
  kubectl agentcore invoke --data-file payload.json --stream
  kubectl agentcore invoke --gateway-url http://127.0.0.1:8080/agentcore "hello"
  kubectl agentcore invoke --direct "hello"        # expect 401: no token
  kubectl agentcore invoke --bearer-from file:caller.jwt "hello"   # as the caller (passthrough / exchange)
  kubectl agentcore invoke --direct                # AgentCore Gateway setup: MCP to its URL, expect 401
  kubectl agentcore invoke --mcp                   # AgentCore Gateway: initialize + tools/list
  kubectl agentcore invoke --mcp --tool add --args '{"a":1,"b":2}'
  kubectl agentcore invoke --mcp --bearer-from env:CALLER_TOKEN   # AgentCore Gateway, passthrough / exchange: as the caller`,
		Args: cobra.MaximumNArgs(1),
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Data, "data", "", "the JSON payload to send instead of the prompt shape")
	fl.StringVar(&o.DataFile, "data-file", "", "read the JSON payload from a file (- for stdin)")
	fl.StringVar(&o.Gateway, "gateway-url", "", "the gateway URL to call, e.g. http://127.0.0.1:8080/agentcore (default: from the setup record and the Gateway's status, else its Service)")
	fl.StringVar(&o.Gateway, "gateway", "", "the same as --gateway-url")
	_ = fl.MarkHidden("gateway")
	fl.StringVar(&o.Route, "route", "", "the HTTPRoute NAMESPACE/NAME whose path is called (default: the setup's route)")
	fl.BoolVar(&o.Direct, "direct", false, "call AgentCore itself, with no token (shows the 401 the gateway prevents); on an AgentCore Gateway setup, its MCP URL (implies --mcp)")
	fl.StringVar(&o.RuntimeARN, "runtime-arn", "", "the runtime ARN for --direct (default: the setup record's)")
	fl.StringVar(&o.Qualifier, "qualifier", "", "the runtime endpoint qualifier for --direct (e.g. DEFAULT)")
	fl.StringVar(&o.SessionID, "session-id", "", "the runtime session id to send (33–256 characters; default: a new one)")
	cmdutil.SecretSourceFlag(cmd, &o.BearerFrom, "bearer-from", "send a caller's token (Authorization: Bearer)", "")
	fl.BoolVar(&o.Stream, "stream", false, "ask for a text/event-stream reply (Accept: text/event-stream)")
	fl.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "give up after this long")
	fl.BoolVar(&o.MCP, "mcp", false, "speak MCP to an AgentCore Gateway behind the route: initialize and tools/list (and tools/call with --tool)")
	fl.StringVar(&o.Tool, "tool", "", "with --mcp: call this tool (tools/call)")
	fl.StringVar(&o.Args, "args", "", "with --mcp --tool: the tool's arguments as a JSON object")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Complete takes the PROMPT argument.
func (o *Options) Complete(_ *cobra.Command, args []string) error {
	o.Prompt = ""
	if len(args) == 1 {
		o.Prompt = args[0]
	}
	return nil
}

// Validate checks the flags and reads the payload (--data-file); every problem is a usage error (exit 2) and
// nothing is sent.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output); err != nil {
		return err
	}
	if err := secretsource.Validate("bearer-from", o.BearerFrom); err != nil {
		return cmdutil.UsageErrorf("%s", err)
	}
	if o.BearerFrom != "" && o.Direct {
		return cmdutil.UsageErrorf("--bearer-from sends the caller's token through the gateway: it does not combine with --direct")
	}
	if o.MCP || o.Tool != "" || o.Args != "" {
		return o.validateMCP()
	}
	n := 0
	for _, set := range []bool{o.Prompt != "", o.Data != "", o.DataFile != ""} {
		if set {
			n++
		}
	}
	switch {
	case n == 0 && o.Direct && o.RuntimeARN == "":
		// --direct on an AgentCore Gateway setup speaks MCP (no payload); Run decides from the record.
		return o.validateCommon()
	case n == 0:
		return cmdutil.UsageErrorf("nothing to send: give a PROMPT, --data JSON or --data-file FILE")
	case n > 1:
		return cmdutil.UsageErrorf("give only one of PROMPT, --data and --data-file")
	}
	switch {
	case o.Prompt != "":
		o.payload = uc.DefaultPayload(o.Prompt)
	case o.Data != "":
		o.payload = []byte(o.Data)
	default:
		var (
			b   []byte
			err error
		)
		if o.DataFile == "-" {
			b, err = io.ReadAll(io.LimitReader(o.f.IO.In, 64<<20))
		} else {
			b, err = os.ReadFile(o.DataFile)
		}
		if err != nil {
			return cmdutil.UsageErrorf("reading --data-file: %s", strings.TrimPrefix(err.Error(), "open "))
		}
		o.payload = b
	}
	if err := uc.ValidatePayload(o.payload); err != nil {
		return cmdutil.UsageErrorf("bad payload: %v. Pass JSON with --data/--data-file, or a PROMPT", err)
	}
	return o.validateCommon()
}

// validateCommon checks the flags every request shape shares.
func (o *Options) validateCommon() error {
	if o.SessionID != "" {
		if err := uc.ValidateSessionID(o.SessionID); err != nil {
			return cmdutil.UsageErrorf("bad --session-id: %v", err)
		}
	}
	if o.Direct && o.Gateway != "" {
		return cmdutil.UsageErrorf("--direct calls AgentCore itself: it does not take --gateway-url")
	}
	if o.Gateway != "" {
		if !strings.HasPrefix(o.Gateway, "http://") && !strings.HasPrefix(o.Gateway, "https://") {
			return cmdutil.UsageErrorf("bad --gateway-url %q: give a URL starting with http:// or https://", o.Gateway)
		}
	}
	if o.Route != "" && !strings.Contains(o.Route, "/") {
		return cmdutil.UsageErrorf("bad --route %q: use NAMESPACE/NAME", o.Route)
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	return nil
}

// validateMCP checks the --mcp flags: no payload, --tool and --args only with --mcp, --args a JSON object.
func (o *Options) validateMCP() error {
	switch {
	case !o.MCP && !o.Direct:
		return cmdutil.UsageErrorf("--tool and --args are for MCP: add --mcp")
	case !o.MCP && o.RuntimeARN != "":
		return cmdutil.UsageErrorf("--tool and --args are for an AgentCore Gateway (MCP), not --runtime-arn")
	case o.Prompt != "" || o.Data != "" || o.DataFile != "":
		return cmdutil.UsageErrorf("--mcp sends MCP requests itself: give no PROMPT, --data or --data-file (use --tool NAME --args JSON)")
	case o.Args != "" && o.Tool == "":
		return cmdutil.UsageErrorf("--args needs --tool NAME")
	case o.Direct && o.Gateway != "":
		return cmdutil.UsageErrorf("--direct calls the AgentCore Gateway's MCP URL from the setup record: it does not take --gateway-url")
	case o.Direct && o.RuntimeARN != "":
		return cmdutil.UsageErrorf("--runtime-arn names a runtime, which does not speak MCP here: drop --mcp, or drop --runtime-arn to call the setup's AgentCore Gateway")
	case o.SessionID != "" || o.Stream || o.Qualifier != "":
		return cmdutil.UsageErrorf("--session-id, --stream and --qualifier do not apply to --mcp (the MCP session is negotiated)")
	case o.Timeout <= 0:
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	if o.Gateway != "" && !strings.HasPrefix(o.Gateway, "http://") && !strings.HasPrefix(o.Gateway, "https://") {
		return cmdutil.UsageErrorf("bad --gateway %q: give a URL starting with http:// or https://", o.Gateway)
	}
	if o.Route != "" && !strings.Contains(o.Route, "/") {
		return cmdutil.UsageErrorf("bad --route %q: use NAMESPACE/NAME", o.Route)
	}
	args, err := agentproto.ParseArgs(o.Args)
	if err != nil {
		return cmdutil.UsageErrorf("bad --args: %v", err)
	}
	o.args = args
	return nil
}

// Run resolves the target, sends the request and renders the result.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f := o.f
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	target, err := o.target(ctx, f)
	if err != nil {
		return err
	}
	if target.Shadowed != "" {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s: this call reaches that route's backend, not this setup's (doctor's resources.route-precedence names the fix)\n", target.Shadowed)
	}
	if !o.MCP && o.payload == nil {
		return cmdutil.UsageErrorf("nothing to send: give a PROMPT, --data JSON or --data-file FILE")
	}
	caller, err := o.callerHeader(ctx, f)
	if err != nil {
		return err
	}
	if o.MCP {
		return o.runMCP(ctx, f, target, caller)
	}
	req := uc.Request{URL: target.URL, Payload: o.payload, SessionID: o.SessionID, Via: "gateway", CallerMode: o.rec != nil && o.rec.Mode.CallerToken(), Header: caller}
	if o.Direct {
		req.Via = "direct"
	}
	if o.Stream {
		req.Accept = "text/event-stream"
	}
	if !o.Direct && o.Gateway == "" {
		req.Known = o.known(f)
	}
	client := &http.Client{}
	if target.Host != "" {
		client.Transport = uc.HostTransport{Host: target.Host, RT: http.DefaultTransport}
	}
	var sink uc.Sink
	text := o.Output == cmdutil.OutputText
	if text {
		sink = &textSink{w: f.IO.Out}
	}
	res, err := uc.Do(ctx, client, req, sink)
	if err != nil {
		if res == nil && target.PortForward != "" {
			return cmdutil.Fail("invoke "+req.Via+" "+target.URL, err,
				fmt.Sprintf("That is the %s, reachable only inside the cluster: run %s and pass --gateway-url http://127.0.0.1:%s", target.Source, target.PortForward, portOf(target.URL)))
		}
		if res == nil {
			return fmt.Errorf("invoke %s: %w", req.Via, err)
		}
	}
	if !text {
		if perr := cmdutil.PrintStructured(f.IO.Out, o.Output, res); perr != nil {
			return perr
		}
		if err != nil {
			return err
		}
		if !res.OK() {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailure}
		}
		return nil
	}
	if ts, ok := sink.(*textSink); ok {
		ts.finish()
	}
	if err != nil {
		return err
	}
	if f.Verbose || f.IO.IsStdoutTTY() {
		fmt.Fprintf(f.IO.ErrOut, "HTTP %d · %s · session %s · %s via %s\n", res.Status, res.Duration.Round(time.Millisecond), res.SessionID, target.URL, target.Source)
	}
	if !res.OK() {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: explainError(req.Via, target, res)}
	}
	return nil
}

func explainError(via string, t uc.Target, res *uc.Result) error {
	e := res.Explanation
	var b strings.Builder
	fmt.Fprintf(&b, "invoke %s %s: HTTP %d %s", via, t.URL, res.Status, res.StatusText)
	if e == nil {
		return errors.New(b.String())
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " (%s)", e.Message)
	}
	fmt.Fprintf(&b, ": %s", e.Cause)
	if e.Check != "" {
		fmt.Fprintf(&b, " [doctor check %s]", e.Check)
	}
	fmt.Fprintf(&b, ". %s", e.Next)
	return errors.New(b.String())
}

// callerHeader is the Authorization header that carries the caller's token read from --bearer-from (nil without
// it), for a runtime call and an MCP conversation alike.
func (o *Options) callerHeader(ctx context.Context, f *cmdutil.Factory) (http.Header, error) {
	if o.BearerFrom == "" {
		return nil, nil
	}
	tok, err := cmdutil.ReadSecretFrom(ctx, f, "bearer-from", o.BearerFrom, "token", "caller's token")
	if err != nil {
		return nil, cmdutil.Fail("reading the caller's token", err, "")
	}
	return http.Header{"Authorization": {bearer.Value(bearer.Token(tok))}}, nil // as doctor's probe sends it
}

// known lets doctor's classifier take doctor's verdicts on the setup the call went to: the record's (its
// namespace, and for an AgentCore Gateway setup the gateway, chosen by Record.GatewayTarget as doctor chooses), or
// --route's. The clients (cluster and AWS, as doctor builds them) are made on first use, when an answer needs
// verdicts; nil verdicts without a cluster.
func (o *Options) known(f *cmdutil.Factory) func(context.Context, doctor.Answer) doctor.Verdicts {
	var d *doctor.Doctor
	return func(ctx context.Context, a doctor.Answer) doctor.Verdicts {
		if d == nil {
			if d = o.doctor(ctx, f); d == nil {
				return nil
			}
		}
		return d.Known(ctx, a)
	}
}

// doctor is doctor for the setup the call went to (nil when the cluster cannot be reached).
func (o *Options) doctor(ctx context.Context, f *cmdutil.Factory) *doctor.Doctor {
	deps, err := doctorcmd.ClientDeps(ctx, f)
	if err != nil || deps.Kube == nil {
		return nil
	}
	var opts doctor.Options
	switch {
	case o.Route != "":
		ns, _ := f.Namespace()
		opts.Route, _ = doctor.ParseRef(o.Route, ns)
	case o.rec != nil:
		opts = opts.ForRecord(o.rec)
	default:
		opts.Namespace = f.NamespaceFlag()
	}
	return doctor.New(opts, deps)
}

// runMCP holds the MCP conversation through the gateway and renders it; a failure is classified by doctor's
// classifier (HTTP status and WWW-Authenticate, JSON-RPC error codes) and exits 1.
func (o *Options) runMCP(ctx context.Context, f *cmdutil.Factory, t uc.Target, caller http.Header) error {
	res, err := agentproto.DoMCP(ctx, &http.Client{}, agentproto.MCPRequest{URL: t.URL, Host: t.Host, Header: caller, Tool: o.Tool, Args: o.args})
	if err != nil {
		var d *doctor.Doctor // as the runtime path: doctor's verdicts on the setup, not for --gateway-url or --direct
		if o.Gateway == "" && !o.Direct {
			d = o.doctor(ctx, f)
		}
		c := d.ExplainMCP(ctx, err, o.Direct)
		var b strings.Builder
		via := "--mcp"
		if o.Direct {
			via = "--mcp --direct"
		}
		fmt.Fprintf(&b, "invoke %s %s: %s", via, t.URL, c.Summary)
		if c.Cause != "" {
			fmt.Fprintf(&b, ": %s", c.Cause)
		}
		if c.Check != "" {
			fmt.Fprintf(&b, " [doctor check %s]", c.Check)
		}
		if c.Next != "" {
			fmt.Fprintf(&b, ". %s", strings.TrimSuffix(c.Next, "."))
		}
		if o.Output != cmdutil.OutputText {
			type failed struct {
				*agentproto.MCPResult
				Error doctor.Explanation `json:"error"`
			}
			if perr := cmdutil.PrintStructured(f.IO.Out, o.Output, failed{res, c}); perr != nil {
				return perr
			}
		}
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: errors.New(b.String())}
	}
	if o.Output != cmdutil.OutputText {
		return cmdutil.PrintStructured(f.IO.Out, o.Output, res)
	}
	w := f.IO.Out
	fmt.Fprintf(w, "server %s · MCP %s · session %s\n", res.Server, res.ProtocolVersion, orDash(res.SessionID))
	if len(res.Tools) > 0 {
		fmt.Fprintf(w, "%d tools:\n", len(res.Tools))
		for _, tl := range res.Tools {
			fmt.Fprintf(w, "  %-20s %s\n", tl.Name, tl.Description)
		}
	}
	if c := res.Call; c != nil {
		status := "result"
		if c.IsError {
			status = "error"
		}
		fmt.Fprintf(w, "%s %s:\n", c.Tool, status)
		for _, txt := range c.Text {
			fmt.Fprintln(w, "  "+txt)
		}
		if c.IsError {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("invoke --mcp: tool %s answered with an error. Check --args against the tool's input schema", c.Tool)}
		}
	}
	if f.Verbose || f.IO.IsStdoutTTY() {
		fmt.Fprintf(f.IO.ErrOut, "MCP · %s · %s via %s\n", res.Duration.Round(time.Millisecond), t.URL, t.Source)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// target picks the URL: --gateway; --direct → AgentCore's endpoint for the runtime; else the setup record and the
// Gateway's status.
func (o *Options) target(ctx context.Context, f *cmdutil.Factory) (uc.Target, error) {
	if o.Gateway != "" {
		return uc.Target{URL: o.Gateway, Source: "--gateway-url"}, nil
	}
	rec, recErr := o.record(ctx, f)
	o.rec = rec
	if o.Direct && o.RuntimeARN == "" && (o.MCP || o.Tool != "" || rec != nil && rec.IsAgentCoreGateway()) {
		return o.directMCP(rec, recErr)
	}
	if o.Direct {
		arn := o.RuntimeARN
		if arn == "" && rec != nil {
			arn = rec.RuntimeARN
		}
		if arn == "" {
			why := "no setup record"
			if recErr != nil {
				why = recErr.Error()
			}
			return uc.Target{}, cmdutil.Fail("invoke --direct: no runtime ARN", errors.New(why), "Pass --runtime-arn ARN")
		}
		u, err := uc.DirectURL(arn, o.Qualifier)
		if err != nil {
			return uc.Target{}, cmdutil.UsageErrorf("%v", err)
		}
		return uc.Target{URL: u, Source: "AgentCore data plane"}, nil
	}
	dyn, err := f.Dynamic()
	if err != nil {
		return uc.Target{}, cmdutil.Fail("finding the gateway address", err, "Pass --gateway-url URL")
	}
	kube, _ := f.KubeClient()
	// -n without a setup record there: the route is looked for in that namespace only, never in another one.
	l := uc.Lookup{RouteNamespace: f.NamespaceFlag()}
	if rec != nil {
		l = uc.Lookup{GatewayNamespace: rec.GatewayNamespace, GatewayName: rec.GatewayName, RouteNamespace: rec.Namespace, RouteName: rec.RouteName}
	}
	if o.Route != "" {
		l.RouteNamespace, l.RouteName, _ = strings.Cut(o.Route, "/")
	}
	t, err := uc.GatewayTarget(ctx, dyn, kube, l)
	if err != nil {
		next := "Pass --gateway-url URL"
		if strings.Contains(err.Error(), "--gateway") {
			next = ""
		}
		return uc.Target{}, cmdutil.Fail("finding the gateway address", err, next)
	}
	if rec != nil {
		t.Source += " (setup " + rec.Ref() + ")"
	}
	return t, nil
}

// directMCP is --direct on an AgentCore Gateway setup: the record's MCP URL, spoken to in MCP (--mcp implied)
// without a token, to show the 401 the gateway protects against. A PROMPT or payload is a usage error (MCP has
// none), as are the flags of the runtime path.
func (o *Options) directMCP(rec *setup.Record, recErr error) (uc.Target, error) {
	if rec == nil || !rec.IsAgentCoreGateway() {
		why := "no setup record"
		switch {
		case recErr != nil:
			why = recErr.Error()
		case rec != nil:
			why = "setup " + rec.Ref() + " leads to " + rec.TargetName()
		}
		return uc.Target{}, cmdutil.Fail("invoke --mcp --direct: no AgentCore Gateway MCP URL", errors.New(why),
			"Run it in the namespace of an AgentCore Gateway setup (-n), or pass the MCP URL with --mcp --gateway-url URL")
	}
	if !o.MCP {
		switch {
		case o.payload != nil:
			return uc.Target{}, cmdutil.UsageErrorf("setup %s leads to %s, which speaks MCP: give no PROMPT, --data or --data-file (invoke --direct lists its tools; add --tool NAME --args JSON to call one)", rec.Ref(), rec.TargetName())
		case o.SessionID != "" || o.Stream || o.Qualifier != "":
			return uc.Target{}, cmdutil.UsageErrorf("setup %s leads to %s, which speaks MCP: --session-id, --stream and --qualifier do not apply (the MCP session is negotiated)", rec.Ref(), rec.TargetName())
		}
		o.MCP = true
	}
	if rec.MCPURL == "" {
		return uc.Target{}, cmdutil.Fail("invoke --direct: setup "+rec.Ref()+" has no MCP URL", errors.New("the record names "+rec.TargetName()+" but not its gateway URL"),
			"Re-run kubectl agentcore wizard --agentcore-gateway "+rec.AgentCoreGateway+", or pass the MCP URL with --mcp --gateway-url URL")
	}
	return uc.Target{URL: rec.MCPURL, Source: "the AgentCore Gateway's MCP URL (setup " + rec.Ref() + ")"}, nil
}

// record reads the setup record (nil when there is none or the cluster cannot be read).
func (o *Options) record(ctx context.Context, f *cmdutil.Factory) (*setup.Record, error) {
	kube, err := f.KubeClient()
	if err != nil {
		return nil, err
	}
	ns := f.NamespaceFlag()
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	r, err := setup.Resolve(rctx, kube, ns)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// textSink writes the reply to stdout as it arrives: body chunks as they come, one line per SSE event.
type textSink struct {
	w        io.Writer
	lastByte byte
	wrote    bool
}

func (s *textSink) Data(p []byte) {
	if len(p) == 0 {
		return
	}
	_, _ = s.w.Write(p)
	s.lastByte, s.wrote = p[len(p)-1], true
}

func (s *textSink) Event(data string) {
	_, _ = io.WriteString(s.w, data+"\n")
	s.lastByte, s.wrote = '\n', true
}

func (s *textSink) finish() {
	if s.wrote && s.lastByte != '\n' {
		_, _ = io.WriteString(s.w, "\n")
	}
}

// portOf is the port of a URL (80/443 by scheme when it names none).
func portOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "8080"
	}
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
