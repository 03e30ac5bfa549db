// The design page's variant rows: add one from the empty-row template, remove one (marked for
// deletion and hidden, so the formset drops it), and keep exactly one row ticked as control.
// Every change is announced as a form "change" so htmx refreshes the live sample size.
(function () {
  "use strict";

  // A save or submit waits for a preview still on its way (leaving the page would abort it),
  // and no preview starts once the form is being sent.
  var designForm = document.getElementById("design-form");
  if (designForm && designForm.hasAttribute("hx-post")) {
    var previewing = false;
    var sending = null;
    designForm.addEventListener("htmx:beforeRequest", function (event) {
      if (sending) {
        event.preventDefault();
        return;
      }
      previewing = true;
    });
    designForm.addEventListener("htmx:afterRequest", function () {
      previewing = false;
      if (sending && sending !== true) {
        var submitter = sending;
        sending = true;
        designForm.requestSubmit(submitter);
      }
    });
    designForm.addEventListener("submit", function (event) {
      if (previewing) {
        event.preventDefault();
        sending = event.submitter || designForm.querySelector("button[type=submit]");
        return;
      }
      sending = true;
    });
  }

  // "Use 0.052" beside a suggestion puts the value in its field (and so refreshes the preview).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use-suggestion]");
    if (!button || !designForm) {
      return;
    }
    var field = designForm.elements[button.getAttribute("data-use-suggestion")];
    if (field) {
      field.value = button.getAttribute("data-value");
      field.dispatchEvent(new Event("change", { bubbles: true }));
      field.focus();
    }
  });

  var rows = document.getElementById("variant-rows");
  var template = document.getElementById("variant-template");
  var addButton = document.getElementById("add-variant");
  if (!rows || !template || !addButton) {
    return;
  }
  var form = rows.closest("form");
  var total = form.querySelector("input[name$='-TOTAL_FORMS']");

  function changed() {
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  addButton.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
    total.value = index + 1;
    var added = rows.lastElementChild;
    added.querySelector("input[name$='-key']").focus();
    changed();
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-variant]");
    if (!button) {
      return;
    }
    var row = button.closest("[data-variant-row]");
    row.querySelector("input[name$='-DELETE']").checked = true;
    row.hidden = true;
    var next = rows.querySelector("[data-variant-row]:not([hidden]) input");
    if (next) {
      next.focus();
    }
    changed();
  });

  rows.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.classList.contains("variant-control") || !box.checked) {
      return;
    }
    rows.querySelectorAll(".variant-control").forEach(function (other) {
      if (other !== box) {
        other.checked = false;
      }
    });
  });
})();
