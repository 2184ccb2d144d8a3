package report

import (
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/httplat"
)

// jsonBreakdown is a server's breakdown in the JSON summary (inlined in
// servers[]); latencies are seconds under the headline definition.
type jsonBreakdown struct {
	StatusCodes map[string]int           `json:"status_codes"`
	ErrorRatio  jsonErrors               `json:"error_ratio"`
	Methods     map[string]int           `json:"methods"`
	HostCounts  map[string]int           `json:"host_counts"`
	HostsOut    int                      `json:"untracked_host_requests"`
	ByClass     map[string]jsonQuantiles `json:"latency_by_status_class"`
	TopURIs     []jsonURI                `json:"top_uris"`
	URIs        jsonURICount             `json:"uris"`
	Bytes       jsonBytes                `json:"bytes"`
	Rate        jsonRate                 `json:"rate"`
}

type jsonErrors struct {
	Client float64 `json:"4xx"`
	Server float64 `json:"5xx"`
}

type jsonQuantiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type jsonURI struct {
	URI string `json:"path"`
	jsonQuantiles
}

type jsonURICount struct {
	Distinct  int `json:"distinct_paths"`
	Untracked int `json:"untracked_requests"`
}

type jsonSize struct {
	N       int    `json:"n"`
	Unknown int    `json:"unknown"`
	Total   *int64 `json:"total"`
	P50     *int64 `json:"p50"`
	P99     *int64 `json:"p99"`
	Max     *int64 `json:"max"`
}

type jsonBytes struct {
	ReqBody  jsonSize `json:"request_body_content_length"`
	RespBody jsonSize `json:"response_body_content_length"`
	ReqWire  jsonSize `json:"request_on_wire"`
	RespWire jsonSize `json:"response_on_wire"`
}

type jsonBucket struct {
	Start     float64 `json:"start"`
	Requests  int     `json:"requests"`
	WireBytes int64   `json:"response_bytes_on_wire"`
}

type jsonRate struct {
	First           *float64     `json:"first"`
	Last            *float64     `json:"last"`
	RequestsPerSec  *float64     `json:"requests_per_second"`
	WireBytesPerSec *float64     `json:"response_bytes_on_wire_per_second"`
	Interval        float64      `json:"interval"`
	Series          []jsonBucket `json:"series"`
}

func quantilesJSON(q httplat.Quantiles) jsonQuantiles {
	return jsonQuantiles{N: q.N, P50: q.P50, P99: q.P99, Max: q.Max}
}

func sizeJSON(s httplat.SizeStat) jsonSize {
	j := jsonSize{N: s.N, Unknown: s.Unknown}
	if s.N > 0 { // a sum of no known sizes is undefined, not 0
		j.Total, j.P50, j.P99, j.Max = &s.Total, &s.P50, &s.P99, &s.Max
	}
	return j
}

// breakdownJSON converts a server's breakdown; undefined figures (no
// matched exchange, a zero span) are null.
func breakdownJSON(s *httplat.ServerResult) *jsonBreakdown {
	b := s.Breakdown
	if b == nil {
		return nil
	}
	m := s.Counts.Matched
	j := &jsonBreakdown{StatusCodes: map[string]int{}, Methods: b.Methods, HostCounts: b.Hosts, HostsOut: b.UntrackedHosts, ByClass: map[string]jsonQuantiles{}, TopURIs: []jsonURI{},
		ErrorRatio: jsonErrors{errorShare(b.ClientErrors, m) / 100, errorShare(b.ServerErrors, m) / 100},
		URIs:       jsonURICount{Distinct: b.DistinctURIs, Untracked: b.OtherURIs},
		Bytes:      jsonBytes{ReqBody: sizeJSON(b.ReqBody), RespBody: sizeJSON(b.RespBody), ReqWire: sizeJSON(b.ReqWire), RespWire: sizeJSON(b.RespWire)},
		Rate:       jsonRate{Interval: b.Interval, Series: []jsonBucket{}},
	}
	for k, n := range b.StatusCodes {
		j.StatusCodes[strconv.Itoa(k)] = n
	}
	for c, q := range b.ByClass {
		j.ByClass[c] = quantilesJSON(q)
	}
	for _, u := range b.TopURIs {
		j.TopURIs = append(j.TopURIs, jsonURI{URI: u.URI, jsonQuantiles: quantilesJSON(u.Quantiles)})
	}
	if b.First != 0 || b.Last != 0 {
		j.Rate.First, j.Rate.Last = &b.First, &b.Last
		if b.Last > b.First {
			j.Rate.RequestsPerSec = &b.RequestsPerSec
			if b.RespWire.N > 0 { // no size known is not 0 bytes/s
				j.Rate.WireBytesPerSec = &b.WireBytesPerSec
			}
		}
	}
	for _, x := range b.Series {
		j.Rate.Series = append(j.Rate.Series, jsonBucket{Start: x.Start, Requests: x.Requests, WireBytes: x.WireBytes})
	}
	return j
}
