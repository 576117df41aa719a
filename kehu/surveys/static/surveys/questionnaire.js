// Conditional display of the questionnaire: a question with data-condition
// {"question": CODE, "op": OP, "value": V} is shown only while the answer to
// CODE satisfies it (the same rules as kehu.surveys.definitions.condition_holds).
// Answers of hidden questions do not count. Without JavaScript every question shows.
(function () {
  function answerOf(form, code) {
    var item = form.querySelector('[data-code="' + code + '"]');
    if (!item || item.hidden) { return null; }
    var kind = item.getAttribute("data-kind");
    var inputs = item.querySelectorAll("input, textarea");
    if (kind === "multiple") {
      var chosen = [];
      inputs.forEach(function (el) { if (el.checked) { chosen.push(el.value); } });
      return chosen.length ? chosen : null;
    }
    if (kind === "text") { var t = inputs[0] ? inputs[0].value.trim() : ""; return t || null; }
    var value = null;
    inputs.forEach(function (el) { if (el.checked) { value = el.value; } });
    if (value === null) { return null; }
    return (kind === "single") ? value : Number(value);
  }
  function same(a, b) { return (typeof b === "number" || typeof a === "number") ? Number(a) === Number(b) : String(a) === String(b); }
  function holds(cond, answer) {
    var op = cond.op, target = cond.value;
    if (op === "answered") { return answer !== null; }
    if (op === "not answered") { return answer === null; }
    if (answer === null) { return false; }
    if (Array.isArray(answer)) {
      var hit = answer.some(function (a) { return (target || []).some(function (t) { return String(t) === String(a); }); });
      return op === "in" ? hit : (op === "not in" ? !hit : false);
    }
    if (op === "in" || op === "not in") {
      var member = (target || []).some(function (t) { return same(answer, t); });
      return op === "in" ? member : !member;
    }
    if (op === "=") { return same(answer, target); }
    if (op === "!=") { return !same(answer, target); }
    var a = Number(answer), b = Number(target);
    return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : op === ">=" ? a >= b : false;
  }
  function refresh(form) {
    form.querySelectorAll("[data-code]").forEach(function (item) {
      var raw = item.getAttribute("data-condition");
      if (!raw) { return; }
      var cond = JSON.parse(raw);
      item.hidden = !holds(cond, answerOf(form, cond.question));
    });
  }
  function setUp() {
    document.querySelectorAll(".q-form").forEach(function (form) {
      form.addEventListener("change", function () { refresh(form); });
      form.addEventListener("input", function () { refresh(form); });
      refresh(form);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); } else { setUp(); }
})();
