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

// Back and Forward bring back htmx's snapshot of the page, in which a filter
// form's fields hold what the page was first rendered with, not what the
// restored URL asked for: the list showed the results for "zs" under an empty
// search box, and the next filter change dropped "zs". Put the URL's values back.
document.addEventListener("htmx:historyRestore", function () {
  var params = new URLSearchParams(window.location.search);
  document.querySelectorAll("form[hx-push-url=true]").forEach(function (form) {
    form.reset();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || !params.has(el.name)) { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = params.getAll(el.name).indexOf(el.value) >= 0; }
      else { el.value = params.get(el.name); }
    });
  });
});
// Sections of a form shown for one choice of a radio group: <fieldset data-kind="rule"> is shown
// while the checked input[name=kind] has the value "rule". Without JS every section stays visible.
function kehuKindSections(root) {
  var radios = (root || document).querySelectorAll("input[type=radio][name=kind]");
  if (!radios.length) { return; }
  var apply = function () {
    var checked = (root || document).querySelector("input[type=radio][name=kind]:checked");
    var value = checked ? checked.value : "";
    Array.prototype.forEach.call((root || document).querySelectorAll("fieldset[data-kind]"), function (fs) {
      fs.hidden = fs.getAttribute("data-kind") !== value;
    });
  };
  Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", apply); });
  apply();
}
document.addEventListener("DOMContentLoaded", function () { kehuKindSections(document); });

// Behaviour that the markup asks for with data- attributes (the Content-Security-Policy
// refuses inline event handlers such as onchange="..."):
//   <select data-autosubmit>            submits its form when changed
//   <select data-lang-switch>           the language switch: keeps the current page as "next"
//   <form data-no-submit>               never submits (the questionnaire's preview)
//   <button data-print>                 prints the page
//   <button data-fill-target="ID" data-fill-value="V">  puts V into the field #ID
document.addEventListener("change", function (e) {
  var el = e.target;
  if (!el || !el.form) { return; }
  if (el.hasAttribute("data-lang-switch")) {
    if (el.form.elements.next) { el.form.elements.next.value = location.pathname + location.search; }
    el.form.submit();
  } else if (el.hasAttribute("data-autosubmit")) {
    el.form.submit();
  }
});
document.addEventListener("submit", function (e) {
  if (e.target.hasAttribute && e.target.hasAttribute("data-no-submit")) { e.preventDefault(); }
});
document.addEventListener("click", function (e) {
  var el = e.target && e.target.closest ? e.target.closest("[data-print], [data-fill-target]") : null;
  if (!el) { return; }
  if (el.hasAttribute("data-print")) { window.print(); return; }
  var field = document.getElementById(el.getAttribute("data-fill-target"));
  if (field) { field.value = el.getAttribute("data-fill-value"); }
});
// List tools: the header checkbox ticks every row of the page.
document.addEventListener("change", function (e) {
  var all = e.target.closest("input[data-select-all]");
  if (!all) { return; }
  document.querySelectorAll("input[name=ids][form='" + all.getAttribute("data-select-all") + "']").forEach(function (box) {
    box.checked = all.checked;
  });
});
