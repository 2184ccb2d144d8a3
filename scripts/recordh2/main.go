// Command recordh2 records real HTTPS and HTTP/2 conversations on loopback
// with dumpcap and writes the ground truth beside each capture: per stream
// (HTTP/2) or exchange (HTTP/1.1) the connection, stream id, method, path,
// status, interim codes, when the request's first byte, the final HEADERS
// and END_STREAM were written, and who reset the stream with which code.
// It is how the captures in testdata/h2 were made (scripts/make-testdata.sh).
//
// The server is Go's net/http (HTTP/1.1, HTTP/2 with Protocols, and x/net's
// h2c handler for Upgrade: h2c). With TLS the listener terminates TLS
// itself and hands net/http the plaintext, so that a tap can time every
// frame the server writes; the clients are hand-written so that the truth
// knows stream ids and frame write times and can reset streams. One process,
// one clock. Clients write their TLS secrets with tls.Config.KeyLogWriter to
// an NSS key log beside the capture. Server delays are drawn from a seeded
// lognormal, so a scenario is reproducible up to scheduling noise.
//
// Usage:
//
//	go run ./scripts/recordh2 -scenario https2 [-out FILE.pcapng] [-seed N]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	name := flag.String("scenario", "", "scenario: "+strings.Join(names, ", "))
	out := flag.String("out", "", "capture file to write (pcapng); default: the scenario's file under testdata/h2")
	seed := flag.Uint64("seed", 1, "seed of the delay and size draws")
	iface := flag.String("i", "lo", "loopback interface to record")
	flag.Parse()
	sc, ok := scenarios[*name]
	if !ok {
		log.Fatalf("usage: recordh2 -scenario %s [-out FILE.pcapng] [-seed N]", strings.Join(names, "|"))
	}
	if *out == "" {
		*out = sc.out
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	truth, err := record(sc, *out, *seed, *iface)
	if err != nil {
		log.Fatal(err)
	}
	truth.Scenario, truth.About = *name, sc.about
	truth.Command = fmt.Sprintf("go run ./scripts/recordh2 -scenario %s -seed %d -out %s", *name, *seed, *out)
	b, _ := json.MarshalIndent(truth, "", "  ")
	if err := os.WriteFile(*out+".truth.json", append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s and %s.truth.json (%d connections, %d exchanges)", *out, *out, len(truth.Connections), len(truth.Exchanges))
}
