// The HTCondor dashboard: asks state.json every few seconds and draws it. Plain JavaScript.
"use strict";

const EVERY_MS = 3000;
const STATES = ["idle", "running", "completed", "held", "errored", "removed"];

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const byId = (id) => document.getElementById(id);

// Replace a part of the page only when it changed, so a button is not redrawn under the pointer.
function put(id, html) {
  const element = byId(id);
  if (element.dataset.html !== html) {
    element.innerHTML = html;
    element.dataset.html = html;
  }
}

function usedBar(used, total) {
  const percent = total ? Math.round((100 * used) / total) : 0;
  return `<span class="used"><span style="width:${percent}%"></span></span>${used} of ${total}`;
}

function pool(machines) {
  if (!machines.length) return '<p class="muted">No slot reported by the collector.</p>';
  const rows = machines.map((m) =>
    `<tr><td>${esc(m.machine)}</td><td>${m.slots}</td><td>${usedBar(m.cpus_used, m.cpus)}</td>` +
    `<td>${usedBar(m.memory_used, m.memory)} MiB</td></tr>`);
  return `<table><tr><th>Machine</th><th>Slots</th><th>CPUs in use</th><th>Memory in use</th></tr>${rows.join("")}</table>`;
}

function mapCard(m) {
  const total = m.components || 1;
  const bar = STATES.filter((s) => m.counts[s]).map((s) =>
    `<span class="${s}" style="width:${(100 * m.counts[s]) / total}%" title="${s}: ${m.counts[s]}"></span>`).join("");
  const counts = STATES.filter((s) => s in m.counts).map((s) =>
    `<span class="key ${s}"></span><span data-state="${s}">${s} ${m.counts[s]}</span>`).join("");
  let html = `<div class="map" data-tag="${esc(m.tag)}"><h3>${esc(m.tag)} <span class="muted">` +
    `${m.components} components</span></h3><div class="bar">${bar}</div><div>${counts}</div>`;
  const tag = esc(m.tag);
  // A component's story: its last job's (a click on a held component or on the error).
  const part = (n) => `data-tag="${tag}" data-component="${esc(n)}" title="its story"`;
  if (m.holds.length) {
    html += '<table class="holds">' + m.holds.map((h) =>
      `<tr ${part(h.component)}><td><a href="#">component ${esc(h.component)}</a></td><td>${esc(h.reason)}</td></tr>`).join("") + "</table>";
  }
  if (m.error) {
    html += `<div class="error"><a href="#" ${part(m.error.component)}>Component ${esc(m.error.component)}</a> failed: ` +
      `<b>${esc(m.error.message)}</b><pre>${esc(m.error.traceback.join("\n"))}</pre></div>`;
  }
  if (m.counts.held) html += `<button data-action="release" data-tag="${tag}">Release ${m.counts.held} held</button>`;
  if (m.counts.errored) html += `<button data-action="rerun" data-tag="${tag}">Rerun ${m.counts.errored} errored</button>`;
  html += `<button data-action="remove" data-tag="${tag}">Remove map</button>`;
  return html + "</div>";
}

// The jobs the user ticked, kept across updates (a redraw keeps their boxes ticked).
const selected = new Set();
// The column a state's jobs are sorted on; "-id": the other way (a click on its header).
let order = "id";
const COLUMNS = [["id", "Job"], ["batch", "Batch"], ["owner", "Owner"], ["for", "In this state"], ["reason", "Reason"]];

// The columns' headers, the arrow on the one the rows came sorted on (not a click still on its way).
function header(view) {
  const cells = COLUMNS.filter(([key]) => view.everyone || key !== "owner").map(([key, name]) => {
    const arrow = view.order === key ? " ▲" : view.order === `-${key}` ? " ▼" : "";
    return `<th data-sort="${key}" title="sort on this column">${name}${arrow}</th>`;
  });
  return `<tr><th></th>${cells.join("")}</tr>`;
}

