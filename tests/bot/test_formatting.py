"""The safe formatting subset: what becomes formatting, what stays text, per channel."""

from __future__ import annotations

import pytest

from relevo.bot.formatting import problems, to_plain, to_telegram_html, to_whatsapp

# (answer as written, plain, WhatsApp, Telegram HTML)
CASES = [
    pytest.param(
        "Las devoluciones son **gratis** durante 30 días.",
        "Las devoluciones son gratis durante 30 días.",
        "Las devoluciones son *gratis* durante 30 días.",
        "Las devoluciones son <b>gratis</b> durante 30 días.",
        id="es-bold",
    ),
    pytest.param(
        "See [our returns page](https://shop.example/returns) for details.",
        "See our returns page (https://shop.example/returns) for details.",
        "See our returns page (https://shop.example/returns) for details.",
        'See <a href="https://shop.example/returns">our returns page</a> for details.',
        id="en-link",
    ),
    pytest.param(
        "Escríbenos a [soporte](mailto:ayuda@tienda.example).",
        "Escríbenos a soporte (ayuda@tienda.example).",
        "Escríbenos a soporte (ayuda@tienda.example).",
        'Escríbenos a <a href="mailto:ayuda@tienda.example">soporte</a>.',
        id="es-mailto",
    ),
    pytest.param(
        "You need:\n- the order number\n- a photo\n\n1. Open **Orders**\n2. Tap Return",
        "You need:\n• the order number\n• a photo\n\n1. Open Orders\n2. Tap Return",
        "You need:\n• the order number\n• a photo\n\n1. Open *Orders*\n2. Tap Return",
        "You need:\n• the order number\n• a photo\n\n1. Open <b>Orders</b>\n2. Tap Return",
        id="en-lists-paragraphs",
    ),
    pytest.param(
        "Pulsa [aquí](javascript:alert(1)) <b>ya</b>",
        "Pulsa [aquí](javascript:alert(1)) <b>ya</b>",
        "Pulsa [aquí](javascript:alert(1)) <b>ya</b>",
        "Pulsa [aquí](javascript:alert(1)) &lt;b&gt;ya&lt;/b&gt;",
        id="es-unsafe-link-and-html-stay-text",
    ),
    pytest.param(
        "**<script>alert(1)</script>** & <img src=x onerror=alert(1)>",
        "<script>alert(1)</script> & <img src=x onerror=alert(1)>",
        "*<script>alert(1)</script>* & <img src=x onerror=alert(1)>",
        "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b> &amp; &lt;img src=x onerror=alert(1)&gt;",
        id="xss-payloads-inert",
    ),
    pytest.param(
        'A [tricky](https://x.example/"onmouseover=alert(1)) link',
        'A [tricky](https://x.example/"onmouseover=alert(1)) link',
        'A [tricky](https://x.example/"onmouseover=alert(1)) link',
        'A [tricky](https://x.example/"onmouseover=alert(1)) link',
        id="quote-in-url-is-no-link",
    ),
    pytest.param(
        "2 ** 3 is 8, and **unclosed stays",
        "2 ** 3 is 8, and **unclosed stays",
        "2 ** 3 is 8, and **unclosed stays",
        "2 ** 3 is 8, and **unclosed stays",
        id="en-lone-stars-are-text",
    ),
    pytest.param(
        "https://shop.example/a?b=1&c=2",
        "https://shop.example/a?b=1&c=2",
        "https://shop.example/a?b=1&c=2",
        "https://shop.example/a?b=1&amp;c=2",
        id="bare-url-is-text",
    ),
]


@pytest.mark.parametrize(("written", "plain", "whatsapp", "telegram"), CASES)
def test_each_channel_renders_the_subset_and_nothing_else(
    written: str, plain: str, whatsapp: str, telegram: str
) -> None:
    assert to_plain(written) == plain
    assert to_whatsapp(written) == whatsapp
    assert to_telegram_html(written) == telegram


def test_a_link_href_is_escaped_for_telegram() -> None:
    html = to_telegram_html("[x](https://a.example/?q=1&r=<2>)")
    assert html == "[x](https://a.example/?q=1&amp;r=&lt;2&gt;)"  # < > refused: no link
    html = to_telegram_html("[x](https://a.example/?q=1&r=2)")
    assert html == '<a href="https://a.example/?q=1&amp;r=2">x</a>'


@pytest.mark.parametrize(
    ("written", "found"),
    [
        ("Fine: [returns](https://shop.example/r), **bold**, <b>html</b>", []),
        ("[x](javascript:alert(1))", ["link 'javascript:alert(1)' is not http, https or mailto"]),
        ("[data](data:text/html,hi) and [ftp](ftp://a.example/f)", [
            "link 'data:text/html,hi' is not http, https or mailto",
            "link 'ftp://a.example/f' is not http, https or mailto",
        ]),
        ("[relative](/returns)", ["link '/returns' is not http, https or mailto"]),
        ("[no host](https:///x)", ["link 'https:///x' is not http, https or mailto"]),
    ],
)
def test_problems_lists_links_that_will_not_be_links(written: str, found: list[str]) -> None:
    assert problems(written) == found


def test_problems_names_the_field() -> None:
    assert problems("[x](javascript:alert(1))", field="answer.es") == [
        "answer.es: link 'javascript:alert(1)' is not http, https or mailto"
    ]
