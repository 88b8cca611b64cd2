package logs

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	pl "github.com/kubectl-agentcore/kubectl-agentcore/plugin/logs"
	tuilogs "github.com/kubectl-agentcore/kubectl-agentcore/tui/logs"
)

// Column widths of -o text.
const (
	wTime   = 12
	wPod    = 16
	wStatus = 6
	wMethod = 6
	wRoute  = 24
	wReason = 15
	wDur    = 9
)

func textHeader(pods bool) string {
	var b []byte
	b = padTo(b, "TIME", wTime)
	if pods {
		b = padTo(b, "POD", wPod)
	}
	b = padTo(b, "STATUS", wStatus)
	b = padTo(b, "METHOD", wMethod)
	b = padTo(b, "ROUTE", wRoute)
	b = padTo(b, "REASON", wReason)
	b = padTo(b, "DURATION", wDur)
	b = append(b, "[caller=SUB] ERROR / PATH"...)
	return string(b)
}

// padTo appends s cut or padded to w characters plus one space.
func padTo(b []byte, s string, w int) []byte {
	n := utf8.RuneCountInString(s)
	if n > w {
		r := []rune(s)
		b = append(b, string(r[:w-1])...)
		b = append(b, "…"...)
	} else {
		b = append(b, s...)
		for ; n < w; n++ {
			b = append(b, ' ')
		}
	}
	return append(b, ' ')
}

func padBytes(b []byte, s []byte, w int) []byte {
	if utf8.RuneCount(s) > w {
		return padTo(b, string(s), w)
	}
	b = append(b, s...)
	for n := utf8.RuneCount(s); n < w; n++ {
		b = append(b, ' ')
	}
	return append(b, ' ')
}

// appendText formats one -o text line: aligned columns, local time; non-access lines keep their message.
func appendText(b []byte, v *pl.View, pod string, p *printer) []byte {
	if t := v.ParsedTime(); !t.IsZero() {
		b = t.Local().AppendFormat(b, "15:04:05.000")
		b = append(b, ' ')
	} else {
		b = padTo(b, "-", wTime)
	}
	if p.pods {
		short := tuilogs.ShortPod(pod, p.gateway)
		if p.color {
			b = append(b, tuilogs.PodStyle(p.theme, pod).Render(string(padTo(nil, short, wPod)))...)
		} else {
			b = padTo(b, short, wPod)
		}
	}
	if !v.Access {
		b = appendClean(b, v.Message)
		return append(b, '\n')
	}
	if p.color && v.Status > 0 {
		b = append(b, p.theme.HTTPStatus(v.Status)...)
		for n := len(strconv.Itoa(v.Status)); n <= wStatus; n++ {
			b = append(b, ' ')
		}
	} else {
		b = padTo(b, strconv.Itoa(v.Status), wStatus)
	}
	b = padBytes(b, v.Method, wMethod)
	b = padBytes(b, v.Route, wRoute)
	b = padBytes(b, v.Reason, wReason)
	b = padBytes(b, v.Duration, wDur)
	if len(v.JWTSubject) > 0 {
		b = append(b, "caller="...)
		b = appendClean(b, v.JWTSubject)
		b = append(b, ' ')
	}
	if len(v.Error) > 0 {
		b = appendClean(b, []byte(v.ErrorText()))
	} else {
		b = appendClean(b, v.Path)
	}
	return append(b, '\n')
}

// appendClean appends s with control characters shown as · (a log line must not drive the terminal).
func appendClean(b, s []byte) []byte {
	for _, c := range s {
		if c == '\t' {
			b = append(b, ' ')
			continue
		}
		if c < 0x20 || c == 0x7f {
			b = append(b, "·"...)
			continue
		}
		b = append(b, c)
	}
	return b
}

type jsonEntry struct {
	*pl.Entry
	Time *time.Time `json:"time,omitempty"`
}

// marshalEntry is one -o json object: the parsed fields, time in RFC 3339 UTC.
func marshalEntry(e *pl.Entry) ([]byte, error) {
	je := jsonEntry{Entry: e}
	if !e.Time.IsZero() {
		t := e.Time.UTC()
		je.Time = &t
	}
	return json.Marshal(je)
}

func marshalStats(r pl.StatsReport) ([]byte, error) {
	return json.Marshal(struct {
		Stats pl.StatsReport `json:"stats"`
	}{r})
}

// writeStatsText prints --stats for people.
func writeStatsText(w io.Writer, r pl.StatsReport) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d lines · %d access · %d other\n", r.Lines, r.Access, r.Other)
	row := func(title string, cs []pl.Count) {
		if len(cs) == 0 {
			return
		}
		var parts []string
		for _, c := range cs {
			parts = append(parts, fmt.Sprintf("%s %d", c.Key, c.Count))
		}
		fmt.Fprintf(&b, "%-8s %s\n", title, strings.Join(parts, " · "))
	}
	row("class", r.ByClass)
	row("status", r.ByStatus)
	row("reason", r.ByReason)
	row("route", r.ByRoute)
	row("401 at", r.Unauthorized)
	row("caller", r.ByCaller)
	_, _ = io.WriteString(w, b.String())
}
