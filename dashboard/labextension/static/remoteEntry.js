// "Submit to HTCondor" on a .sub file's right-click menu in JupyterLab's file browser: the
// dashboard's submit route, its answer in a notification. A prebuilt extension written by hand
// (no bundler): Lab loads this script and asks it for "./extension"; the plugin needs nothing
// but the application it is given, so it shares no module with Lab's build.
"use strict";
(function () {
  const COMMAND = "htcondor:submit-file";

  // The file browser's first selected item, if it is a submit file.
  function submitFile(app) {
    const browser = [...app.shell.widgets("left")].find((widget) => widget.id === "filebrowser");
    const item = browser ? browser.selectedItems().next().value : undefined;
    return item && item.type !== "directory" && item.name.endsWith(".sub") ? item : undefined;
  }

  async function submit(app, item) {
    const xsrf = (document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/) || [])[1] || "";
    const base = app.serviceManager.serverSettings.baseUrl;
    let said;
    try {
      const answer = await fetch(`${base}htcondor/submit`, {
        method: "POST",
        headers: { "X-XSRFToken": decodeURIComponent(xsrf) },
        body: JSON.stringify({ path: item.path }),
      });
      said = await answer.json();
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
