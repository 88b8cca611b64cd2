// Package jwtparts is the one decoder of compact JWTs (header.payload.signature, base64url, JSON objects).
// plugin/tokencheck.Parse builds the token use case on it (kinds, claims, signature checks); packages below the
// use cases (awsops) read routing facts with Claims. Nothing here verifies anything.
package jwtparts

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	segjson "github.com/segmentio/encoding/json"
)

// Decode splits a compact JWT and decodes its header and claims, which must be JSON objects, and its signature
// segment (base64url). Errors are one line saying which part is wrong.
func Decode(s string) (header, claims map[string]any, err error) {
	parts := strings.Split(s, ".")
	switch n := len(parts); {
	case n == 1:
		return nil, nil, errors.New("not a JWT: one segment, a JWT has three (header.payload.signature)")
	case n == 5:
		return nil, nil, errors.New("an encrypted JWT (JWE, five segments): only signed JWTs (three segments) can be inspected")
	case n != 3:
		return nil, nil, fmt.Errorf("not a JWT: %d segments, a JWT has three (header.payload.signature)", n)
	}
	hdrBytes, err := Segment(parts[0])
	if err != nil {
		return nil, nil, fmt.Errorf("header is not valid base64url: %v", err)
	}
	claimBytes, err := Segment(parts[1])
	if err != nil {
		return nil, nil, fmt.Errorf("payload is not valid base64url: %v", err)
	}
	if header, err = object(hdrBytes); err != nil {
		return nil, nil, fmt.Errorf("header is not a JSON object: %v", err)
	}
	if claims, err = object(claimBytes); err != nil {
		return nil, nil, fmt.Errorf("claims are not a JSON object: %v", err)
	}
	if _, err := Segment(parts[2]); err != nil {
		return nil, nil, fmt.Errorf("signature is not valid base64url: %v", err)
	}
	return header, claims, nil
}

// Claims is Decode's claims of a token given raw (surrounding whitespace ignored). Only for reading routing facts
// such as cognito:username or exp; never for trust decisions.
func Claims(s string) (map[string]any, error) {
	_, c, err := Decode(strings.TrimSpace(s))
	return c, err
}

// Segment decodes one base64url segment (padding tolerated).
func Segment(seg string) ([]byte, error) {
	seg = strings.TrimRight(seg, "=")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		if strings.ContainsAny(seg, "+/") {
			return nil, errors.New("uses + or / (standard base64, JWTs use base64url)")
		}
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("bad character or length at byte %d", int64(ce))
		}
		return nil, err
	}
	return b, nil
}

func object(b []byte) (map[string]any, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("empty")
	}
	if b[0] != '{' {
		what := "not JSON"
		if json.Valid(b) {
			what = "JSON " + JSONKind(b[0])
		} else if !utf8.Valid(b) {
			what = "binary data"
		}
		return nil, errors.New(what)
	}
	var m map[string]any
	// segmentio's decoder (linked already, by the MCP SDK) decodes into the values encoding/json makes at a
	// fraction of its cost (doctor --all parses a token per setup); FuzzObjectMatchesEncodingJSON holds the two to
	// the same results. What it refuses is decoded again by encoding/json, for its answer and its message.
	if rest, err := segjson.Parse(b, &m, 0); err == nil && len(bytes.TrimLeft(rest, " \t\r\n")) == 0 {
		return m, nil
	}
	m = nil
	if err := json.Unmarshal(b, &m); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if strings.Contains(msg, "after top-level value") {
			return nil, errors.New("trailing data after the JSON object")
		}
		return nil, errors.New("invalid JSON: " + msg)
	}
	return m, nil
}

// JSONKind names the JSON value that starts with c ("array", "string", …).
func JSONKind(c byte) string {
	switch c {
	case '[':
		return "array"
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}
