#!/usr/bin/env bash
# docker buildx from Debian trixie's docker-buildx package, on hosts whose own
# release lacks it. Uses the host's configured Debian mirror.
set -euo pipefail
docker buildx version >/dev/null 2>&1 && exit 0
# shellcheck disable=SC2016  # apt's own $(VAR) format, not a shell expansion
mirror=${DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' |
    awk '$2 !~ /-security$/ { sub("/$", "", $1); print $1; exit }')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial"
echo "deb $mirror trixie main" >"$tmp/trixie.list"
opts=(-o "Dir::Etc::SourceList=$tmp/trixie.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$tmp/lists")
apt-get -q "${opts[@]}" update >/dev/null
(cd "$tmp" && apt-get -q "${opts[@]}" download docker-buildx)
dpkg -i "$tmp"/docker-buildx_*.deb
docker buildx version
