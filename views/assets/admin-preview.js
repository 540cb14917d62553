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

// Colour pickers paired with their text field: shown only with this script, each follows the other.
(function () {
  var pickers = document.querySelectorAll('input[type="color"][data-color-for]');
  Array.prototype.forEach.call(pickers, function (picker) {
    var text = document.getElementById(picker.getAttribute('data-color-for'));
    if (!text) return;
    picker.hidden = false;
    picker.addEventListener('input', function () {
      text.value = picker.value;
      text.dispatchEvent(new Event('input', { bubbles: true }));
    });
    text.addEventListener('input', function () {
      var v = text.value.trim();
      if (/^#[0-9a-fA-F]{3}$/.test(v)) v = '#' + v[1] + v[1] + v[2] + v[2] + v[3] + v[3];
      if (/^#[0-9a-fA-F]{6}$/.test(v)) picker.value = v.toLowerCase();
    });
  });
})();
