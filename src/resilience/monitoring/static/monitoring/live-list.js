/* A list that refreshes itself: every few seconds the table is fetched again (the generic list
   answers an htmx request for its table with the table alone), unless the reader is busy in it. */
(function () {
  "use strict";

  var note = document.querySelector("[data-live-list]");
  if (!note || typeof htmx === "undefined") return;
  var target = document.getElementById(note.dataset.liveList);
  var seconds = parseFloat(note.dataset.refreshSeconds || "5");
  if (!target) return;
  var busy = false;

  target.addEventListener("htmx:beforeRequest", function () { busy = true; });
  target.addEventListener("htmx:afterRequest", function () { busy = false; });

  function refresh() {
    var inside = target.contains(document.activeElement) && document.activeElement !== target;
    var open = target.querySelector("details[open]");
    if (document.hidden || busy || inside || open) return;
    htmx.ajax("GET", window.location.href, { target: target, swap: "innerHTML" });
  }
  window.setInterval(refresh, seconds * 1000);
})();
