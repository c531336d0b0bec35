// Live updates of the status overview and of one assignment's page (docs/web.md). The pages work
// without this file; with it, a status change made anywhere (any server instance) reaches the
// page within a second, and is announced politely to screen readers through the #live region.
"use strict";
(function () {
  var live = document.getElementById("live");
  var table = document.getElementById("assignments");
  var single = document.getElementById("status");
  if (!window.EventSource || (!live && !single)) { return; }
  var labels = {};
  var labelSource = table || single;
  try { labels = JSON.parse(labelSource.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
  function announce(text) {
    if (live) { live.textContent = text; }
  }
  var source = new EventSource("/events");
  source.addEventListener("assignment", function (message) {
    var change;
    try { change = JSON.parse(message.data); } catch (e) { return; }
    var label = labels[change.status] || change.status;
    if (single && single.getAttribute("data-assignment") === change.id) {
      single.textContent = label;
      return;
    }
    if (!table && !live) { return; }
    var row = document.getElementById("a-" + change.id);
    if (!row) { announce(live.getAttribute("data-new")); return; }
    var previous = row.getAttribute("data-status");
    if (previous === change.status) { return; }
    row.setAttribute("data-status", change.status);
    var cell = row.querySelector("td.status");
    if (cell) { cell.textContent = label; }
    var before = document.querySelector('[data-count="' + previous + '"]');
    if (before) { before.textContent = String(Math.max(0, parseInt(before.textContent, 10) - 1)); }
    var after = document.querySelector('[data-count="' + change.status + '"]');
    if (after) { after.textContent = String(parseInt(after.textContent, 10) + 1); }
    var title = row.querySelector("th a");
    var template = live.getAttribute("data-changed") || "";
    announce(template.replace("{{title}}", title ? title.textContent : "").replace("{{status}}", label));
  });
})();
