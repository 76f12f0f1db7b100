#!/usr/bin/env bash
# Make a debian:trixie-slim-like image from Debian's packages, for engines that
# cannot pull one. The mirror comes from DEBIAN_MIRROR or the host's apt setup.
# With a PLATFORM (linux/arm64) the tree is that architecture's, made under QEMU.
set -euo pipefail

image=${1:?usage: bootstrap-root-image.sh IMAGE [SUITE [PLATFORM]]}
suite=${2:-trixie}
platform=${3:-}

# First configured Debian archive (and its security archive) on this host.
host_repo() {
    # shellcheck disable=SC2016  # apt's own $(VAR) format, not a shell expansion
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
        awk -v want="$1" '($2 ~ /-security$/) == (want == "security") { sub("/$", "", $1); print $1; exit }'
}
mirror=${DEBIAN_MIRROR:-$(host_repo main)}
security=${DEBIAN_SECURITY_MIRROR:-$(host_repo security)}
if [ -z "$mirror" ]; then
    echo "bootstrap-root-image: no Debian mirror found; set DEBIAN_MIRROR=http://<mirror>/debian" >&2
    exit 1
fi
"$(dirname "$0")/host-tools.sh" mmdebstrap
arch=()
if [ -n "$platform" ]; then
    "$(dirname "$0")/host-tools.sh" qemu
    arch=(--architecture="${platform#*/}")
fi

sources=("deb $mirror $suite main" "deb $mirror $suite-updates main")
[ -n "$security" ] && sources+=("deb $security $suite-security main")

echo "bootstrap-root-image: building $image from $mirror ($suite${platform:+, $platform})" >&2
# The tree goes to a file first: a failed mmdebstrap leaves no (empty) image behind.
context=$(mktemp -d)
tar=$context/rootfs.tar
trap 'rm -rf "$context"' EXIT
# minbase plus the slim image's rules: no docs, man pages or locales, no recommends.
# shellcheck disable=SC2016  # the hook's $1 is expanded by mmdebstrap
mmdebstrap --quiet --variant=minbase --format=tar "${arch[@]}" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$suite" "$tar" "${sources[@]}"
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -z "$platform" ]; then
    docker import --change 'CMD ["bash"]' --change "ENV PATH=$path" "$tar" "$image"
else
    # Engine 20.10 ignores `docker import --platform` (the image says amd64, and a build FROM
    # it then looks for arm64 in a registry); a build from the tree says arm64.
    printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=%s\nCMD ["bash"]\n' "$path" >"$context/Dockerfile"
    docker buildx build --quiet --platform "$platform" --load -t "$image" "$context" >/dev/null
fi
