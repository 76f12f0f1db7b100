#!/bin/bash
# jupyter/docker-stacks' log functions, for hooks and scripts written for their images:
# `source /usr/local/bin/_docker_stacks_log.sh`, then `_log_info "message"`. Lines are
# `LEVEL[YYYY-MM-DD HH:MM:SS] message` on stderr, as the start-up's own (htc_entrypoint/log.py);
# colour only on a terminal and without NO_COLOR; JUPYTER_DOCKER_STACKS_QUIET hides INFO.

# Usage: _log [INFO|WARNING|ERROR|FATAL|DEBUG] MESSAGE... (no known level: INFO)
_log() {
    local level=INFO line colour=
    case "${1-}" in
        INFO | WARNING | ERROR | FATAL | DEBUG) level=$1 && shift ;;
    esac
    if [ "${level}" = INFO ] || [ "${level}" = DEBUG ]; then
        [ -z "${JUPYTER_DOCKER_STACKS_QUIET-}" ] || return 0
    fi
    line="${level}[$(date '+%Y-%m-%d %H:%M:%S')] $*"
    if [ -t 2 ] && [ -z "${NO_COLOR-}" ]; then
        case "${level}" in
            FATAL) colour='1;31' ;;
            ERROR) colour='31' ;;
            WARNING) colour='33' ;;
            DEBUG) colour='36' ;;
        esac
    fi
    if [ -n "${colour}" ]; then
        printf '\033[0;%sm%s\033[0m\n' "${colour}" "${line}" >&2
    else
        printf '%s\n' "${line}" >&2
    fi
}
_log_info() { _log INFO "$@"; }
_log_warn() { _log WARNING "$@"; }
_log_error() { _log ERROR "$@"; }
# Ends the script (or the shell that sourced this).
_log_fatal() {
    _log FATAL "$@"
    exit 1
}
