#!/usr/bin/env bash
# Publish images for several platforms: each platform's image under TAG-ARCH, then one
# manifest list per tag naming them all, so that `docker pull IMAGE:TAG` gets the puller's
# own platform. Needs no registry but the one it pushes to. The tags are the image's own:
# latest, its build date, its HTCondor version and its commit (from its labels); the last
# is the image's own name (HTC_NOTEBOOK_IMAGE), printed by digest for a site to pin.
# Usage: push.sh REGISTRY "PLATFORMS" IMAGE... (ORG and NATIVE_PLATFORM from the Makefile)
set -euo pipefail

registry=${1:?usage: push.sh REGISTRY "PLATFORMS" IMAGE...}
read -r -a platforms <<<"${2:?usage: push.sh REGISTRY \"PLATFORMS\" IMAGE...}"
shift 2
org=${ORG:-htcondor}
native=${NATIVE_PLATFORM:-linux/amd64}

# The local image of a platform: the engine's own has no suffix (see the Makefile).
local_image() {
    local suffix=-${2#*/}
    [ "$2" = "$native" ] && suffix=
    echo "$org/htc-$1:latest$suffix"
}

for image in "$@"; do
    for platform in "${platforms[@]}"; do
        if ! docker image inspect "$(local_image "$image" "$platform")" >/dev/null 2>&1; then
            echo "push: $(local_image "$image" "$platform") is not built: make build PLATFORMS=\"${platforms[*]}\"" >&2
            exit 1
        fi
    done
done

for image in "$@"; do
    first=$(local_image "$image" "${platforms[0]}")
    labels='{{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.htcondor.condor.version"}}'
    labels+=' {{index .Config.Labels "org.opencontainers.image.revision"}}'
    read -r built condor revision <<<"$(docker image inspect -f "$labels" "$first")"
    for tag in latest "$built" "condor-$condor" ${revision:+"$revision"}; do
        members=()
        for platform in "${platforms[@]}"; do
            member=$registry/$org/htc-$image:$tag-${platform#*/}
            docker tag "$(local_image "$image" "$platform")" "$member"
            docker push --quiet "$member" >/dev/null
            docker rmi "$member" >/dev/null
            members+=("$member")
        done
        docker buildx imagetools create --tag "$registry/$org/htc-$image:$tag" "${members[@]}"
        echo "pushed $registry/$org/htc-$image:$tag (${platforms[*]})"
    done
    if [ -n "$revision" ]; then
        digest=$(docker buildx imagetools inspect "$registry/$org/htc-$image:$revision" | awk '$1 == "Digest:" { print $2; exit }')
        echo "its jobs' image: HTC_JOB_IMAGE=docker://$registry/$org/htc-$image@$digest"
    fi
done
