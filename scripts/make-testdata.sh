#!/usr/bin/env bash
# make-testdata.sh: regenerate every capture in testdata/ with its truth.
#
#   scripts/make-testdata.sh            # synthetic captures only (deterministic)
#   scripts/make-testdata.sh --record   # also re-record the loopback captures
#
# The loopback captures need dumpcap and permission to capture on lo (root,
# or the wireshark group); their timings differ slightly on every run, so
# they are only re-recorded on request, and the golden files in
# cmd/pcapmeter/testdata must then be refreshed with `go test ./cmd/... -update`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/http
mkdir -p "$out"

synth() { # name, flags...
  local name=$1; shift
  go run ./cmd/pcapsynth -o "$out/$name" "$@"
}
# Retransmissions and reordering seen from the client's host, 4 connections.
synth synth-loss-reorder.pcapng -seed 11 -conns 4 -per-conn 20 -body-max 30000 -loss 0.05 -reorder 0.05
# Whole responses missing from the capture (capture drops), IPv6, classic pcap.
synth synth-gaps-v6.pcap -seed 12 -conns 3 -per-conn 15 -gap-every 4 -ipv6 -pcap
# Pipelining depth 4 with loss: some first-byte times can only be bounded.
synth synth-pipelined-loss.pcapng -seed 13 -conns 3 -per-conn 16 -pipeline 4 -loss 0.08 -body-max 20000

# ICMP echo seen at a node, with loss and duplicate replies.
mkdir -p testdata/icmp
go run ./cmd/pcapsynth -o testdata/icmp/synth-node.pcap -icmp-node 192.168.100.1 -seed 31 -per-conn 12 -loss 0.1

# Imperfect captures (issue #11), one class each, with detailed truth
# (internal/synth/TRUTH.md): body gaps, client gaps, mirror loss (plain,
# GRE, ERSPAN II/III), gap plus filled hole, pipelining across gaps, ring
# buffer source, reset and capture end, SYN and SYN/ACK retransmission,
# ICMP identifier/sequence reuse. `go run ./cmd/pcapsynth -list` lists them.
mkdir -p testdata/tcp
go build -o "${TMPDIR:-/tmp}/pcapsynth.$$" ./cmd/pcapsynth
trap 'rm -f "${TMPDIR:-/tmp}/pcapsynth.$$"' EXIT
for s in $("${TMPDIR:-/tmp}/pcapsynth.$$" -list | awk '{print $1}'); do
  "${TMPDIR:-/tmp}/pcapsynth.$$" -scenario "$s"
done

if [ "${1:-}" = "--record" ]; then
  go run ./scripts/recordhttp -scenario keepalive -seed 1 -out "$out/keepalive-v4.pcapng"
  go run ./scripts/recordhttp -scenario pipelined -seed 1 -out "$out/pipelined-v6-port6000.pcapng"
  # HTTPS/1.1, HTTP/2 over TLS (with NSS key logs beside), h2c by prior
  # knowledge and by Upgrade, HTTP/1.1 and h2 on one server: testdata/h2.
  # The servers listen on 443 and 8080: no other server may hold them.
  for s in https1 https2 h2c-prior h2c-upgrade mixed; do
    go run ./scripts/recordh2 -scenario "$s" -seed 1
  done
  # Every kind of TLS handshake, one after another on 127.0.0.1:443, for
  # pcapmeter tcp's handshake times: testdata/tls.
  go run ./scripts/recordtls -out testdata/tls/handshakes-v4.pcapng
fi
