"""``client.submit`` sends what a browser would: the form's own values unless the test
overrides them."""

from __future__ import annotations

from regie.testing import form_fields

PAGE = """
<form method="post">
  <input type="hidden" name="csrf_token" value="tok">
  <input name="name" value="Dupont">
  <input type="checkbox" name="newsletter" value="y">
  <input type="checkbox" name="terms" value="y" checked>
  <select name="city">
    <option value="1">Kremenchuk</option><option value="2" selected>Poltava</option>
  </select>
  <select name="service"><option value="gas">Gas</option><option value="water">Water</option>
  </select>
  <textarea name="notes">
Line one
Line two</textarea>
</form>
"""


def test_a_form_gives_the_values_a_browser_would_send():
    assert form_fields(PAGE) == {
        "csrf_token": "tok", "name": "Dupont", "terms": "y", "city": "2", "service": "gas",
        "notes": "Line one\nLine two"}
