/* The alert banner is fetched every two seconds; swap it only when it changed, so a screen
   reader does not announce the same warning again and a finger on a button keeps its place. */
(function () {
  "use strict";

  var last = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "alert-banner") return;
    var body = event.detail.serverResponse;
    var fromPoll = event.detail.requestConfig && event.detail.requestConfig.verb === "get";
    if (fromPoll && body === last && target.childElementCount === (body.trim() ? 1 : 0)) {
      event.detail.shouldSwap = false;
    }
    last = body;
  });
})();
