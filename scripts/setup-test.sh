#!/usr/bin/env bash
# Installs what Playhead's tests need that a fresh machine may lack:
# Debian's Chromium (browser tests), Debian's PostgreSQL (the postgres
# index's tests start a throwaway server of their own) and the npm packages
# of the SDK, the dashboard and the replay fidelity fixture (bundle checks,
# type checks, the SDK's browser test). Running Playhead itself needs none of this, only Go.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "==> installing ${need_apt[*]} from Debian's packages"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# PostgreSQL: the tests run initdb and the server themselves, from
# /usr/lib/postgresql/NN/bin; Debian's package also creates the postgres
# user they run as when the tests run as root.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "==> installing postgresql from Debian's packages"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi

for dir in sdk/browser web e2e/fixtures; do
	stamp="$dir/node_modules/.package-lock.json"
	if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
		echo "==> npm ci in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
done
