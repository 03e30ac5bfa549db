// GrowthOps page behaviour that Bootstrap's data attributes do not cover. No inline scripts:
// the Content-Security-Policy allows only files served from our own origin.
(function () {
  "use strict";

  // A form or button with data-confirm asks before it is sent (kill, reject).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
})();
