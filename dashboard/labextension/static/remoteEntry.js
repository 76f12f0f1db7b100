// "Submit to HTCondor" on a .sub file's right-click menu in JupyterLab's file browser: the
// dashboard's submit route, its answer in a notification. A prebuilt extension written by hand
// (no bundler): Lab loads this script and asks it for "./extension"; the plugin needs nothing
// but the application it is given, so it shares no module with Lab's build.
"use strict";
(function () {
  const COMMAND = "htcondor:submit-file";

  // The file browser (Lab's left area, Notebook's tree page: the main area).
  function fileBrowser(app) {
    for (const area of ["left", "main"]) {
      try {
        const found = [...app.shell.widgets(area)].find((widget) => widget.id === "filebrowser");
        if (found) return found;
      } catch {
        // a shell without this area
      }
    }
    return undefined;
  }

  // The one selected item, if it is a submit file (with several selected, which one is unclear).
  function submitFile(app) {
    const browser = fileBrowser(app);
    const items = browser ? [...browser.selectedItems()] : [];
    const [item] = items;
    return items.length === 1 && item.type !== "directory" && item.name.endsWith(".sub") ? item : undefined;
  }

  // The item's path from the file system's root: Jupyter's root folder need not be the home.
  function fullPath(item) {
    const config = document.getElementById("jupyter-config-data");
    const root = config ? JSON.parse(config.textContent).serverRoot || "~" : "~";
    return `${root.replace(/\/$/, "")}/${item.path}`;
  }

  async function submit(app, item) {
    const xsrf = (document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/) || [])[1] || "";
    const base = app.serviceManager.serverSettings.baseUrl;
    let said;
    try {
      const answer = await fetch(`${base}htcondor/submit`, {
        method: "POST",
        headers: { "X-XSRFToken": decodeURIComponent(xsrf) },
        body: JSON.stringify({ path: fullPath(item) }),
      });
      // Not the dashboard's JSON: a login page, or the proxy's error.
      const json = (answer.headers.get("Content-Type") || "").startsWith("application/json");
      said = json ? await answer.json() : { error: `submit ${item.path}: ${answer.status} ${answer.statusText}` };
    } catch (error) {
      said = { error: `submit ${item.path} failed: ${error.message}` };
    }
    const message = said.done ? `${said.done} (the HTCondor tile shows them)` : said.error;
    await app.commands.execute("apputils:notify", {
      message, type: said.done ? "success" : "error", options: { autoClose: said.done ? 8000 : false },
    });
  }

  const plugin = {
    id: "htc-dashboard:submit-file",
    description: "Submit a .sub file to HTCondor from the file browser.",
    autoStart: true,
    activate(app) {
      app.commands.addCommand(COMMAND, {
        label: "Submit to HTCondor",
        caption: "condor_submit this file from its folder",
        isVisible: () => submitFile(app) !== undefined,
        execute: () => {
          const item = submitFile(app);
          return item ? submit(app, item) : undefined;
        },
      });
      app.contextMenu.addItem({ command: COMMAND, selector: ".jp-DirListing-item", rank: 3 });
    },
  };

  // Module federation's container, as Lab's loader calls it: init (nothing to share), then get.
  const registry = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  registry["htc-dashboard"] = {
    init: () => Promise.resolve(),
    get: (module) =>
      module === "./extension"
        ? Promise.resolve(() => ({ __esModule: true, default: [plugin] }))
        : Promise.reject(new Error(`htc-dashboard has no module ${module}`)),
  };
})();
