from sources.text import clean_text, repair_mojibake


def test_entities_markup_and_whitespace():
    assert clean_text("St Bede&apos;s  \n School") == "St Bede's School"
    assert clean_text("Tom &amp;amp; Jerry") == "Tom & Jerry"
    assert clean_text("<p>One</p><p>Two<br>Three</p>", multiline=True) == "One\n\nTwo\nThree"
    assert clean_text("a\r\n\r\n\r\n\r\nb   c", multiline=True) == "a\n\nb c"
    assert clean_text(None) == ""


def test_mojibake_repaired_but_real_accents_kept():
    assert repair_mojibake("it\u00e2\u20ac\u2122s") == "it\u2019s"
    assert repair_mojibake("café naïve") == "café naïve"


def test_markup_is_text_not_html_when_escaped():
    assert clean_text("&lt;b&gt;bold&lt;/b&gt;") == "<b>bold</b>"
