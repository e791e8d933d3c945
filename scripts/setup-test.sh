#!/usr/bin/env bash
# Installs what Playhead's tests need that a fresh machine may lack:
# Debian's Chromium (browser tests), Debian's PostgreSQL and versitygw (the
# PostgreSQL index's and the S3 object store's tests start throwaway servers
# of their own, on loopback) and the npm packages of the SDK, the dashboard
# and the replay fidelity fixture (bundle checks, type checks, the SDK's
# browser test), and @playwright/test for the exported reproductions (which
# run in Debian's Chromium: Playwright downloads no browser). Running
# Playhead itself needs none of this, only Go.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
# The tests run initdb and the server themselves, from
# /usr/lib/postgresql/NN/bin; the package also creates the postgres user
# they run them as when the tests run as root.
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "==> installing ${need_apt[*]} from Debian's packages"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
for dir in sdk/browser web e2e/fixtures e2e/playwright; do
	stamp="$dir/node_modules/.package-lock.json"
	if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
		echo "==> npm ci in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
done

# versitygw: the S3 server the object storage tests run against (Apache-2.0,
# S3 over a directory). The tests look for it on PATH, then where go install
# puts it: $(go env GOBIN), else $(go env GOPATH)/bin, on PATH or not.
gobin="$(go env GOBIN)"
[ -n "$gobin" ] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$gobin/versitygw" ]; then
	echo "==> installing versitygw (the tests' S3 server) into $gobin: go install takes about 4 minutes"
	GOFLAGS=-mod=mod go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi
