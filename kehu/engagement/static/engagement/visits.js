// Visit plans: check in with the browser's location (only when the salesperson
// ticks "share my location" and the browser's permission is given), and copy
// the calendar address. No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";

  function submitPlain(form) {
    form.dataset.located = "1";
    form.submit();
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("check-in-form") || form.dataset.located === "1") { return; }
    var wanted = form.querySelector(".use-location");
    if (!wanted || !wanted.checked || !navigator.geolocation) { return; }   // the time alone
    e.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = form.getAttribute("data-locating") || button.textContent; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.elements.accuracy.value = Math.round(pos.coords.accuracy || 0);
      submitPlain(form);
    }, function () {
      submitPlain(form);   // refused or unavailable: check in without a location
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    input.select();
    var done = function () { button.textContent = button.getAttribute("data-copied") || button.textContent; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
