#!/usr/bin/env bash
# Runs the README's quick-start command 1 exactly as written, in a scratch copy of
# the repository, and checks that it wrote a trace Perfetto can open.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
# What is committed is what a new user gets.
scratch="$workdir/concurtrace"
git clone -q "$repo" "$scratch"
command1="$(sed -n '/<!-- quickstart-1 -->/,/```$/p' "$repo/README.md" | sed -n '/^```sh/,/^```$/p' | sed '1d;$d')"
[ -n "$command1" ] || { echo "quickstart: command 1 not found in README.md" >&2; exit 1; }
echo "+ $command1"
(cd "$scratch" && bash -c "$command1" >/dev/null)
ls "$scratch"/traces/threads-*.pftrace >/dev/null
echo "quickstart: ok"
