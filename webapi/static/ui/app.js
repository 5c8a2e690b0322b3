// Small progressive enhancements; every page works without them.
(function () {
  'use strict';

  // Move focus to an error summary or refusal notice so keyboard and screen reader users
  // land on what needs fixing.
  document.addEventListener('DOMContentLoaded', function () {
    var target = document.querySelector('[data-autofocus]');
    if (target) {
      target.focus();
    }

    // Links in the error summary: focus the field and show its label, not just scroll.
    document.querySelectorAll('.error-summary a[href^="#"]').forEach(function (link) {
      link.addEventListener('click', function (event) {
        var field = document.getElementById(link.getAttribute('href').slice(1));
        if (!field) {
          return;
        }
        event.preventDefault();
        var holder = field.closest('.field, fieldset') || field;
        holder.scrollIntoView({ block: 'center' });
        field.focus({ preventScroll: true });
      });
    });

    // Filters apply as soon as they change.
    document.querySelectorAll('form.filters').forEach(function (form) {
      form.querySelectorAll('select, input[type=checkbox]').forEach(function (input) {
        input.addEventListener('change', function () { form.submit(); });
      });
    });

    // A form is sent once, however often the button is pressed.
    document.querySelectorAll('form.form').forEach(function (form) {
      form.addEventListener('submit', function () {
        var button = form.querySelector('button[type=submit]');
        if (button) {
          window.setTimeout(function () { button.disabled = true; }, 0);
        }
      });
    });
  });
})();
