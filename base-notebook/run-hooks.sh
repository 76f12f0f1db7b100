#!/bin/bash
# jupyter/docker-stacks' hook runner, also what the start-up runs its hook folders with
# (htc_entrypoint/hooks.py): in name order, `*.sh` files are sourced (what they export
# stays), other executables run, anything else is skipped; a failing hook is one ERROR
# line and the rest still run.
# Usage: source /usr/local/bin/run-hooks.sh DIR (or run it: then exports do not stay)

if ! declare -F _log >/dev/null; then
    # shellcheck source=base-notebook/_docker_stacks_log.sh
    source "$(dirname "${BASH_SOURCE[0]}")/_docker_stacks_log.sh"
fi

if [ "$#" -ne 1 ] || [ ! -d "$1" ]; then
    _log_error "run-hooks.sh: give one hook folder (got: $*)"
    # shellcheck disable=SC2317  # exit when run rather than sourced
    return 1 2>/dev/null || exit 1
fi

# A failing hook must not end a caller that runs with `set -e`: restored at the end.
_hooks_flags=$-
set +e
_log_info "Running hooks in: $1 as uid: $(id -u) gid: $(id -g)"
for _hook in "$1"/*; do
    [ -e "${_hook}" ] || continue
    if [[ "${_hook}" == *.sh ]]; then
        _log_info "Sourcing shell script: ${_hook}"
        # shellcheck disable=SC1090
        source "${_hook}"
        _hook_rc=$?
        # The hook may have turned errexit on.
        set +e
    elif [ -x "${_hook}" ]; then
        _log_info "Running executable: ${_hook}"
        "${_hook}"
        _hook_rc=$?
    else
        _log_info "Ignoring non-executable: ${_hook}"
        continue
    fi
    if [ "${_hook_rc}" -ne 0 ]; then
        _log_error "${_hook} has failed, continuing execution (exit code ${_hook_rc})"
    fi
done
_log_info "Done running hooks in: $1"
[[ ${_hooks_flags} != *e* ]] || set -e
unset _hooks_flags _hook _hook_rc
