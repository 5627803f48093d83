from rich.console import Console

from summarize._render import to_json, to_markdown, to_rich
from summarize._schema import Brief


def brief() -> Brief:
    return Brief(
        headline="Trump and Putin agree to work together on Ukraine",
        summary="Trump spoke to Putin. Zelensky called his own call meaningful.",
        key_points=[
            {
                "point": "Trump and Putin agreed to work together very closely.",
                "evidence": ['Trump said he and Putin had agreed to "work together very closely".'],
            }
        ],
        actors=[
            {
                "name": "Donald Trump",
                "kind": "person",
                "role": "Called Putin",
                "affiliation": "US President",
                "quotes": ["work together very closely"],
            },
            {"name": "Kremlin", "kind": "organization", "role": "Described the call"},
        ],
        places=["Kremlin"],
        open_questions=[{"question": "Will Ukraine take part?", "why_open": "Not said."}],
        timeline=[{"when": "Wednesday", "date": "2025-02-12", "event": "The call."}],
    )


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
        "US President",
        "\u201cwork together very closely\u201d",  # Trump's quote, under his role
        "Timeline",
        "2025-02-12",
        "Open questions",
        "Will Ukraine take part",
    ):
        assert expected in text


def test_markdown_and_json():
    markdown = to_markdown(brief())
    assert markdown.startswith("# Trump and Putin agree to work together on Ukraine\n")
    assert "**Where:** Kremlin" in markdown
    assert '  > Trump said he and Putin had agreed to "work together very closely".' in markdown
    assert "| Donald Trump (US President) | person | Called Putin |  |" in markdown
    assert "## Quotes\n\n- **Donald Trump:** \u201cwork together very closely\u201d\n" in markdown
    assert Brief.model_validate_json(to_json(brief())) == brief()
