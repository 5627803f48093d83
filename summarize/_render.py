"""Views of a Brief: a rich renderable for the terminal, Markdown, and JSON.

The Brief knows nothing of terminals; each output format has one function here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType

    from summarize._schema import Brief


def to_json(brief: Brief) -> str:
    """The brief as JSON, exactly as the schema defines it."""
    return brief.model_dump_json(indent=2)


def to_markdown(brief: Brief) -> str:
    """The brief as a Markdown document."""
    lines = [f"# {brief.headline}", "", brief.summary, ""]
    if brief.places:
        lines += [f"**Where:** {', '.join(brief.places)}", ""]
    lines += ["## Key points", ""]
    for point in brief.key_points:
        lines.append(f"- {point.point}")
        lines.extend(f"  > {quote}" for quote in point.evidence)
    lines += ["", "## Actors", "", "| Name | Kind | Role | Stance |", "|---|---|---|---|"]
    for actor in brief.actors:
        name = actor.name + (f" ({actor.affiliation})" if actor.affiliation else "")
        cells = [name, actor.kind, actor.role, actor.stance or ""]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    quoted = [(actor.name, quote) for actor in brief.actors for quote in actor.quotes]
    if quoted:
        lines += ["", "## Quotes", ""]
        lines.extend(f"- **{name}:** \u201c{quote}\u201d" for name, quote in quoted)
    if brief.timeline:
        lines += ["", "## Timeline", ""]
        for event in brief.timeline:
            lines.append(f"- **{event.date or event.when}** ({event.when}) {event.event}")
    if brief.open_questions:
        lines += ["", "## Open questions", ""]
        for question in brief.open_questions:
            lines.append(f"- **{question.question}** {question.why_open}")
    return "\n".join(lines) + "\n"


def draft(text: str) -> dict[str, Any]:
    """What a brief being written already says: its JSON so far, parsed leniently."""
    import jiter

    try:
        data = jiter.from_json(text.encode(), partial_mode="trailing-strings")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def to_rich_draft(data: dict[str, Any]) -> RenderableType:
    """The brief as far as the model has written it, before it is checked."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    body = Text()
    body.append(str(data.get("headline") or "…") + "\n\n", style="bold")
    body.append(str(data.get("summary") or ""))
    lines = Text()
    for point in data.get("key_points") or []:
        if isinstance(point, str) and point:
            lines.append(f"• {point}\n")
    roles = data.get("actors")
    if isinstance(roles, dict) and roles:
        lines.append(f"Actors: {len(roles)} roles written", style="dim")
    lines.rstrip()
    return Group(
        Panel(body, title="writing… (not yet checked)", title_align="left", border_style="dim"),
        lines,
    )


def to_rich(brief: Brief) -> RenderableType:
    """A rich renderable: headline panel (with where), key points, actors table (with
    their quotes), timeline, open questions."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    # The headline goes inside the panel: a panel title is cut to one line.
    lead = [Text(brief.headline, style="bold"), Text(""), Text(brief.summary)]
    if brief.places:
        lead += [Text(""), Text("Where: " + ", ".join(brief.places), style="dim")]
    parts: list[RenderableType] = [Panel(Group(*lead))]

    points = Text()
    for number, point in enumerate(brief.key_points, start=1):
        points.append(f"{number}. {point.point}\n", style="bold")
        for quote in point.evidence:
            # No added quote marks: a passage may hold the article's own.
            points.append(f"   > {quote}\n", style="italic dim")
    points.rstrip()
    parts.append(Panel(points, title="Key points", title_align="left"))

    with_stance = any(actor.stance for actor in brief.actors)
    actors = Table(title="Actors", title_justify="left", expand=True, show_lines=False)
    for column in ("Name", "Kind", "Role", *(["Stance"] if with_stance else [])):
        actors.add_column(column, overflow="fold")
    for actor in brief.actors:
        name = Text(actor.name, style="bold")
        if actor.affiliation:
            name.append(f"\n{actor.affiliation}", style="dim")
        role = Text(actor.role)
        for quote in actor.quotes:  # the article's quoted words, without their marks
            role.append(f"\n\u201c{quote}\u201d", style="italic")
        cells = [name, actor.kind, role, *([actor.stance or ""] if with_stance else [])]
        actors.add_row(*cells)
    parts.append(actors)

    if brief.timeline:
        timeline = Table(title="Timeline", title_justify="left", expand=True)
        timeline.add_column("Date", no_wrap=True)
        timeline.add_column("Event", overflow="fold")
        for event in brief.timeline:
            timeline.add_row(f"{event.date or '?'}\n[dim]{event.when}[/dim]", event.event)
        parts.append(timeline)

    if brief.open_questions:
        questions = Text()
        for question in brief.open_questions:
            questions.append(f"? {question.question}\n", style="bold")
            questions.append(f"  {question.why_open}\n", style="dim")
        questions.rstrip()
        parts.append(Panel(questions, title="Open questions", title_align="left"))
    return Group(*parts)
