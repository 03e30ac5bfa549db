// GrowthOps page behaviour that Bootstrap's data attributes do not cover. No inline scripts:
// the Content-Security-Policy allows only files served from our own origin.
(function () {
  "use strict";

  // Ask in the page's confirmation modal (base.html); the browser's own dialog where the modal
  // or Bootstrap is missing.
  function askToConfirm(message, proceed) {
    var element = document.getElementById("confirm-modal");
    if (!element || !window.bootstrap) {
      if (window.confirm(message)) proceed();
      return;
    }
    document.getElementById("confirm-modal-message").textContent = message;
    var modal = window.bootstrap.Modal.getOrCreateInstance(element);
    document.getElementById("confirm-modal-ok").onclick = function () {
      modal.hide();
      proceed();
    };
    modal.show();
  }

  // A form with data-confirm asks before it is sent (kill, reject, sunset, archive).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (!message || form.dataset.confirmed === "yes") return;
    event.preventDefault();
    var submitter = event.submitter;
    askToConfirm(message, function () {
      form.dataset.confirmed = "yes";
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      delete form.dataset.confirmed;
    });
  }, true);

  // htmx's hx-confirm asks in the same modal instead of the browser's dialog.
  document.addEventListener("htmx:confirm", function (event) {
    var message = event.detail.question;
    if (!message) return;
    event.preventDefault();
    askToConfirm(message, function () {
      event.detail.issueRequest(true);
    });
  });
})();

// Escape closes an open inline score editor and returns focus to its summary.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var editor = event.target.closest && event.target.closest("details[data-score-editor][open]");
  if (!editor) return;
  editor.open = false;
  editor.querySelector("summary").focus();
});
