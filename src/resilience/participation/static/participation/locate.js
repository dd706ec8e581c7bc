// Fill the report form's hidden latitude/longitude from the phone's position, if it agrees.
(function () {
  var form = document.getElementById("report-form");
  var status = document.getElementById("locate-status");
  if (!form || !status) return;
  var lat = form.querySelector("input[name=latitude]");
  var lng = form.querySelector("input[name=longitude]");
  if (!navigator.geolocation || !lat || !lng) { status.textContent = status.dataset.failed; return; }
  status.textContent = status.dataset.waiting;
  navigator.geolocation.getCurrentPosition(function (pos) {
    lat.value = pos.coords.latitude.toFixed(6);
    lng.value = pos.coords.longitude.toFixed(6);
    status.textContent = status.dataset.found;
  }, function () { status.textContent = status.dataset.failed; },
  { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
})();
