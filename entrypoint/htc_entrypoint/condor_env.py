"""HTCondor's configuration from the environment: `_CONDOR_KNOB`, in either case of the prefix."""

from collections.abc import Mapping

PREFIXES = ("_CONDOR_", "_condor_")


def get(env: Mapping[str, str], knob: str) -> tuple[str, str] | None:
    """Return (variable name, value) of the first `_CONDOR_`/`_condor_` variable setting `knob`."""
    for prefix in PREFIXES:
        name = prefix + knob
        if name in env:
            return name, env[name]
    return None


def is_set(env: Mapping[str, str], knob: str) -> bool:
    """Tell whether the environment sets `knob` (to anything, even empty)."""
    return get(env, knob) is not None
