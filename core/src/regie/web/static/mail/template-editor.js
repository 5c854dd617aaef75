// Placeholder picker of the mail template editor: a click inserts the placeholder into the
// field that last had the focus, at the cursor, and tells htmx the form changed (preview).
(function () {
  "use strict";
  var last = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-placeholder-target]")) { last = event.target; }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-insert]");
    if (!button) { return; }
    var field = last || document.querySelector("[data-placeholder-target]");
    if (!field) { return; }
    var text = button.getAttribute("data-insert");
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? start : field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
}());
