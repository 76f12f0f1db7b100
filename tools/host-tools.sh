#!/usr/bin/env bash
# What the build needs on this host, for `make run`, `make test` and CI: docker
# buildx, mmdebstrap when the root image is made here, Python's venv for the
# tests, and rootless Podman with an ordinary user (PODMAN_USER) for the rootless
# test, Chromium with its WebDriver for the dashboard's browser test, and QEMU
# for other architectures (arm64), and a registry for the publish test. As root on
# Debian a missing one is installed from the host's Debian mirror; otherwise one
# line says what to install.
# Usage: host-tools.sh buildx|mmdebstrap|venv|podman|browser|qemu|registry
set -euo pipefail

PODMAN_USER=${PODMAN_USER:-htc-podman}
need=${1:?usage: host-tools.sh buildx|mmdebstrap|venv|podman|browser|qemu|registry}
case "$need" in
buildx) docker buildx version >/dev/null 2>&1 && exit 0 ;;
mmdebstrap) package=mmdebstrap && command -v mmdebstrap >/dev/null && exit 0 ;;
venv) package=python3-venv && python3 -c 'import ensurepip' 2>/dev/null && exit 0 ;;
podman)
    package="podman uidmap slirp4netns catatonit fuse-overlayfs"
    command -v podman >/dev/null && id "$PODMAN_USER" >/dev/null 2>&1 && exit 0
    ;;
browser)
    package="chromium chromium-driver"
    command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0
    ;;
qemu)
    # BuildKit and containers run arm64 binaries through binfmt_misc and QEMU's handler,
    # registered with the fix-binary flag (F: the interpreter is opened when registered, so
    # it works inside containers, which do not have it); arch-test for mmdebstrap.
    package="qemu-user-static binfmt-support arch-test"
    handler=/proc/sys/fs/binfmt_misc/qemu-aarch64
    grep -qs '^flags: .*F' "$handler" && command -v arch-test >/dev/null && exit 0
    ;;
registry) package=docker-registry && command -v docker-registry >/dev/null && exit 0 ;;
*) echo "host-tools: unknown tool $need" >&2 && exit 2 ;;
esac
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    case "$need" in
    buildx | podman | qemu) how="$0 $need" ;;
    *) how="apt-get install $package" ;;
    esac
    echo "$need is missing: as root on Debian, run: $how" >&2
    exit 1
fi

echo "host-tools: installing $need" >&2
if [ "$need" != buildx ]; then
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086  # one package name per word
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $package >/dev/null
    if [ "$need" = podman ] && ! id "$PODMAN_USER" >/dev/null 2>&1; then
        # useradd gives it subordinate ids; Debian's podman would use vfs (a full copy per
        # layer) without a storage.conf: the kernel's overlay it is.
        useradd --create-home --shell /bin/bash "$PODMAN_USER"
        runuser -l "$PODMAN_USER" -c 'mkdir -p ~/.config/containers &&
            printf "[storage]\ndriver = \"overlay\"\n" > ~/.config/containers/storage.conf'
    fi
    if [ "$need" = qemu ]; then
        mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
        update-binfmts --enable qemu-aarch64 2>/dev/null || true
        if ! grep -qs '^flags: .*F' "$handler"; then
            echo "host-tools: $handler is not registered with the fix-binary flag (F); see update-binfmts --display" >&2
            exit 1
        fi
    fi
    exit 0
fi
# docker-buildx is in Debian from trixie on: fetched from the host's own mirror,
# so hosts on an older release get it too.
# shellcheck disable=SC2016  # apt's own $(VAR) format, not a shell expansion
mirror=${DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' |
    awk '$2 !~ /-security$/ { sub("/$", "", $1); print $1; exit }')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial"
echo "deb $mirror trixie main" >"$tmp/trixie.list"
opts=(-o "Dir::Etc::SourceList=$tmp/trixie.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$tmp/lists")
apt-get -q "${opts[@]}" update >/dev/null
(cd "$tmp" && apt-get -q "${opts[@]}" download docker-buildx >/dev/null)
dpkg -i "$tmp"/docker-buildx_*.deb >/dev/null
docker buildx version >/dev/null
