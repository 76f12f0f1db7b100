#!/bin/bash
# jupyter/docker-stacks' start scripts, by the name this was run as (start.sh and its links
# start-notebook.sh, start-singleuser.sh): the image's start-up, then the command.
exec python -m htc_entrypoint "$(basename "$0")" "$@"
