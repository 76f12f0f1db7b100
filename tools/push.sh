#!/usr/bin/env bash
# Publish images for several platforms: each platform's image under TAG-ARCH, then one
# manifest list per tag naming them all, so that `docker pull IMAGE:TAG` gets the puller's
# own platform. Needs no registry but the one it pushes to.
# Usage: push.sh REGISTRY "PLATFORMS" IMAGE... (ORG and NATIVE_PLATFORM from the Makefile)
set -euo pipefail

registry=${1:?usage: push.sh REGISTRY "PLATFORMS" IMAGE...}
read -r -a platforms <<<"${2:?usage: push.sh REGISTRY \"PLATFORMS\" IMAGE...}"
shift 2
org=${ORG:-htcondor}
native=${NATIVE_PLATFORM:-linux/amd64}

for image in "$@"; do
    # The tags docker-bake.hcl gives the image (latest, the date, the HTCondor version).
    tags=$(docker buildx bake --print "$image" 2>/dev/null |
        python3 -c 'import json, sys; t = json.load(sys.stdin)["target"]; print(*(x.rsplit(":", 1)[1] for x in t[sys.argv[1]]["tags"]))' "$image")
    for tag in $tags; do
        members=()
        for platform in "${platforms[@]}"; do
            arch=${platform#*/}
            suffix=-$arch
            [ "$platform" = "$native" ] && suffix=
            local_image=$org/htc-$image:latest$suffix
            if ! docker image inspect "$local_image" >/dev/null 2>&1; then
                echo "push: $local_image is not built: make build PLATFORMS=\"${platforms[*]}\"" >&2
                exit 1
            fi
            member=$registry/$org/htc-$image:$tag-$arch
            docker tag "$local_image" "$member"
            docker push --quiet "$member" >/dev/null
            docker rmi "$member" >/dev/null
            members+=("$member")
        done
        docker buildx imagetools create --tag "$registry/$org/htc-$image:$tag" "${members[@]}" 2>/dev/null
        echo "pushed $registry/$org/htc-$image:$tag (${platforms[*]})"
    done
done
