"""User text is data, not markup: hostile requirements rendered by three real Markdown engines.

Every engine here is configured to pass raw HTML through (as JupyterLab does for a trusted
notebook, and mkdocs always does), so the escaping in ``pyt_arch_kit.markup`` is all that stands
between a requirement's summary and a ``<script>``. The browser tests in ``tests/browser`` render
the same payloads in JupyterLab and on a built site and check that nothing runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import markdown as python_markdown
import mistune
import pytest
from bs4 import BeautifulSoup
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pyt_arch_kit import SECTIONS, Architect, Requirements, preset
from pyt_arch_kit.design import APPENDIX, Design, parse_sections
from pyt_arch_kit.markup import cell, html, inert_markdown, inline, mermaid_label
from pyt_arch_kit.render import plan_markdown, requirements_markdown
from pyt_arch_kit.writer.diagram import mermaid

FENCE_BREAK = (
    "x\n```\n\n## System Diagram\n\n```mermaid\nflowchart LR\n  a --> b\n"
    "  click a \"javascript:window.__pwned='mermaid'\"\n```\n\n## Risks and Mitigations\n\nforged"
)
PAYLOADS = [
    "<script>window.__pwned='script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    "<details open ontoggle=\"window.__pwned='details'\">x</details>",
    "<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
    "<a href=\"javascript:window.__pwned='a'\">a</a>",
    "<style>body{display:none}</style>",
    '<div markdown="1" onclick="window.__pwned=1">md in html</div>',
    "[click me](javascript:window.__pwned='link')",
    "![x](javascript:window.__pwned='image')",
    "<javascript:window.__pwned='autolink'>",
    "Para\n{: onclick=\"window.__pwned='attr'\" }",
    "$\\href{javascript:window.__pwned='math'}{x}$ and \\\\[x\\\\]",
    FENCE_BREAK,
    "~~~\n## Executive Summary\nforged",
    "<!-- an unterminated comment",
    "- a list\n1. ordered\n> quote\n---\n# H1\n=====",
    "| a | b |\n|---|---|\n| c | d |",
    "&lt;script&gt;window.__pwned='entity'&lt;/script&gt;",
    "%%{init: {'securityLevel': 'loose'}}%%",
    "\x1b[31mred\x1b[0m and a \u2028line separator\u2029",
]
HOSTILE = "\n".join(PAYLOADS)
ONE_LINE = " ".join(p.replace("\n", " ") for p in PAYLOADS[:10])[:120]

ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr",
    "th", "td", "ul", "ol", "li", "blockquote", "br", "hr", "div", "span", "a",
}  # fmt: skip

Renderer = Callable[[str], str]
RENDERERS: dict[str, Renderer] = {
    "markdown-it (CommonMark, html on)": MarkdownIt("commonmark", {"html": True})
    .enable("table")
    .render,
    "mistune (nbconvert)": mistune.create_markdown(escape=False, plugins=["table"]),  # type: ignore[dict-item]
    "Python-Markdown (mkdocs' extensions)": lambda text: python_markdown.markdown(
        text,
        extensions=["attr_list", "md_in_html", "tables", "admonition", "pymdownx.superfences"],
    ),
}


def hostile_requirements() -> Requirements:
    base = preset("io-bound-api").model_dump(mode="json")
    base["name"] = ONE_LINE
    base["summary"] = HOSTILE[:4000]
    base["proposed"] = {**base["proposed"], "technologies": PAYLOADS[:12], "notes": HOSTILE[:4000]}
    base["infrastructure"] = {**base["infrastructure"], "existing_services": PAYLOADS[12:]}
    return Requirements.parse(base)


#: Attributes a browser follows or loads as a URL.
URL_ATTRS = {"href", "src", "action", "formaction", "poster", "xlink:href", "background", "srcset"}


def assert_inert(rendered: str) -> BeautifulSoup:
    """Nothing in the HTML can run: no unexpected tags, no handlers, no script URLs."""
    soup = BeautifulSoup(rendered, "html.parser")
    for tag in soup.find_all(True):
        assert tag.name in ALLOWED_TAGS, str(tag)[:200]
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), str(tag)[:200]
            shown = " ".join(value) if isinstance(value, list) else str(value)
            if attr.lower() in URL_ATTRS:  # what a browser runs is the scheme, as it reads it
                url = "".join(c for c in shown if c.isprintable() and not c.isspace()).lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:")), str(tag)[:200]
    assert "<!--" not in rendered
    return soup


@pytest.mark.parametrize("engine", list(RENDERERS))
def test_a_hostile_design_renders_as_text_in_every_engine(engine: str) -> None:
    req = hostile_requirements()
    design = Architect().design(req)
    render = RENDERERS[engine]
    soup = assert_inert(render(design.to_markdown()))
    assert [h.get_text() for h in soup.find_all("h2")] == [*SECTIONS, APPENDIX]
    assert len(soup.find_all("h1")) == 1
    text = soup.get_text()
    assert "window.__pwned='script'" in text and "<img src=x" in text  # shown, as data
    for md in (requirements_markdown(req), plan_markdown(design.plan)):  # type: ignore[arg-type]
        soup = assert_inert(render(md))
        assert not soup.find_all(["h1", "h2"])


def test_a_hostile_summary_cannot_forge_a_section_or_the_diagram() -> None:
    design = Architect().design(hostile_requirements())
    assert list(design.sections) == list(SECTIONS)
    assert design.diagram == mermaid(design.plan)  # type: ignore[arg-type]
    assert "click" not in design.diagram and "forged" not in design.section("Risks and Mitigations")
    assert design.text.count("```mermaid") == 1


@settings(max_examples=60, deadline=None)
@given(summary=st.text(max_size=300), name=st.text(min_size=1, max_size=60))
@example(summary=FENCE_BREAK, name="x")
@example(summary="~~~", name="## System Diagram")
def test_no_summary_or_name_changes_the_designs_structure(summary: str, name: str) -> None:
    one_line = "".join(c for c in name if c.isprintable() and c not in "\u2028\u2029") or "x"
    req = preset("grpc-internal").model_copy(update={"summary": summary, "name": one_line})
    design = Architect().design(req)
    assert list(design.sections) == list(SECTIONS)
    assert design.diagram == mermaid(design.plan)  # type: ignore[arg-type]
    soup = BeautifulSoup(
        RENDERERS["markdown-it (CommonMark, html on)"](design.to_markdown()), "html.parser"
    )
    assert [h.get_text() for h in soup.find_all("h2")] == [*SECTIONS, APPENDIX]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_inline_text_keeps_every_visible_character(payload: str) -> None:
    rendered = MarkdownIt("commonmark", {"html": True}).render(inline(payload))
    soup = assert_inert(rendered)
    assert soup.find_all(True)[0].name == "p" and len(soup.find_all(True)) == 1
    visible = " ".join("".join(c if c.isprintable() else " " for c in payload).split())
    assert " ".join(soup.get_text().split()) == visible


def test_table_cells_cannot_break_the_table() -> None:
    row = f"| {cell('a | b')} | {cell('line one' + chr(10) + 'line two')} |"
    table = "| x | y |\n|---|---|\n" + row
    soup = BeautifulSoup(MarkdownIt("commonmark").enable("table").render(table), "html.parser")
    cells = [td.get_text() for td in soup.find_all("td")]
    assert cells == ["a | b", "line one line two"]


@pytest.mark.parametrize("payload", [*PAYLOADS, 'x"]\n    click x "javascript:alert(1)"'])
def test_a_mermaid_label_cannot_leave_its_quotes(payload: str) -> None:
    label = mermaid_label(payload)
    bare = re.sub(r"#(?:\d+|quot);", "", label)  # what is left besides mermaid's entity codes
    assert '"' not in bare and "\n" not in bare and ";" not in bare and "#" not in bare
    assert "`" not in bare and "%" not in bare and "<" not in bare


def test_html_escapes_text_and_attributes() -> None:
    assert (
        html("<img src=\"x\" onerror='y'>") == "&lt;img src=&quot;x&quot; onerror=&#x27;y&#x27;&gt;"
    )


# -- parse_sections reads fences and lines as CommonMark does ---------------------------------


def six(bodies: dict[str, str] | None = None) -> str:
    bodies = bodies or {}
    return "\n\n".join(f"## {s}\n\n{bodies.get(s, s + ' body')}" for s in SECTIONS) + "\n"


def test_a_longer_fence_is_not_closed_by_a_shorter_one() -> None:
    quoted = "````markdown\n```\n## System Diagram\nforged\n```\n````"
    sections = parse_sections(six({"Executive Summary": quoted}))
    assert list(sections) == list(SECTIONS)
    assert sections["System Diagram"] == "System Diagram body"


def test_a_fence_with_an_info_string_does_not_close_a_fence() -> None:
    quoted = "```\n```python\n## Technology Stack\nforged\n```"
    sections = parse_sections(six({"Executive Summary": quoted}))
    assert sections["Technology Stack"] == "Technology Stack body"


def test_tilde_fences_and_indented_fences_count() -> None:
    quoted = "   ~~~\n## Risks and Mitigations\n~~~~"
    sections = parse_sections(six({"Executive Summary": quoted}))
    assert sections["Risks and Mitigations"] == "Risks and Mitigations body"


def test_unicode_line_separators_do_not_start_a_heading() -> None:
    text = six({"Executive Summary": "intro\u2028## System Diagram\u2029forged"})
    assert parse_sections(text)["System Diagram"] == "System Diagram body"


# -- Markdown a model wrote -------------------------------------------------------------------

MODEL_PAYLOADS = [
    *PAYLOADS,
    "\\`<img src=x onerror=\"window.__pwned='escaped-tick'\">`",
    "[x](<javascript:window.__pwned='angle'>)",
    "[x](jav&#97;script:window.__pwned='entity-scheme')",
    "[x]( JaVaScRiPt:window.__pwned='case')",
    "[ref]\n\n[ref]: javascript:window.__pwned='ref'",
    "``<img src=x onerror=\"window.__pwned='no-close'\">",
    "<img\nsrc=x onerror=\"window.__pwned='multiline'\">",
    "<a href='data:text/html,<script>parent.__pwned=1</script>'>d</a>",
    "a `\nb\\\\`<img src=x onerror=\"window.__pwned='span-across-lines'\">`",
    "[x](\njavascript:window.__pwned='next-line')",
    "[ref]\n\n[ref]:\n  javascript:window.__pwned='def-next-line'",
    "~~~[x](<javascript:window.__pwned='unclosed-fence-info'>)",
    "```\n<img src=x onerror=\"window.__pwned='unclosed-fence'\">",
    # found by review: a renderer that does not read a kept code span or fence as code
    "| a | b |\n|---|---|\n| `x | <img src=x onerror=\"window.__pwned='cell'\"> ` |",
    "[a](x`) <img src=x onerror=\"window.__pwned='dest-tick'\"> `)",
    '[a](x "`") <img src=x onerror="window.__pwned=\'title-tick\'"> `',
    "- a\n\n  ```\n<img src=x onerror=\"window.__pwned='list-fence'\">\n  ```",
    "1. a\n   ```\n<script>window.__pwned='list-fence-2'</script>\n   ```",
    "  ```\nA\n```\n<img src=x onerror=\"window.__pwned='indented-fence'\">\n```\n  ```",
    "[a](javascript\\:window.__pwned='backslash-scheme')",
    "[a]\n\n[a]: javascript\\:window.__pwned='backslash-ref'",
]


def model_design(body: str) -> str:
    """A six-section answer whose every section carries ``body`` (as a hostile model might)."""
    return "\n\n".join(f"## {s}\n\n{body}" for s in SECTIONS) + "\n"


@pytest.mark.parametrize("engine", list(RENDERERS))
def test_a_model_answer_with_raw_html_renders_inert_in_every_engine(engine: str) -> None:
    for payload in MODEL_PAYLOADS:
        assert_inert(RENDERERS[engine](inert_markdown(model_design(payload))))


def test_code_in_a_model_answer_is_kept_byte_for_byte() -> None:
    text = (
        "| Library | Version |\n|---|---|\n| pydantic | `>=2.7,<3` |\n\n"
        '```mermaid\nflowchart LR\n    a["x<br/>y"] --> b\n```\n\n'
        "~~~python\nif a < b and '<b>' in s:\n    pass\n~~~\n\nUse `` <T> `` generics.\n"
    )
    assert inert_markdown(text) == text


def test_an_offline_design_displays_exactly_as_written() -> None:
    design = Architect().design(preset("payments-ledger"))
    assert design._repr_markdown_() == design.to_markdown()


def test_a_model_design_displays_inert_but_keeps_its_text() -> None:
    from pyt_arch_kit import Design

    text = model_design("<img src=x onerror=\"window.__pwned='img'\"> and `a<b`")
    design = Design(title="t", text=text)
    assert_inert(RENDERERS["markdown-it (CommonMark, html on)"](design._repr_markdown_()))
    assert design.text == text and "<img" in design.to_markdown()  # the file keeps what arrived
    assert "`a<b`" in design._repr_markdown_()


#: Where a model's Markdown is rendered: JupyterLab (marked, a CommonMark dialect) and nbconvert
#: (mistune). Python-Markdown sees it only in the HTML report, which escapes raw HTML itself.
MODEL_RENDERERS = ["markdown-it (CommonMark, html on)", "mistune (nbconvert)"]


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                *MODEL_PAYLOADS,
                "`",
                "``",
                "\\",
                "\n",
                "```",
                "~~~",
                " x ",
                "](",
                "  ```",
                "|",
                "](x",
                "- ",
                '"',
            ]
        )
    ),
    st.sampled_from(MODEL_RENDERERS),
)
def test_no_mix_of_hostile_fragments_renders_live_html(parts: list[str], engine: str) -> None:
    assert_inert(RENDERERS[engine](inert_markdown("".join(parts))))


# -- remote resources in a model's answer (issue 23, item 10) ---------------------------------

REMOTE = (
    "Look: ![pixel](https://evil.example/t.png) and ![ref][px] and "
    '![t](https://evil.example/t2.png "title")\n\n'
    "[px]: https://evil.example/ref.png\n\n"
    "```mermaid\nflowchart LR\n"
    '  a["<img src=https://evil.example/m.png> API"] --> b["db<br/>store"]\n'
    '  b --> c["<iframe src=https://evil.example/f></iframe>x"]\n```\n'
)


def model_design_with_remote_resources() -> Design:
    text = Architect().design(preset("io-bound-api")).text
    return Design(
        title="t", text=text.replace("## Executive Summary\n", "## Executive Summary\n" + REMOTE, 1)
    )


def fetched(rendered: str) -> list[str]:
    """Every URL the rendered HTML (and a mermaid block's labels) would load by itself."""
    soup = BeautifulSoup(rendered, "html.parser")
    urls = [t.get("src", "") for t in soup.find_all(["img", "iframe", "source", "video"])]
    for code in soup.find_all("code"):  # a mermaid fence: JupyterLab renders its HTML labels
        label = BeautifulSoup(code.get_text(), "html.parser")
        urls += [t.get("src", "") for t in label.find_all(["img", "iframe", "image"])]
    return [u for u in urls if u]


@pytest.mark.parametrize("engine", list(RENDERERS))
def test_a_models_remote_images_are_not_fetched_in_the_notebook_view(engine: str) -> None:
    assert fetched(RENDERERS[engine](REMOTE)), "the payload itself fetches"
    design = model_design_with_remote_resources()
    assert fetched(RENDERERS[engine](design._repr_markdown_())) == []
    assert fetched(RENDERERS[engine](inert_markdown(REMOTE))) == []


def test_a_removed_image_keeps_its_text_and_link() -> None:
    shown = inert_markdown(REMOTE)
    assert "[pixel](https://evil.example/t.png)" in shown  # a link the reader may follow
    assert 'a[" API"]' in shown and 'b["db<br/>store"]' in shown  # labels keep their text


def test_the_workbench_view_fetches_nothing() -> None:
    from pyt_arch_kit.widgets.view import markdown_output

    shown = markdown_output(REMOTE)["data"]["text/markdown"]
    for render in RENDERERS.values():
        assert fetched(render(shown)) == []
