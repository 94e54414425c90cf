// Stolik dashboard: keeps the fleet and the floor plan current by fetching
// their JSON every few seconds. No build step; plain DOM.
"use strict";

function poll(url, every, apply) {
  var busy = false;
  setInterval(function () {
    if (busy) return;
    busy = true;
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) apply(data); })
      .catch(function () {})
      .then(function () { busy = false; });
  }, every);
}

function editing() {
  var el = document.activeElement;
  return el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA");
}

function floor(section) {
  poll(section.dataset.live + location.search, 2000, function (live) {
    Object.keys(live.tables).forEach(function (id) {
      var g = document.getElementById("table-" + id);
      if (!g) return;
      var state = live.tables[id];
      if (g.dataset.state === state) return;
      g.setAttribute("class", "table " + state);
      g.dataset.state = state;
      var label = g.querySelector("text.state");
      if (label) label.textContent = state;
    });
    ["free", "reserved", "occupied"].forEach(function (k) {
      var el = document.getElementById("count-" + k);
      if (el) el.textContent = live.counts[k] || 0;
    });
    var rows = document.querySelectorAll("tr[id^='booking-']");
    var known = {};
    rows.forEach(function (tr) { known[tr.id.slice(8)] = tr; });
    var changed = (live.bookings || []).length !== rows.length;
    (live.bookings || []).forEach(function (b) {
      var tr = known[b.id];
      if (!tr) { changed = true; return; }
      var cell = tr.querySelector("[data-field=state]");
      if (cell && cell.textContent !== b.state) changed = true;
    });
    if (changed && !editing()) location.reload();
  });
}

function fleet(table) {
  poll(table.dataset.live + location.search, 3000, function (rows) {
    rows.forEach(function (a) {
      var tr = document.getElementById("agent-" + a.id);
      if (!tr) return;
      var backlog = tr.querySelector("[data-field=backlog]");
      if (backlog) backlog.textContent = a.backlog;
      var conn = tr.querySelector("[data-field=connection]");
      if (!conn) return;
      var text = a.revoked ? "revoked" : a.connected ? "connected" :
        a.offline_for ? "offline " + a.offline_for : "never connected";
      var cls = a.revoked ? "badge" : a.connected ? "badge ok" : "badge bad";
      var badge = conn.querySelector(".badge");
      if (badge && badge.textContent !== text) {
        badge.textContent = text;
        badge.className = cls;
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  var f = document.getElementById("floor");
  if (f && f.dataset.live) floor(f);
  var t = document.getElementById("fleet");
  if (t && t.dataset.live) fleet(t);
  document.querySelectorAll("[data-reload]").forEach(function (el) {
    setTimeout(function () { location.reload(); }, Number(el.dataset.reload) || 2000);
  });
});
