from rich.console import Console

from summarize.render import to_json, to_markdown, to_rich
from summarize.schema import Brief
from tests.test_schema import brief_data, validate


def brief() -> Brief:
    return validate(brief_data())


def test_rich_view_shows_every_section():
    console = Console(width=100, record=True, color_system=None)
    console.print(to_rich(brief()))
    text = console.export_text()
    for expected in (
        "Trump and Putin agree",
        "Key points",
        "work together very closely",
        "Where: Kremlin",
        "Actors",
        "The Kremlin",
        "\u201cwork together very closely\u201d",  # Trump's quote, under his role
        "Open questions",
        "Will Ukraine take part",
    ):
        assert expected in text


def test_markdown_and_json():
    markdown = to_markdown(brief())
    assert markdown.startswith("# Trump and Putin agree to work together on Ukraine\n")
    assert "**Where:** Kremlin" in markdown
    assert '  > Trump said he and Putin had agreed to "work together very closely".' in markdown
    assert "| Trump | person | Called Putin |  |" in markdown
    assert "## Quotes\n\n- **Trump:** \u201cwork together very closely\u201d\n" in markdown
    assert Brief.model_validate_json(to_json(brief())) == brief()
