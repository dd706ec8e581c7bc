/* Small behaviours of every page: the phone menu, dropdowns, filters and HTMX errors. */
(function () {
  "use strict";

  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  /* One dropdown open at a time; a click elsewhere or Escape closes it. */
  var dropdowns = Array.prototype.slice.call(document.querySelectorAll("details.dropdown"));
  dropdowns.forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open) return;
      dropdowns.forEach(function (other) { if (other !== d) other.open = false; });
    });
  });
  document.addEventListener("click", function (event) {
    dropdowns.forEach(function (d) { if (d.open && !d.contains(event.target)) d.open = false; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    dropdowns.forEach(function (d) {
      if (d.open) { d.open = false; d.querySelector("summary").focus(); }
    });
  });

  /* Filters stay open beside the list on wide screens; on a phone they fold away. */
  if (window.matchMedia("(min-width: 960px)").matches) {
    document.querySelectorAll("details.filters").forEach(function (d) { d.open = true; });
  }

  function say(text, kind) {
    var box = document.getElementById("messages");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "alert " + (kind || "error");
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.appendChild(p);
  }

  /* Filter URLs carry only the filters in use: shorter links to share and bookmark. */
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (key) {
      if (params[key] === "" || params[key] === "unknown") delete params[key];
    });
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    say(code === 403 ? document.body.dataset.msgForbidden : document.body.dataset.msgError);
  });
  document.body.addEventListener("htmx:sendError", function () {
    say(document.body.dataset.msgError);
  });
})();
