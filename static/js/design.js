// The design page's variant rows: add one from the empty-row template, remove one (marked for
// deletion and hidden, so the formset drops it), and keep exactly one row ticked as control.
// Every change is announced as a form "change" so htmx refreshes the live sample size.
(function () {
  "use strict";

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
