/* The respondent page, enhanced: ranking by drag and drop or move buttons, text areas
   that grow, at most N checkboxes. Everything works without this script: ranking
   falls back to a place (select) per option. Listeners are delegated from the
   document, so content swapped in by htmx needs no setup. */
(function () {
  "use strict";

  function renumber(list) {
    var items = list.querySelectorAll(".rank-item");
    items.forEach(function (item, index) {
      var select = item.querySelector(".rank-select");
      if (select) { select.value = String(index + 1); }
    });
  }

  function enhance(root) {
    root.querySelectorAll("[data-ranking]").forEach(function (list) {
      if (list.dataset.enhanced) { return; }
      list.dataset.enhanced = "1";
      list.classList.add("ranking-enhanced");
      list.querySelectorAll(".rank-moves").forEach(function (moves) { moves.hidden = false; });
      var hint = document.getElementById("rank-hint");
      if (hint) {
        hint.querySelectorAll(".rank-hint-places").forEach(function (el) { el.hidden = true; });
        hint.querySelectorAll(".rank-hint-moves").forEach(function (el) { el.hidden = false; });
      }
      list.querySelectorAll(".rank-select").forEach(function (select) {
        select.tabIndex = -1;
        select.setAttribute("aria-hidden", "true");
        select.classList.add("visually-hidden");
      });
      renumber(list);
    });
    root.querySelectorAll("textarea[data-autogrow]").forEach(grow);
  }

  function grow(area) {
    area.style.height = "auto";
    area.style.height = area.scrollHeight + 2 + "px";
  }

  function move(item, up) {
    var list = item.parentElement;
    var sibling = up ? item.previousElementSibling : item.nextElementSibling;
    if (!sibling) { return; }
    if (up) { list.insertBefore(item, sibling); } else { list.insertBefore(sibling, item); }
    renumber(list);
    var button = item.querySelector(up ? ".rank-up" : ".rank-down");
    if (button) { button.focus(); }
    announce(item.querySelector(".rank-label").textContent + ": " +
      (Array.prototype.indexOf.call(list.children, item) + 1));
  }

  function announce(text) {
    var region = document.getElementById("announce");
    if (region) { region.textContent = text; }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".rank-up, .rank-down");
    if (!button) { return; }
    event.preventDefault();
    move(button.closest(".rank-item"), button.classList.contains("rank-up"));
  });

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest(".rank-item");
    if (!item) { return; }
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.index || "");
  });
  document.addEventListener("dragover", function (event) {
    var over = event.target.closest && event.target.closest(".rank-item");
    if (!dragged || !over || over === dragged || over.parentElement !== dragged.parentElement) { return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentElement.insertBefore(dragged, after ? over.nextSibling : over);
  });
  document.addEventListener("dragend", function () {
    if (!dragged) { return; }
    dragged.classList.remove("dragging");
    renumber(dragged.parentElement);
    dragged = null;
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-autogrow]")) { grow(event.target); }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches(".choices[data-max] input[type=checkbox]")) { return; }
    var group = box.closest(".choices");
    var max = parseInt(group.dataset.max, 10);
    var boxes = group.querySelectorAll("input[type=checkbox]");
    var checked = group.querySelectorAll("input[type=checkbox]:checked").length;
    boxes.forEach(function (other) { other.disabled = !other.checked && checked >= max; });
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
})();
