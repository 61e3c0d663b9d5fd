// The study builder, enhanced: htmx posts the form and swaps the builder back in place,
// drag to reorder questions, one more option box, and branching pickers that offer only
// the chosen question's conditions and values. Every button still posts the whole form:
// the builder works without this file and without htmx.
(function () {
  "use strict";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function submit(form) {
    var save = document.createElement("input");
    save.type = "hidden"; save.name = "action"; save.value = "save";
    form.appendChild(save);
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  // --- reorder by drag: rewrite the position fields, then save -----------------------
  function initDrag(form) {
    var list = form.querySelector("[data-question-list]");
    if (!list || !form.querySelector("[data-drag-handle]")) return;
    var dragged = null;
    each(list.querySelectorAll("[data-question]"), function (card) {
      var handle = card.querySelector("[data-drag-handle]");
      if (!handle) return;
      handle.hidden = false;
      handle.draggable = true;  // the handle starts a drag; the whole card moves
      handle.addEventListener("dragstart", function (event) {
        dragged = card;
        card.classList.add("is-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", card.id);
        if (event.dataTransfer.setDragImage) event.dataTransfer.setDragImage(card, 16, 16);
      });
      handle.addEventListener("dragend", function () {
        card.classList.remove("is-dragging");
        if (!dragged) return;
        dragged = null;
        each(list.querySelectorAll("[data-question]"), function (c, index) {
          var position = c.querySelector("[data-position]");
          if (position) position.value = String(index);
        });
        submit(form);
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
  function initOptions(form) {
    each(form.querySelectorAll("[data-options]"), function (fieldset) {
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
        each(row.querySelectorAll(".error-text"), function (e) { e.remove(); });
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
  }

  // --- branching: only the conditions and values the chosen question can take ----------
  function initBranching(form) {
    each(form.querySelectorAll("[data-branching]"), function (fieldset) {
      var question = fieldset.querySelector("[data-branch-question]");
      var op = fieldset.querySelector("[data-branch-op]");
      var value = fieldset.querySelector("[data-branch-value]");
      if (!question || !op || !value) return;
      function sync() {
        var chosen = question.options[question.selectedIndex];
        var ops = (chosen && chosen.dataset.ops ? chosen.dataset.ops : "").split(" ");
        op.disabled = value.disabled = !question.value;
        each(op.options, function (o) { o.hidden = o.disabled = ops.indexOf(o.value) === -1; });
        if (op.selectedOptions.length && op.selectedOptions[0].disabled) {
          var first = Array.prototype.find.call(op.options, function (o) { return !o.disabled; });
          if (first) op.value = first.value;
        }
        value.multiple = op.value === "in";
        each(value.querySelectorAll("optgroup"), function (group) {
          var mine = group.dataset.forQuestion === question.value;
          group.hidden = group.disabled = !mine;
          if (!mine) each(group.children, function (o) { o.selected = false; });
        });
      }
      question.addEventListener("change", sync);
      op.addEventListener("change", sync);
      sync();
    });
  }

  // --- after a post: the errors, or the question just added or moved, in view -------------
  function initFocus(form) {
    var summary = form.querySelector("[data-error-summary]");
    var card = form.dataset.focus && document.getElementById(form.dataset.focus);
    var target = summary || card;
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  }

  // A new type needs its own editor: save at once to get it.
  function initTypes(form) {
    each(form.querySelectorAll("[data-type-select]"), function (select) {
      select.addEventListener("change", function () { submit(form); });
    });
  }

  function init(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "true";
    initTypes(form);
    initDrag(form);
    initOptions(form);
    initBranching(form);
  }

  document.querySelectorAll("[data-study-builder]").forEach(init);

  if (window.htmx) {
    // The builder answers 400 with the form and its errors: swap that in too.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.xhr.status === 400 && event.detail.target.matches("[data-study-builder]")) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      // A builder not yet enhanced is the one just swapped in.
      var form = document.querySelector("[data-study-builder]");
      if (!form || form.dataset.enhanced) return;
      init(form);
      var status = form.querySelector("[data-builder-status]");
      if (status && event.detail.xhr && event.detail.xhr.status === 200) status.textContent = "Saved.";
      initFocus(form);
      var swaps = Number(document.body.dataset.builderSwaps || 0) + 1;
      document.body.dataset.builderSwaps = String(swaps);
    });
  }
})();
