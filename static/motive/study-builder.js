// The study builder, enhanced: drag to reorder questions, one more option box, and
// branching pickers that offer only the chosen question's conditions and values.
// Every button still posts the whole form: the builder works without this file.
(function () {
  "use strict";
  var form = document.querySelector("[data-study-builder]");
  if (!form) return;

  // --- reorder by drag: rewrite the position fields, then save -----------------------
  var list = form.querySelector("[data-question-list]");
  var dragged = null;
  function renumber() {
    list.querySelectorAll("[data-question]").forEach(function (card, index) {
      var position = card.querySelector("[data-position]");
      if (position) position.value = String(index);
    });
  }
  if (list && form.querySelector("[data-drag-handle]")) {
    list.querySelectorAll("[data-question]").forEach(function (card) {
      var handle = card.querySelector("[data-drag-handle]");
      if (!handle) return;
      handle.hidden = false;
      handle.addEventListener("mousedown", function () { card.draggable = true; });
      card.addEventListener("dragstart", function (event) {
        dragged = card;
        card.classList.add("is-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", card.id);
      });
      card.addEventListener("dragend", function () {
        card.classList.remove("is-dragging");
        card.draggable = false;
        if (dragged) {
          dragged = null;
          renumber();
          var save = document.createElement("input");
          save.type = "hidden"; save.name = "action"; save.value = "save";
          form.appendChild(save);
          form.submit();
        }
      });
      card.addEventListener("dragover", function (event) {
        if (!dragged || dragged === card) return;
        event.preventDefault();
        var box = card.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        list.insertBefore(dragged, after ? card.nextSibling : card);
      });
    });
  }

  // --- one more option box -------------------------------------------------------------
  form.querySelectorAll("[data-options]").forEach(function (fieldset) {
    var button = fieldset.querySelector("[data-add-option]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var inputs = fieldset.querySelectorAll("[data-option]");
      var last = inputs[inputs.length - 1];
      var match = last.name.match(/^(q-\d+-options-)(\d+)$/);
      if (!match) return;
      var next = Number(match[2]) + 1;
      var row = last.closest(".option-row").cloneNode(true);
      row.classList.remove("field-error");
      row.querySelectorAll(".error-text").forEach(function (e) { e.remove(); });
      var input = row.querySelector("input");
      var label = row.querySelector("label");
      input.name = input.id = match[1] + next;
      input.value = "";
      input.placeholder = "Option " + (next + 1);
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      label.htmlFor = input.id;
      label.textContent = "Option " + (next + 1);
      button.before(row);
      input.focus();
    });
  });

  // --- branching: only the conditions and values the chosen question can take ----------
  form.querySelectorAll("[data-branching]").forEach(function (fieldset) {
    var question = fieldset.querySelector("[data-branch-question]");
    var op = fieldset.querySelector("[data-branch-op]");
    var value = fieldset.querySelector("[data-branch-value]");
    if (!question || !op || !value) return;
    function sync() {
      var chosen = question.options[question.selectedIndex];
      var ops = (chosen && chosen.dataset.ops ? chosen.dataset.ops : "").split(" ");
      var none = !question.value;
      op.disabled = value.disabled = none;
      Array.prototype.forEach.call(op.options, function (o) {
        o.hidden = o.disabled = ops.indexOf(o.value) === -1;
      });
      if (op.selectedOptions.length && op.selectedOptions[0].disabled) {
        var first = Array.prototype.find.call(op.options, function (o) { return !o.disabled; });
        if (first) op.value = first.value;
      }
      value.multiple = op.value === "in";
      value.querySelectorAll("optgroup").forEach(function (group) {
        var mine = group.dataset.forQuestion === question.value;
        group.hidden = group.disabled = !mine;
        if (!mine) Array.prototype.forEach.call(group.children, function (o) { o.selected = false; });
      });
    }
    question.addEventListener("change", sync);
    op.addEventListener("change", sync);
    sync();
  });

  // --- bring the question just added or moved into view --------------------------------
  var summary = form.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();