// The job list; without times (withTimes false) it is the list's shape, compared between updates.
// Another user's job (every user's shown) can be neither selected nor opened.
function jobs(view, withTimes, user) {
  if (view === null) return '<p class="muted">The schedd did not answer: see above.</p>';
  if (!view.total) return '<p class="muted">No job in the queue.</p>';
  if (!view.shown) return `<p class="muted">None of the ${view.total} jobs matches.</p>`;
  return view.states.map((group) => {
    const more = group.count > group.jobs.length ? `<p class="muted">and ${group.count - group.jobs.length} more</p>` : "";
    const rows = group.jobs.map((j) => {
      const mine = j.owner === user;
      const box = `<input type="checkbox" data-pick="${esc(j.id)}"${selected.has(j.id) ? " checked" : ""}` +
        `${mine ? "" : " disabled"} aria-label="select ${esc(j.id)}">`;
      const id = mine ? `<a href="#">${esc(j.id)}</a>` : esc(j.id);
      const owner = view.everyone ? `<td>${esc(j.owner)}</td>` : "";
      return `<tr${mine ? ` data-job="${esc(j.id)}" title="its story"` : ""}><td>${box}</td><td>${id}</td><td>${esc(j.batch)}</td>` +
        `${owner}<td data-for="${esc(j.id)}">${withTimes ? esc(j.for) : ""}</td><td>${esc(j.reason || "")}</td></tr>`;
    });
    return `<h3 data-jobs="${esc(group.state)}">${esc(group.state)} (${esc(group.count)})</h3>` +
      `<table>${header(view)}${rows.join("")}</table>${more}`;
  }).join("");
}

// Redraw the list only when its shape changed; else set the times in place, so that a row or box
// under the pointer is not replaced every update. The selection keeps only jobs still shown.
function drawJobs(view, user) {
  const shown = new Set((view ? view.states : []).flatMap((group) => group.jobs.map((j) => j.id)));
  for (const id of selected) if (!shown.has(id)) selected.delete(id);
  showSelected();
  const element = byId("jobs");
  const shape = jobs(view, false, user);
  if (element.dataset.shape === shape) {
    for (const group of view.states) {
      for (const j of group.jobs) {
        const cell = element.querySelector(`td[data-for="${CSS.escape(j.id)}"]`);
        if (cell) cell.textContent = j.for;
      }
    }
    return;
  }
  element.innerHTML = jobs(view, true, user);
  element.dataset.shape = shape;
}

function showSelected() {
  byId("selected").textContent = selected.size ? `${selected.size} selected` : "";
}

function draw(view) {
  byId("where").textContent = {
    personal: `personal pool · ${view.user}`,
    "access point": `${view.schedd} · ${view.user}`,
  }[view.mode] || `site schedd ${view.schedd} · ${view.user}`;
  const health = byId("health");
  health.textContent = view.problems.length ? "problem" : "healthy";
  health.className = `badge ${view.problems.length ? "bad" : "ok"}`;
  put("problems", view.problems.map((p) => `<li>${esc(p)}</li>`).join(""));
  put("pool", pool(view.machines));
  put("maps", view.maps.length ? view.maps.map(mapCard).join("") : '<p class="muted">No map yet: htmap.map(...) makes one.</p>');
  // Every user's jobs: a choice at a site's schedd (here, or in a personal pool, all are mine).
  byId("everyone-choice").hidden = view.mode !== "remote";
  byId("jobs-title").textContent = view.jobs && view.jobs.everyone ? "Every user's jobs" : "My jobs";
  drawJobs(view.jobs, view.user);
  byId("updated").textContent = `updated ${view.updated}`;
  if (!document.body.dataset.loadedMs) document.body.dataset.loadedMs = Math.round(performance.now());
}

// One request at a time, each given up after 20 s: a slow answer never piles up requests
// (which would take the browser's connections from JupyterLab itself). One asked for meanwhile
// (a new filter) runs after it.
let refreshing = false;
let again = false;

async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const query = new URLSearchParams({ text: byId("text").value, state: byId("state").value, order });
    if (byId("everyone").checked && !byId("everyone-choice").hidden) query.set("all", "1");
    const answer = await fetch(`state.json?${query}`, { cache: "no-store", signal: AbortSignal.timeout(20000) });
    if (!answer.ok) throw new Error(`${answer.status} ${answer.statusText}`);
    draw(await answer.json());
  } catch (error) {
    byId("health").textContent = "no answer";
    byId("health").className = "badge bad";
    put("problems", `<li>The dashboard does not answer: ${esc(error.message)}</li>`);
  } finally {
    refreshing = false;
  }
  if (again) {
    again = false;
    await refresh();
  }
}

