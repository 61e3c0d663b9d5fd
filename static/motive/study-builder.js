// The study builder, enhanced: htmx posts the form and swaps the builder back in place,
// drag to reorder questions, one more option box, and branching pickers that offer only
// the chosen question's conditions and values, as typed (saved or not). Every button
// still posts the whole form: the builder works without this file and without htmx.
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

  // --- branching values follow what is typed above, before it is saved ------------------
  // The values the question in `card` can take as typed now (as the server computes
  // them: options trimmed, blank ones left out, each once; a scale's whole points when
  // its bounds make sense), or null when typing cannot change them (yes/no).
  function typedValues(card) {
    var options = card.querySelectorAll("[data-option]");
    if (options.length) {
      var seen = [];
      each(options, function (input) {
        var text = input.value.trim();
        if (text && seen.indexOf(text) === -1) seen.push(text);
      });
      return seen;
    }
    var low = card.querySelector("input[name$='-min']");
    var high = card.querySelector("input[name$='-max']");
    if (!low || !high) return null;
    var whole = /^\s*-?[0-9]{1,9}\s*$/;  // builder._WHOLE
    if (!whole.test(low.value) || !whole.test(high.value)) return [];
    var from = parseInt(low.value, 10), to = parseInt(high.value, 10);
    if (!(to - from > 0 && to - from <= 100)) return [];
    var points = [];
    for (var n = from; n <= to; n++) points.push(String(n));
    return points;
  }

  function refillGroup(group, values) {
    var current = Array.prototype.map.call(group.children, function (o) { return o.value; });
    if (current.join("\n") === values.join("\n") && current.length === values.length) return;
    var chosen = {};
    each(group.children, function (o) { if (o.selected) chosen[o.value] = true; });
    while (group.firstChild) group.removeChild(group.firstChild);
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = option.textContent = value;
      option.selected = chosen[value] === true;  // a value no longer offered is dropped
      group.appendChild(option);
    });
  }

  function initTypedValues(form) {
    form.addEventListener("input", function (event) {
      var card = event.target.closest && event.target.closest("[data-question]");
      var match = card && card.id.match(/^question-(\d+)$/);
      if (!match) return;
      var values = typedValues(card);
      if (values === null) return;
      each(form.querySelectorAll("optgroup[data-for-index='" + match[1] + "']"), function (group) {
        refillGroup(group, values);
      });
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
    initTypedValues(form);
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
