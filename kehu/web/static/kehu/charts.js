// Draw the charts of a page: <div data-vega-chart> holds a <script type="application/json">
// with {"spec": Vega-Lite spec, "options": vega-embed options}; vega-embed comes from the
// locally served bundle (kehu/web/charts.py). Charts inside content that htmx swaps in are
// drawn too. Without JavaScript the page's tables carry the same figures.
(function () {
  "use strict";
  function draw(root) {
    if (typeof window.vegaEmbed !== "function") { return; }
    var boxes = (root || document).querySelectorAll("[data-vega-chart]:not([data-drawn])");
    Array.prototype.forEach.call(boxes, function (box) {
      var source = box.querySelector("script[type='application/json']");
      if (!source) { return; }
      box.setAttribute("data-drawn", "pending");
      // CSSOM, not a style attribute: the Content-Security-Policy allows only the former.
      if (box.getAttribute("data-min-height")) { box.style.minHeight = box.getAttribute("data-min-height") + "px"; }
      var payload = JSON.parse(source.textContent);
      var target = document.createElement("div");
      target.className = "chart-canvas";
      box.appendChild(target);
      window.vegaEmbed(target, payload.spec, payload.options || {}).then(function () {
        box.setAttribute("data-drawn", "yes");
      }).catch(function (err) {
        box.setAttribute("data-drawn", "failed");
        box.classList.add("chart-failed");
        if (window.console) { window.console.warn("chart not drawn", err); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
