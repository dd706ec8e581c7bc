/* Small behaviours of the risk pages: method inputs, location of an inspection, print. */
(function () {
  "use strict";

  /* Show only the inputs of the chosen assessment method (both stay visible without JS). */
  document.querySelectorAll("[data-assessment]").forEach(function (box) {
    var radios = box.querySelectorAll("input[type=radio][name$='method']");
    function update() {
      var chosen = box.querySelector("input[type=radio][name$='method']:checked");
      var method = chosen ? chosen.value : "matrix";
      box.querySelectorAll(".method-inputs").forEach(function (group) {
        group.hidden = group.dataset.method !== method;
      });
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  });

  /* An inspection records where it was done when the phone allows it; never required. */
  document.querySelectorAll("form[data-geolocate]").forEach(function (form) {
    var lat = form.querySelector("input[name=latitude]");
    var lng = form.querySelector("input[name=longitude]");
    var status = form.querySelector("[data-geo-status]");
    if (!lat || !lng || !navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
      if (status) status.textContent = status.dataset.ok;
    }, function () {
      if (status) status.textContent = status.dataset.none;
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
