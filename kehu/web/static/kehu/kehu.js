// Confirm destructive actions: <form data-confirm="...">
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});

// Customer form: show the organisation or the individual section for the chosen type.
// Without JS both sections stay visible.
function kehuKindSwitch(root) {
  var select = (root || document).querySelector("select[data-kind-switch]");
  if (!select) { return; }
  var apply = function () {
    var org = document.querySelector("[data-section=organization]");
    var ind = document.querySelector("[data-section=individual]");
    if (org) { org.hidden = select.value === "individual"; }
    if (ind) { ind.hidden = select.value === "organization"; }
  };
  select.addEventListener("change", apply);
  apply();
}
document.addEventListener("DOMContentLoaded", function () { kehuKindSwitch(document); });
