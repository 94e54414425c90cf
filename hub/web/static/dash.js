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
      // The section carries each state's words in the page's language.
      if (label) label.textContent = section.dataset[state] || state;
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
      if (cell && cell.dataset.state !== b.state) changed = true;
    });
    if (changed && !editing()) location.reload();
  });
}

// rmsHealth fills a fleet row's RMS cell as the page renders it: an ok
// badge (with the connector's warning beside it, if any), an error badge
// with the error beside it, or "unknown"; words holds the page's words
// for them (the table's data-ok, data-error, data-unknown).
function rmsHealth(cell, a, words) {
  var h = a.connector_health || {};
  var key = (h.ok ? "ok:" : "error:") + (h.error || "");
  if (!h.ok && !h.error) key = "unknown";
  if (cell.dataset.shown === key) return;
  cell.dataset.shown = key;
  cell.textContent = "";
  var badge = document.createElement("span");
  if (h.ok) {
    badge.className = "badge ok";
    badge.textContent = words.ok || "ok";
    cell.appendChild(badge);
    if (h.error) {
      var note = document.createElement("span");
      note.className = "small";
      note.title = h.error;
      note.textContent = h.error;
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(note);
    }
  } else if (h.error) {
    badge.className = "badge bad";
    badge.title = h.error;
    badge.textContent = words.error || "error";
    var text = document.createElement("span");
    text.className = "small";
    text.textContent = h.error;
    cell.appendChild(badge);
    cell.appendChild(document.createTextNode(" "));
    cell.appendChild(text);
  } else {
    badge.className = "muted";
    badge.textContent = words.unknown || "unknown";
    cell.appendChild(badge);
  }
}

// fleet keeps each row's connection, backlog, last change and RMS health
// current, and its attention highlight; rows keep their order until the
// page is reloaded (the hint above the table says so). The table's data
// attributes hold the words of the page's language.
function fleet(table) {
  var words = table.dataset;
  poll(table.dataset.live + location.search, 3000, function (rows) {
    rows.forEach(function (a) {
      var tr = document.getElementById("agent-" + a.id);
      if (!tr) return;
      var backlog = tr.querySelector("[data-field=backlog]");
      if (backlog) backlog.textContent = a.backlog;
      var last = tr.querySelector("[data-field=last_change]");
      if (last && a.last_change_ago) {
        last.textContent = a.last_change ? a.last_change_ago : words.neverChanged || "never";
      }
      var rms = tr.querySelector("[data-field=rms]");
      if (rms) rmsHealth(rms, a, words);
      tr.className = (a.attention || []).length ? "attention" : "";
      var conn = tr.querySelector("[data-field=connection]");
      if (!conn) return;
      var text = a.revoked ? words.revoked : a.connected ? words.connected :
        a.offline_for ? words.offline + " " + a.offline_for : words.never;
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
