/* The live board fetches its changing part every two seconds (hx-trigger on #board-live).
   It waits while the reader is busy in it — writing a note, a marking form open, the tab hidden —
   and keeps the breakdowns the reader opened or closed as they were. */
(function () {
  "use strict";

  var LIVE = "board-live";
  var folded = {};

  function busy(live) {
    var active = document.activeElement;
    var typing = active && live.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    return document.hidden || typing || live.querySelector("details.mark[open]") !== null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var live = document.getElementById(LIVE);
    if (live && event.detail.elt === live && busy(live)) event.preventDefault();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var live = document.getElementById(LIVE);
    if (!live || event.detail.target !== live) return;
    live.querySelectorAll("details[id]").forEach(function (d) { folded[d.id] = d.open; });
  });

  document.addEventListener("htmx:afterSwap", function () {
    var live = document.getElementById(LIVE);
    if (!live) return;
    Object.keys(folded).forEach(function (id) {
      var d = document.getElementById(id);
      if (d && live.contains(d)) d.open = folded[id];
    });
  });
})();
