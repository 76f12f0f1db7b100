"""The HTCondor dashboard in JupyterLab, and HTMap's map progress in a notebook cell.

model: what HTCondor and HTMap report, turned into what the page shows (no HTCondor needed);
sources: those reports, read once per update (one schedd query); server: the page and its
JSON, served behind Jupyter's authentication by jupyter-server-proxy; widget: a map's
progress and its HTML table in a cell.
"""