async function refreshForever() {
  await refresh();
  setTimeout(refreshForever, EVERY_MS);
}

// A job's story, read once when its row is clicked (not at every update).
function story(s) {
  const when = (t) => new Date(t * 1000).toLocaleString();
  let html = `<h2>Job ${esc(s.id)} <span class="muted">${s.component ? `${esc(s.component)} · ` : ""}` +
    `${esc(s.state)}${s.batch ? ` · ${esc(s.batch)}` : ""}` +
    `${s.where ? ` · ${esc(s.where)}` : ""}${s.exit ? ` · ${esc(s.exit)}` : ""}</span>` +
    '<button data-close="story">Close</button></h2>';
  if (s.command) html += `<p class="muted">${esc(s.command)}</p>`;
  if (s.reason) html += `<p class="why">${esc(s.reason)}</p>`;
  if (s.why_idle) html += `<h3>Why it does not start</h3><ul class="why">${s.why_idle.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>`;
  html += "<h3>Timeline</h3>" + (s.timeline.length
    ? `<table class="timeline">${s.timeline.map((e) => `<tr><td>${esc(when(e.time))}</td><td>${esc(e.what)}</td></tr>`).join("")}</table>`
    : '<p class="muted">No event log for this job.</p>');
  if (s.resources.length) {
    html += "<h3>Resources</h3><table><tr><th></th><th>asked</th><th>used</th></tr>" + s.resources.map((r) =>
      `<tr><td>${esc(r.resource)}</td><td>${esc(r.asked)}</td><td>${esc(r.used)}</td></tr>`).join("") + "</table>";
  }
  for (const [name, text] of Object.entries(s.streams)) {
    html += `<h3>${name}</h3>` + (text === null ? '<p class="muted">not here yet: HTCondor brings it back when the job ends</p>'
      : `<pre data-stream="${name}">${esc(text) || '<span class="muted">(empty)</span>'}</pre>`);
  }
  return html;
}

// `what`: "Job 12.3" or "Component 3 of Twenty"; `path`: the route of its story.
async function showStory(what, path) {
  const panel = byId("story");
  panel.hidden = false;
  panel.innerHTML = `<h2>${esc(what)} <span class="muted">reading…</span></h2>`;
  try {
    const answer = await fetch(path, { cache: "no-store", signal: AbortSignal.timeout(60000) });
    const said = await answer.json();
    panel.innerHTML = answer.ok ? story(said) : `<p class="why">${esc(said.error)}</p>`;
  } catch (error) {
    panel.innerHTML = `<p class="why">${esc(what)} could not be read: ${esc(error.message)}</p>`;
  }
  panel.scrollIntoView();
}

// Finished jobs, a page at a time, read when asked (the schedd's history is a file it scans).
async function showHistory(page) {
  const box = byId("history");
  box.innerHTML = '<p class="muted">reading the schedd\'s history…</p>';
  try {
    const answer = await fetch(`history.json?page=${page}`, { cache: "no-store", signal: AbortSignal.timeout(60000) });
    const h = await answer.json();
    if (!answer.ok) throw new Error(h.error);
    const rows = h.jobs.map((j) =>
      `<tr data-job="${esc(j.id)}" title="its story"><td><a href="#">${esc(j.id)}</a></td><td>${esc(j.batch)}</td>` +
      `<td>${esc(j.ended)}</td><td>ran ${esc(j.ran)}</td><td>${esc(j.where)}</td><td>${esc(j.when)}</td></tr>`).join("");
    const pages = (page ? `<button data-history="${page - 1}">Newer</button>` : "") +
      (h.more ? `<button data-history="${page + 1}">Older</button>` : "");
    box.innerHTML = h.jobs.length
      ? `<table class="history"><tr><th>Job</th><th>Batch</th><th>Ended</th><th>Ran</th><th>Where</th><th>Left the queue</th></tr>` +
        `${rows}</table>${pages}`
      : `<p class="muted">No job of yours finished in the last ${h.days} days.</p>`;
  } catch (error) {
    box.innerHTML = `<p class="why">The history could not be read: ${esc(error.message)}</p>`;
  }
}

