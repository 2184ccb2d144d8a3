#!/usr/bin/env bash
# install-deps.sh: put tshark (and dumpcap/capinfos/editcap, which the test-data
# scripts use) on a fresh Debian machine. Idempotent and non-interactive: it does
# nothing when a recent enough tshark is already on PATH, and it answers the
# wireshark-common "may non-superusers capture packets?" question up front so
# apt never stops to ask.
set -euo pipefail

need_install=0
for tool in tshark dumpcap capinfos editcap; do
  command -v "$tool" >/dev/null 2>&1 || need_install=1
done

if [ "$need_install" = 0 ]; then
  echo "install-deps: tshark already present: $(tshark --version 2>/dev/null | head -n1)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: tshark is missing and this is not a Debian/Ubuntu machine; install Wireshark's tshark (>= 3.6) with your package manager" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to apt-get install tshark" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends tshark wireshark-common >/dev/null
echo "install-deps: installed $(tshark --version 2>/dev/null | head -n1)"
