// Live branding preview (progressive enhancement): re-posts the branding form into the preview frame as the
// operator types. Without this script the "Preview" button does the same on click.
(function () {
  var form = document.getElementById('branding-form');
  if (!form) return;
  var button = form.querySelector('[data-preview-button]');
  var timer = null;
  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { if (form.requestSubmit) form.requestSubmit(button); }, 300);
  });
})();