const QUESTIONS = {
  release: (tag) => `Release the held components of map ${tag}?`,
  rerun: (tag) => `Run the errored components of map ${tag} again?`,
  remove: (tag) => `Remove map ${tag}: its jobs, inputs and results?`,
};

// POST with Jupyter's _xsrf cookie in a header; what the server did, or why not, in the message line.
async function post(path, what, body) {
  const xsrf = (document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/) || [])[1] || "";
  byId("message").textContent = `${what}…`;
  try {
    const answer = await fetch(path, {
      method: "POST", headers: { "X-XSRFToken": decodeURIComponent(xsrf) }, body: body && JSON.stringify(body),
    });
    const said = await answer.json();
    byId("message").textContent = said.done || said.error;
    return answer.ok;
  } catch (error) {
    byId("message").textContent = `${what} failed: ${error.message}`;
    return false;
  } finally {
    await refresh();
  }
}

async function act(action, tag) {
  if (window.confirm(QUESTIONS[action](tag))) await post(`maps/${encodeURIComponent(tag)}/${action}`, `${action} ${tag}`);
}

// Several jobs at once: asked once, then said what was done.
async function bulk(action) {
  if (!selected.size) {
    byId("message").textContent = `${action}: select jobs first (the boxes beside them)`;
    return;
  }
  const number = (id) => id.split(".").map(Number);
  const ids = [...selected].sort((a, b) => number(a)[0] - number(b)[0] || number(a)[1] - number(b)[1]);
  if (!window.confirm(`${action[0].toUpperCase()}${action.slice(1)} ${ids.length} selected job(s): ${ids.join(", ")}?`)) return;
  if (await post(`jobs/${action}`, `${action} ${ids.length} job(s)`, { ids })) {
    selected.clear();
    showSelected();
  }
}

document.addEventListener("click", (event) => {
  const pick = event.target.closest("input[data-pick]");
  if (pick) {
    if (pick.checked) selected.add(pick.dataset.pick);
    else selected.delete(pick.dataset.pick);
    showSelected();
    return;
  }
  const choose = event.target.closest("button[data-select]");
  if (choose) {
    if (choose.dataset.select === "none") selected.clear();
    else document.querySelectorAll("#jobs input[data-pick]:enabled").forEach((box) => selected.add(box.dataset.pick));
    showSelected();
    refresh();
  }
  const several = event.target.closest("button[data-bulk]");
  if (several) bulk(several.dataset.bulk);
  const button = event.target.closest("button[data-action]");
  if (button) act(button.dataset.action, button.dataset.tag);
  const column = event.target.closest("th[data-sort]");
  if (column) {
    const key = column.dataset.sort;
    order = order === key ? `-${key}` : key;
    refresh();
  }
  const row = event.target.closest("tr[data-job]");
  if (row) {
    event.preventDefault();
    showStory(`Job ${row.dataset.job}`, `jobs/${row.dataset.job}`);
  }
  const part = event.target.closest("[data-component]");
  if (part) {
    event.preventDefault();
    const { tag, component } = part.dataset;
    showStory(`Component ${component} of ${tag}`, `maps/${encodeURIComponent(tag)}/components/${component}`);
  }
  if (event.target.closest("button[data-close]")) byId("story").hidden = true;
  const history = event.target.closest("button[data-history]");
  if (history) showHistory(Number(history.dataset.history));
});

// condor_submit a file from its folder; the new jobs show with the next update.
byId("submit").addEventListener("submit", (event) => {
  event.preventDefault();
  const path = byId("subfile").value.trim();
  post("submit", `submit ${path}`, { path });
});

// A new filter shows at once (the server filters its last snapshot: no new query).
for (const name of ["text", "state", "everyone"]) byId(name).addEventListener("input", refresh);

refreshForever();
