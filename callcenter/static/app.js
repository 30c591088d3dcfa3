// Small behaviours every page may use, kept out of the HTML so that the Content-Security-Policy
// allows no inline script: a select marked data-autosubmit sends its form when it changes.
(function () {
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) select.form.submit();
  });
})();
