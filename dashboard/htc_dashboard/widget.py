"""A map in a notebook cell.

Its progress as a widget while `Map.wait(show_progress_bar=True)` runs, and a small HTML table
as its repr. patch-htmap wires both into HTMap.
"""

import html
from typing import TYPE_CHECKING, Any

from htc_dashboard import model

if TYPE_CHECKING:
    import htmap

COLOURS = {"idle": "#9e9e9e", "running": "#1e88e5", "completed": "#43a047", "held": "#fb8c00", "errored": "#e53935"}


def counts_of(found: "htmap.Map") -> dict[str, int]:
    """A map's components per state."""
    return model.map_counts(str(status) for status in found.component_statuses)


def text_bar(tag: str, counts: dict[str, int], width: int = 30) -> str:
    """The progress as one line of text, for outputs that cannot show a widget (nbclient)."""
    total = sum(counts.values()) or 1
    done = counts.get("completed", 0)
    filled = round(width * done / total)
    states = ", ".join(f"{state} {n}" for state, n in counts.items())
    return f"{tag}: |{'#' * filled}{' ' * (width - filled)}| {done}/{total} ({states})"


def bar_html(counts: dict[str, int], width: int = 240) -> str:
    """A stacked bar of the states' shares."""
    total = sum(counts.values()) or 1
    parts = "".join(
        f'<span title="{state} {n}" style="display:inline-block;height:10px;width:{width * n / total:.1f}px;'
        f'background:{COLOURS.get(state, "#555")}"></span>'
        for state, n in counts.items()
        if n
    )
    return f'<span style="display:inline-block;width:{width}px;background:#eee;line-height:0">{parts}</span>'


def map_html(found: "htmap.Map") -> str:
    """A map's repr in a cell: its tag, its bar and its counts per state."""
    counts = counts_of(found)
    heads = "".join(f"<th>{state}</th>" for state in counts)
    cells = "".join(f"<td>{n}</td>" for n in counts.values())
    return (
        f'<table class="htmap-map"><tr><th>map</th><th>components</th><th>progress</th>{heads}</tr>'
        f"<tr><td>{html.escape(found.tag)}</td><td>{sum(counts.values())}</td><td>{bar_html(counts)}</td>{cells}"
        "</tr></table>"
    )


def in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel, where a widget can be shown."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class MapProgress:
    """What `wait(show_progress_bar=True)` shows: a widget in a kernel, tqdm's text bar elsewhere.

    HTMap calls update(n) with the newly finished components and close() at the end.
    """

    def __init__(self, found: "htmap.Map") -> None:
        """Show the progress of `found`, a map."""
        self.map = found
        self.counts: dict[str, int] = {}
        if not in_kernel():
            from tqdm import tqdm

            self.bar = tqdm(desc=found.tag, total=len(found), unit="component", ascii=True)
            return
        import ipywidgets
        from IPython.display import display

        self.bar = None
        self.progress = ipywidgets.IntProgress(min=0, max=max(len(found), 1), bar_style="info")
        self.label = ipywidgets.HTML()
        self.box = ipywidgets.HBox(
            [ipywidgets.HTML(f"<b>{html.escape(found.tag)}</b>&nbsp;"), self.progress, self.label]
        )
        self.update(0)
        # The widget and, for outputs that cannot show it, the same progress as text; updated in place.
        self.handle = display(self.bundle(), raw=True, display_id=True)

    def bundle(self) -> dict[str, Any]:
        """The widget's view, with the text bar as its plain-text form."""
        data = self.box._repr_mimebundle_() or {}
        data = data[0] if isinstance(data, tuple) else data
        return {**data, "text/plain": text_bar(self.map.tag, self.counts)}

    def update(self, n: int) -> None:
        """Follow the map: counts per state and the bar."""
        if self.bar is not None:
            self.bar.update(n)
            return
        counts = counts_of(self.map)
        if counts == self.counts:
            return
        self.counts = counts
        self.progress.value = counts.get("completed", 0)
        self.progress.bar_style = "danger" if counts.get("errored") else "warning" if counts.get("held") else "info"
        self.label.value = " ".join(f"{state}&nbsp;{n}" for state, n in counts.items())
        if getattr(self, "handle", None) is not None:
            self.handle.update(self.bundle(), raw=True)

    def close(self) -> None:
        """The last state stays shown."""
        if self.bar is not None:
            self.bar.close()
            return
        self.update(0)
        if not self.counts.get("errored") and not self.counts.get("held"):
            self.progress.bar_style = "success"
