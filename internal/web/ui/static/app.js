// mihari's pages work without this script; it adds live refresh, the
// metric names for the query box, confirmations, and results that appear
// when they are ready. It loads nothing from elsewhere.
"use strict";

// Live refresh of the overview: reload the page's content every few
// seconds, unless the reader is typing or has scrolled away from the top.
function liveRefresh() {
  const live = document.querySelector(".live[data-refresh]");
  if (!live) return;
  const every = Math.max(5, Number(live.dataset.refresh)) * 1000;
  setInterval(async () => {
    if (document.hidden || window.scrollY > 200) return;
    try {
      const res = await fetch(location.href, { headers: { "Accept": "text/html" } });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const next = doc.querySelector("main");
      if (next) document.querySelector("main").replaceWith(next);
      liveRefresh.count = (liveRefresh.count || 0) + 1;
    } catch (e) { /* the agent may be restarting: try again next time */ }
  }, every);
}

// The query box offers the metric names the agent stores.
async function metricNames() {
  const list = document.getElementById("metric-names");
  if (!list) return;
  try {
    const res = await fetch("/api/v1/label/__name__/values");
    const body = await res.json();
    if (body.status !== "success") return;
    const frag = document.createDocumentFragment();
    for (const name of body.data) {
      const o = document.createElement("option");
      o.value = name;
      frag.appendChild(o);
    }
    list.appendChild(frag);
  } catch (e) { /* no names: the box still works */ }
}

// Buttons that run something on the host ask first.
function confirmations() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  }
}

// A running investigation shows its step, and the page reloads with the
// report when it is done.
function pollInvestigation() {
  const el = document.querySelector("[data-poll]");
  if (!el) return;
  const step = el.querySelector(".step");
  const tick = async () => {
    try {
      const res = await fetch(el.dataset.poll);
      const body = await res.json();
      if (!body.running) { location.reload(); return; }
      if (step && body.step) step.textContent = body.step;
    } catch (e) { /* try again */ }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}

// A profile or trace started from a process's page shows its result in
// place when it is done.
function pollJobs() {
  for (const el of document.querySelectorAll("[data-job]")) {
    const tick = async () => {
      try {
        const res = await fetch(el.dataset.job);
        const body = await res.json();
        if (body.done) {
          const p = el.querySelector(".running");
          const div = document.createElement("div");
          div.innerHTML = body.html; // server-rendered, escaped by html/template
          if (p) p.replaceWith(div); else el.appendChild(div);
          el.removeAttribute("data-job");
          return;
        }
      } catch (e) { /* try again */ }
      setTimeout(tick, 1500);
    };
    setTimeout(tick, 1500);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  liveRefresh();
  metricNames();
  confirmations();
  pollInvestigation();
  pollJobs();
});
