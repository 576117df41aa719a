// The AHP matrix: choosing a judgement for row i, column j shows its
// reciprocal in row j, column i at once (htmx then recomputes CR on the server).
document.addEventListener("change", function (e) {
  var el = e.target;
  if (!el.matches || !el.matches("table.ahp-matrix select")) { return; }
  var i = el.getAttribute("data-i"), j = el.getAttribute("data-j");
  var cell = document.getElementById("r-" + j + "-" + i);
  if (!cell) { return; }
  var v = el.value;
  cell.textContent = v === "1" ? "1" : (v.indexOf("1/") === 0 ? v.slice(2) : (/^\d+$/.test(v) ? "1/" + v : (1 / Number(v)).toFixed(3)));
});

// The question form: show the fields that fit the kind (without JS all show).
function kehuQuestionKind() {
  var form = document.querySelector("form.question-form");
  if (!form) { return; }
  var select = form.querySelector("select[name=kind]");
  var scored = (form.getAttribute("data-scored") || "").split(" ");
  var choice = (form.getAttribute("data-choice") || "").split(" ");
  var apply = function () {
    form.querySelectorAll("[data-show-for=scored]").forEach(function (el) { el.hidden = scored.indexOf(select.value) < 0; });
    form.querySelectorAll("[data-show-for=choice]").forEach(function (el) { el.hidden = choice.indexOf(select.value) < 0; });
  };
  select.addEventListener("change", apply);
  apply();
}
document.addEventListener("DOMContentLoaded", kehuQuestionKind);
