package report

import (
	"encoding/json"
	"io"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

// SchemaVersion names the JSON layout; it changes only when a field is
// removed or changes meaning.
const SchemaVersion = "pcapmeter.http/v1"

type jsonLatency struct {
	N           int           `json:"n"`
	Mean        float64       `json:"mean"`
	StdDev      float64       `json:"stddev"`
	Min         float64       `json:"min"`
	Max         float64       `json:"max"`
	Percentiles []jsonPercent `json:"percentiles"`
	KL          float64       `json:"kl_divergence"`
	// SmallSample is true when n < MinShapeSamples: the KL divergence
	// is given but says little, and the text report draws no histogram.
	SmallSample bool `json:"small_sample"`
}

type jsonPercent struct {
	P     float64 `json:"p"`
	Value float64 `json:"value"`
}

type jsonServer struct {
	Server   string                 `json:"server"`
	Address  string                 `json:"address"`
	Port     uint16                 `json:"port"`
	Hosts    []string               `json:"hosts"`
	Counts   httplat.Counts         `json:"counts"`
	Latency  map[string]jsonLatency `json:"latency"`
	Fit      []stats.Model          `json:"fit,omitempty"`
	FitError string                 `json:"fit_error,omitempty"`
	CI       *stats.Bootstrap       `json:"ci,omitempty"`
	*jsonBreakdown
}

type jsonTotals struct {
	httplat.Counts
	UDPIgnored int `json:"udp_http_ignored"`
	Estimated  int `json:"times_estimated"`
	Ambiguous  int `json:"ambiguous_after_gap"`
	Duplicates int `json:"retransmitted_messages_ignored"`
}

type jsonDisagreement struct {
	File    string           `json:"file"`
	Request exchange.MsgRef  `json:"request"`
	Tuple   *exchange.MsgRef `json:"tuple_response"`
	Tshark  *exchange.MsgRef `json:"tshark_response"`
}

type jsonCross struct {
	Requests      int                `json:"requests"`
	Agree         int                `json:"agree"`
	Disagree      int                `json:"disagree"`
	Disagreements []jsonDisagreement `json:"first_disagreements"`
	HTTP2         *httplat.H2Check   `json:"http2,omitempty"`
}

type jsonUnits struct {
	Latency string `json:"latency"`
	KL      string `json:"kl_divergence"`
	Bytes   string `json:"bytes"`
	Rates   string `json:"rates"`
}

type jsonKL struct {
	Buckets int     `json:"buckets"`
	Base    float64 `json:"base"`
	Model   string  `json:"model"`
}

type jsonReport struct {
	Schema     string                `json:"schema"`
	Files      []httplat.FileInfo    `json:"files"`
	Tshark     string                `json:"tshark_version"`
	Pairing    string                `json:"pairing"`
	Definition string                `json:"latency_definition"`
	Defs       map[string]string     `json:"latency_definitions"`
	Units      jsonUnits             `json:"units"`
	KL         jsonKL                `json:"kl"`
	Partial    bool                  `json:"partial"`
	Warnings   []string              `json:"warnings"`
	Totals     jsonTotals            `json:"totals"`
	Servers    []jsonServer          `json:"servers"`
	Crosscheck *jsonCross            `json:"crosscheck,omitempty"`
	HTTP2      *httplat.HTTP2Summary `json:"http2,omitempty"`
	TLS        *httplat.TLSSummary   `json:"tls,omitempty"`
	QUIC       *httplat.QUICSummary  `json:"quic,omitempty"`
	Selection  *jsonSelection        `json:"selection,omitempty"`
}

func optRef(m exchange.MsgRef) *exchange.MsgRef {
	if m.Frame == 0 {
		return nil
	}
	return &m
}

// JSON prints the result as one indented JSON document.
func JSON(w io.Writer, r *httplat.Result, p Params) error {
	out := jsonReport{
		Schema:     SchemaVersion,
		Files:      r.Files,
		Tshark:     r.TsharkVersion.String(),
		Pairing:    string(r.Pairing),
		Definition: string(r.Definition),
		Defs:       map[string]string{},
		Units:      jsonUnits{Latency: "seconds", KL: p.KLUnit, Bytes: "bytes", Rates: "per second"},
		KL:         jsonKL{Buckets: p.KLBuckets, Base: p.KLBase, Model: "exponential, rate = 1/mean"},
		Partial:    r.Partial,
		Warnings:   append([]string{}, r.Warnings...),
		Totals:     jsonTotals{Counts: r.Total, UDPIgnored: r.UDPIgnored, Estimated: r.Estimated, Ambiguous: r.Ambiguous, Duplicates: r.DuplicatesIgnored},
		Servers:    []jsonServer{},
		HTTP2:      r.HTTP2,
		TLS:        r.TLS,
		QUIC:       r.QUIC,
		Selection:  selectionJSON(r.Selection),
	}
	for _, d := range httplat.Definitions {
		out.Defs[string(d)] = Describe(d)
	}
	for _, s := range r.Servers {
		js := jsonServer{
			Server: s.Server.String(), Address: s.Server.Addr().String(), Port: s.Server.Port(),
			Hosts: append([]string{}, s.Hosts...), Counts: s.Counts, Latency: map[string]jsonLatency{},
			Fit: s.Fit, FitError: s.FitError, CI: s.CI, jsonBreakdown: breakdownJSON(s),
		}
		for _, d := range httplat.Definitions {
			l := s.Latency[d]
			jl := jsonLatency{N: l.N, Mean: l.Mean, StdDev: l.StdDev, Min: l.Min, Max: l.Max, KL: l.KL, SmallSample: l.N < MinShapeSamples, Percentiles: []jsonPercent{}}
			for _, q := range l.Percentiles {
				jl.Percentiles = append(jl.Percentiles, jsonPercent{q.P, q.Value})
			}
			js.Latency[string(d)] = jl
		}
		out.Servers = append(out.Servers, js)
	}
	if c := r.Crosscheck; c != nil {
		jc := &jsonCross{Requests: c.Requests, Agree: c.Agree, Disagree: c.Disagree, Disagreements: []jsonDisagreement{}, HTTP2: c.HTTP2}
		for _, d := range c.Disagreements {
			jc.Disagreements = append(jc.Disagreements, jsonDisagreement{File: d.File, Request: d.Request, Tuple: optRef(d.Tuple), Tshark: optRef(d.Tshark)})
		}
		out.Crosscheck = jc
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
