#!/usr/bin/env bash
# bench/cli.sh: `licet verify` as a whole process against
# `openssl pkeyutl -verify` on the same token's signature (issue 20:
# target at most 1.0), alternating the two, which runs first alternating
# too, and printing the median of the per-iteration ratios with the 25th
# and 75th percentiles (bench/cmd/procratio). Also times the binary built
# with CGO_ENABLED=0 (statically linked: no dynamic loader at start).
#
# Usage: bash bench/cli.sh [runs]      (from the repository root; default 300)
set -euo pipefail
runs=${1:-300}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v openssl >/dev/null || { echo "cli.sh: openssl not found" >&2; exit 2; }
(cd "$root" && go build -o "$work/licet" ./cmd/licet && CGO_ENABLED=0 go build -o "$work/licet-static" ./cmd/licet)
(cd "$root/bench" && go build -o "$work/procratio" ./cmd/procratio && go build -o "$work/sigparts" ./cmd/sigparts)
cd "$work"
./licet keys new --issuer acme --no-passphrase --force >/dev/null 2>&1
./licet mint --key acme.key --sub customer-42 --aud acme-db --tier pro --days 365 -o license.pem >/dev/null 2>&1
./sigparts license.pem tbs.bin sig.bin
openssl pkeyutl -verify -pubin -inkey acme.pub -rawin -in tbs.bin -sigfile sig.bin >/dev/null
ossl="openssl pkeyutl -verify -pubin -inkey acme.pub -rawin -in tbs.bin -sigfile sig.bin"
for bin in licet licet-static; do
  echo "== $bin ($(stat -c %s "$bin") bytes)"
  ./procratio -n "$runs" -a "./$bin verify license.pem --pub acme.pub --product acme-db" -b "$ossl"
  ./procratio -n "$runs" -a "./$bin inspect license.pem" -b "$ossl" | tail -1 | sed 's/^/inspect: /'
done
