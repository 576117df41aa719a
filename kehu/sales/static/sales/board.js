// The pipeline board: drag a card onto another column, or press Alt+→ / Alt+← on a
// focused card, to move it. Both only choose the stage in the card's own form and
// submit it (htmx swaps the board), so the board works the same without JavaScript.
(function () {
  "use strict";

  function submitMove(card, stageId) {
    var form = card.querySelector("form.opp-card-move");
    if (!form) return;
    var select = form.querySelector("select[name=stage]");
    if (!select || select.value === String(stageId)) return;
    select.value = String(stageId);
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".opp-card[draggable=true]");
    if (!card) return;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.opp);
  });

  document.addEventListener("dragend", function (e) {
    var card = e.target.closest && e.target.closest(".opp-card");
    if (card) card.classList.remove("dragging");
    document.querySelectorAll(".board-col.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });

  document.addEventListener("dragover", function (e) {
    var col = e.target.closest && e.target.closest(".board-col");
    if (!col) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    col.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (e) {
    var col = e.target.closest && e.target.closest(".board-col");
    if (col && !col.contains(e.relatedTarget)) col.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (e) {
    var col = e.target.closest && e.target.closest(".board-col");
    if (!col) return;
    e.preventDefault();
    col.classList.remove("drop-target");
    var id = e.dataTransfer.getData("text/plain");
    var card = document.querySelector('.opp-card[data-opp="' + id + '"]');
    if (card) submitMove(card, col.dataset.stage);
  });

  document.addEventListener("keydown", function (e) {
    if (!e.altKey || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) return;
    var card = e.target.closest && e.target.closest(".opp-card");
    if (!card) return;
    var select = card.querySelector("form.opp-card-move select[name=stage]");
    if (!select) return;
    var i = select.selectedIndex + (e.key === "ArrowRight" ? 1 : -1);
    if (i < 0 || i >= select.options.length) return;
    e.preventDefault();
    submitMove(card, select.options[i].value);
  });
})();
