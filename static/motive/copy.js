// Copy buttons: <button data-copy="ID"> copies the text of the element with that id and
// says so in the nearest [data-copy-status] (an aria-live region). Without JavaScript the
// text is still selectable (user-select: all).
(function () {
  "use strict";
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var scope = button.closest("section") || document;
    var status = scope.querySelector("[data-copy-status]");
    var label = button.textContent.replace(/^Copy /, "");
    copy(source.textContent).then(function () {
      button.setAttribute("data-copied", "");
      if (status) { status.textContent = label.charAt(0).toUpperCase() + label.slice(1) + " copied to the clipboard."; }
    }, function () {
      if (status) { status.textContent = "Copying was refused by the browser: select the text and copy it by hand."; }
    });
  });
})();
