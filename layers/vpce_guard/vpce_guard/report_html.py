"""The HTML report (``--format html``): one self-contained page for a person reviewing VPC endpoints.

The page holds everything it shows: its style and its one script are inline, and its Content-Security-Policy
lets the browser fetch nothing and run no script but that one (allowed by its hash). Every text from AWS or
from the state table (names, tags, service names, details, evidence holding policy text) is escaped, so markup
in a tag is shown as text; the policy keeps it inert even if escaping missed it. The page is ASCII: any other
character is written as a character reference, whatever encoding stdout has.

It shows a summary by severity and by check, the endpoints of each VPC by availability zone
(``vpce_guard.zone_grid``), and every finding with its evidence and remediation, in a table the script
sorts (a click on a column's header) and filters (a text box, and a select per severity, check and status).
Every number on it is counted from the findings and facts given.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape

import msgspec

from vpce_guard import __version__
from vpce_guard.catalog import parse_service_name
from vpce_guard.checks import CHECKS
from vpce_guard.facts import Facts
from vpce_guard.findings import CHECKS_ANCHOR, README_SECTION, Finding, Severity
from vpce_guard.sarif import Recorded, check_summary
from vpce_guard.vocabulary import Status
from vpce_guard.zone_grid import Cell, VpcGrid, grids_of, grids_of_findings

SEVERITIES = tuple(reversed(Severity))  # most severe first
CELL_MARKS: Mapping[Cell, str] = {
    Cell.COVERED: "&#x2713;",
    Cell.MISSING: "&#x2717;",
    Cell.NOT_OFFERED: "&#x2013;",
    Cell.UNKNOWN: "?",
}
CELL_MEANINGS: Mapping[Cell, str] = {
    Cell.COVERED: "the endpoint has a subnet in the zone",
    Cell.MISSING: "the service is offered in the zone and the endpoint has no subnet there",
    Cell.NOT_OFFERED: "the service is not offered in the zone: nothing to add",
    Cell.UNKNOWN: "not known from what was read",
}
SCAN_GRID_NOTE = (
    "Every active interface endpoint of each VPC scanned, against the zones the VPC has subnets in, from the facts "
    "the scan read. A zone without workload subnets (the VPC's private subnets, or all of them where it has none) "
    "is marked; az-coverage asks for workload zones only, or for a second zone. The VPCs and the endpoints with the "
    "most missing zones come first."
)
RECORDS_GRID_NOTE = (
    "The state table keeps findings, not the facts they were found in: this grid holds only the endpoints with an "
    "unresolved az-coverage finding, as that finding's evidence last saw them, by zone id. A zone the evidence does "
    "not name is unknown. vpce-guard scan --format html shows every endpoint from the facts themselves."
)

STYLE = """
:root { --line: #d0d4da; --muted: #5b6470; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #16191d;
  background: #fff; }
header, main { max-width: 1320px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 24px 0 8px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .note, small { color: var(--muted); }
.note { max-width: 960px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.summary th, table.summary td { padding: 2px 8px; font-size: 13px; }
.grid th, .grid code { white-space: nowrap; }
thead th { background: var(--bg); }
td.count { text-align: right; font-variant-numeric: tabular-nums; }
.sev { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: 600; font-size: 12px; }
.sev-CRITICAL { background: #7f1d1d; color: #fff; }
.sev-HIGH { background: #c62828; color: #fff; }
.sev-MEDIUM { background: #f0b400; color: #1f1600; }
.sev-LOW { background: #dbe4ee; color: #1d2b3a; }
.problems { border: 2px solid #c62828; background: #fff4f4; padding: 4px 16px; margin-top: 16px; }
.grid td.cell { text-align: center; white-space: nowrap; min-width: 96px; }
.cell.covered { background: #dff3e3; color: #17572a; }
.cell.missing { background: #fbdcdc; color: #8a1c1c; font-weight: 600; }
.cell.not-offered { background: #eceef1; color: var(--muted); }
.cell.unknown { background: #fff; color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; list-style: none; }
.legend span.cell { display: inline-block; padding: 0 6px; margin-right: 4px; border: 1px solid var(--line); }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 8px 0; }
.filters input { width: 280px; }
.filters input, .filters select { font: inherit; padding: 3px 6px; }
#findings-table { width: 100%; }
#findings-table td { white-space: nowrap; width: 1%; }
#findings-table td.detail { white-space: normal; width: auto; min-width: 320px; overflow-wrap: anywhere; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
details { margin-top: 4px; }
summary { cursor: pointer; color: #1b4f8a; }
dl { margin: 6px 0; }
dt { font-weight: 600; margin-top: 6px; }
dd { margin: 0 0 0 12px; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 6px; margin: 2px 0; max-height: 320px;
  overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; }
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) {
    return;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("filter-text");
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var shown = document.getElementById("shown");

  function matches(row, query) {
    if (query && row.textContent.toLowerCase().indexOf(query) === -1) {
      return false;
    }
    return selects.every(function (select) {
      return !select.value || row.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
    });
  }

  function filter() {
    var query = text.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      row.hidden = !matches(row, query);
      count += row.hidden ? 0 : 1;
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }

  function sortBy(header) {
    var index = header.cellIndex;
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(header.parentNode.cells, function (cell) {
      if (cell.hasAttribute("aria-sort")) {
        cell.setAttribute("aria-sort", "none");
      }
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var keyed = rows.map(function (row, position) {
      var cell = row.cells[index];
      var key = cell.hasAttribute("data-key") ? cell.getAttribute("data-key") : cell.textContent.trim();
      return { row: row, key: numeric ? Number(key) : key.toLowerCase(), position: position };
    });
    keyed.sort(function (a, b) {
      var order = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return (ascending ? order : -order) || a.position - b.position;
    });
    keyed.forEach(function (item) {
      body.appendChild(item.row);
    });
  }

  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[aria-sort] button"), function (button) {
    button.addEventListener("click", function () {
      sortBy(button.parentNode);
    });
  });
  text.addEventListener("input", filter);
  selects.forEach(function (select) {
    select.addEventListener("change", filter);
  });
  filter();
})();
"""


def _digest(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("ascii")).digest()).decode("ascii")


# Nothing fetched, nothing run but the page's own script and style; no base URL or form to redirect.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src '{_digest(SCRIPT)}'; style-src '{_digest(STYLE)}'; "
    "base-uri 'none'; form-action 'none'"
)


class _Row(msgspec.Struct, frozen=True):
    """A finding as the page lists it, with what the state table recorded of it (scans record nothing)."""

    number: int
    finding: Finding
    recorded: Recorded | None = None
    name: str = ""


def scan_report_html(
    findings: Sequence[Finding],
    facts: Sequence[Facts],
    *,
    generated_at: datetime,
    problems: Sequence[str] = (),
    readme_url: str | None = None,
) -> str:
    """The page of a scan: its findings, and the zone grid of every VPC of the facts it read (one Facts per
    account and region)."""
    names = {
        resource_id: name
        for each in facts
        for resource_id, name in (
            *((endpoint.id, endpoint.tags.get("Name", "")) for endpoint in each.endpoints),
            *((vpc.id, vpc.tags.get("Name", "")) for vpc in each.vpcs.values()),
        )
    }
    accounts = {vpc.owner_id for each in facts for vpc in each.vpcs.values()} | {f.account_id for f in findings}
    regions = {each.region for each in facts} | {finding.region for finding in findings}
    return _page(
        title=f"Scan of {_scope(accounts, regions)}",
        rows=[
            _Row(number, finding, name=names.get(finding.resource_id, ""))
            for number, finding in enumerate(sorted(findings, key=_order), 1)
        ],
        grids=[grid for each in facts for grid in grids_of(each)],
        grid_note=SCAN_GRID_NOTE,
        generated_at=generated_at,
        problems=problems,
        readme_url=readme_url,
    )


def records_report_html(
    findings: Sequence[Finding],
    recorded: Sequence[Recorded],
    *,
    source: str,
    generated_at: datetime,
    readme_url: str | None = None,
) -> str:
    """The page of the state table's findings (each with what the table recorded of it, in order), read from
    ``source``; its zone grid is what the evidence of unresolved az-coverage findings gives."""
    pairs = list(zip(findings, recorded, strict=True))
    ordered = sorted(pairs, key=lambda pair: _order(pair[0]))
    return _page(
        title=f"Findings recorded in {source}",
        rows=[_Row(number, finding, record) for number, (finding, record) in enumerate(ordered, 1)],
        grids=grids_of_findings(finding for finding, record in pairs if not record.status.is_closed),
        grid_note=RECORDS_GRID_NOTE,
        generated_at=generated_at,
        readme_url=readme_url,
        recorded=True,
    )


def _scope(accounts: set[str], regions: set[str]) -> str:
    where = ", ".join(sorted(regions)) if len(regions) <= 3 else f"{len(regions)} regions"
    if len(accounts) == 1:
        return f"account {next(iter(accounts))}, {where}"
    return f"{len(accounts)} accounts, {where}" if accounts else where or "nothing"


def _order(finding: Finding) -> tuple[int, str, str, str]:
    """Most severe first, then by check, VPC and resource."""
    return (-finding.severity.rank, finding.check_id, finding.vpc_id, finding.resource_id)


def _page(
    *,
    title: str,
    rows: Sequence[_Row],
    grids: Sequence[VpcGrid],
    grid_note: str,
    generated_at: datetime,
    problems: Sequence[str] = (),
    readme_url: str | None = None,
    recorded: bool = False,
) -> str:
    """The page; ``recorded``: its rows are the state table's, each with its status."""
    generated = generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>vpce-guard: {_text(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>vpce-guard report</h1>",
        f'<p class="meta">{_text(title)}. Written {generated} by vpce-guard {_text(__version__)}.</p>',
        "</header>",
        "<main>",
        _problems(problems),
        _summary(rows, recorded),
        _grids(grids, grid_note, rows),
        _findings(rows, recorded, readme_url, {grid.vpc_id for grid in grids}),
        "</main>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    page = "\n".join(part for part in parts if part)
    return page.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _text(value: object) -> str:
    """Text for an element's content or a quoted attribute's value: markup characters escaped."""
    return escape(str(value), quote=True)


def _problems(problems: Sequence[str]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li>{_text(problem)}</li>" for problem in problems)
    return (
        '<section class="problems" id="problems" role="alert"><h2>Not judged</h2>'
        f"<p>What the scan could not judge ({len(problems)}): its findings below are not the whole answer, and the "
        f"command exits 2.</p><ul>{items}</ul></section>"
    )


def _severity(severity: Severity) -> str:
    return f'<span class="sev sev-{severity.value}">{severity.value}</span>'


def _summary(rows: Sequence[_Row], recorded: bool) -> str:
    noun = "record" if recorded else "finding"
    counts = Counter(row.finding.severity for row in rows)
    totals = ", ".join(f"{counts[severity]} {_severity(severity)}" for severity in SEVERITIES if counts[severity])
    lines = [
        '<section id="summary"><h2>Summary</h2>',
        f'<p class="totals">{len(rows)} {noun}{"" if len(rows) == 1 else "s"}{": " + totals if totals else ""}</p>',
    ]
    if recorded:
        statuses = Counter(row.recorded.status for row in rows if row.recorded is not None)
        listed = ", ".join(f"{statuses[status]} {status.value}" for status in Status if statuses[status])
        unresolved = sum(count for status, count in statuses.items() if not status.is_closed)
        lines.append(f'<p class="statuses">By status: {listed or "none"}; {unresolved} unresolved.</p>')
    if rows:
        by_check = Counter((row.finding.check_id, row.finding.severity) for row in rows)
        check_ids = sorted({row.finding.check_id for row in rows}, key=_registry_order)
        header = "".join(f'<th scope="col">{_severity(severity)}</th>' for severity in SEVERITIES)
        lines.append(
            f'<table class="summary"><thead><tr><th scope="col">check</th><th scope="col">title</th>{header}'
            '<th scope="col">total</th></tr></thead><tbody>'
        )
        titles = {row.finding.check_id: row.finding.title for row in rows}
        for check_id in check_ids:
            cells = "".join(f'<td class="count">{by_check[(check_id, s)] or ""}</td>' for s in SEVERITIES)
            total = sum(by_check[(check_id, severity)] for severity in SEVERITIES)
            lines.append(
                f"<tr><td><code>{_text(check_id)}</code></td><td>{_text(titles[check_id])}</td>{cells}"
                f'<td class="count">{total}</td></tr>'
            )
        cells = "".join(f'<td class="count">{counts[severity]}</td>' for severity in SEVERITIES)
        lines.append(f'</tbody><tfoot><tr><th colspan="2">all checks</th>{cells}<td class="count">{len(rows)}</td>')
        lines.append("</tr></tfoot></table>")
    lines.append("</section>")
    return "\n".join(lines)


def _registry_order(check_id: str) -> tuple[int, str]:
    """The checks in the registry's order; an id the registry no longer has, after them."""
    order = list(CHECKS)
    return (order.index(check_id) if check_id in order else len(order), check_id)


def _grids(grids: Sequence[VpcGrid], note: str, rows: Sequence[_Row]) -> str:
    legend = "".join(
        f'<li><span class="cell {cell.value.replace(" ", "-")}">{CELL_MARKS[cell]} {cell.value}</span>'
        f"{_text(CELL_MEANINGS[cell])}</li>"
        for cell in Cell
    )
    lines = [
        '<section id="zones"><h2>Endpoints by availability zone</h2>',
        f'<p class="note">{_text(note)}</p>',
        f'<ul class="legend">{legend}</ul>',
    ]
    if not grids:
        lines.append("<p>No VPC to show.</p>")
    findings_of: dict[str, list[_Row]] = {}
    for row in rows:
        findings_of.setdefault(row.finding.resource_id, []).append(row)
    for grid in sorted(grids, key=_gaps_first):
        lines.append(_grid(grid, findings_of))
    lines.append("</section>")
    return "\n".join(lines)


def _gaps_first(grid: VpcGrid) -> tuple[int, str, str, str, str]:
    """The VPCs with the most missing zones first, then by account, region, name and id."""
    missing = sum(row.cells.count(Cell.MISSING) for row in grid.rows)
    return (-missing, grid.account_id, grid.region, grid.name, grid.vpc_id)


def _grid(grid: VpcGrid, findings_of: Mapping[str, Sequence[_Row]]) -> str:
    name = f" &#x201C;{_text(grid.name)}&#x201D;" if grid.name else ""
    lines = [
        f'<h3 id="vpc-{_text(grid.vpc_id)}"><code>{_text(grid.vpc_id)}</code>{name} '
        f"<small>account {_text(grid.account_id)}, {_text(grid.region)}</small></h3>"
    ]
    on_vpc = findings_of.get(grid.vpc_id, ())
    if on_vpc:
        lines.append(f'<p class="note">Findings on the VPC itself: {_links(on_vpc)}.</p>')
    if not grid.zones:
        lines.append("<p>No subnets.</p>")
    elif not grid.rows:
        lines.append("<p>No interface endpoints.</p>")
    else:
        heads = "".join(
            f'<th scope="col" data-zone="{_text(zone.id)}">{_text(zone.name) + "<br>" if zone.name else ""}'
            f"<small>{_text(zone.id)}{'' if zone.workload is not False else '<br>no workload subnet'}</small></th>"
            for zone in grid.zones
        )
        lines.append(
            f'<table class="grid" data-vpc="{_text(grid.vpc_id)}"><thead><tr><th scope="col">endpoint</th>'
            f'<th scope="col">service</th>{heads}<th scope="col">findings</th></tr></thead><tbody>'
        )
        for row in sorted(grid.rows, key=lambda row: (-row.cells.count(Cell.MISSING), row.endpoint_id)):
            cells = "".join(
                f'<td class="cell {cell.value.replace(" ", "-")}" data-zone="{_text(zone.id)}" '
                f'title="{_text(CELL_MEANINGS[cell])}">{CELL_MARKS[cell]} {cell.value}</td>'
                for zone, cell in zip(grid.zones, row.cells, strict=True)
            )
            name = f"<br><small>{_text(row.name)}</small>" if row.name else ""
            lines.append(
                f'<tr data-endpoint="{_text(row.endpoint_id)}"><td><code>{_text(row.endpoint_id)}</code>{name}</td>'
                f"<td>{_service(row.service_name)}</td>{cells}<td>{_links(findings_of.get(row.endpoint_id, ()))}</td>"
                "</tr>"
            )
        lines.append("</tbody></table>")
    if grid.other_endpoints:
        others = ", ".join(
            f"<code>{_text(endpoint_id)}</code> ({_text(kind)})" for endpoint_id, kind in grid.other_endpoints
        )
        lines.append(f'<p class="note">Not placed in zones by subnet (a gateway endpoint is a route): {others}.</p>')
    return "\n".join(lines)


def _links(rows: Iterable[_Row]) -> str:
    """Links to the findings' rows, by check id."""
    return ", ".join(f'<a href="#f-{row.number}">{_text(row.finding.check_id)}</a>' for row in rows)


def _service(service_name: str | None) -> str:
    """An AWS service by its key (the whole name on hover); another service (a partner's) by its whole name."""
    ref = parse_service_name(service_name)
    if ref is None or not ref.is_aws_service:
        return f'<span class="mono">{_text(service_name or "-")}</span>'
    return f'<span class="mono" title="{_text(service_name)}">{_text(ref.key)}</span>'


def _findings(rows: Sequence[_Row], recorded: bool, readme_url: str | None, gridded: set[str]) -> str:
    """The findings' table; a VPC with a grid on the page links to it."""
    lines = ['<section id="findings"><h2>Findings</h2>']
    if not rows:
        lines.append("<p>No findings.</p></section>")
        return "\n".join(lines)
    filters = [
        _select("severity", "Severity", [severity.value for severity in SEVERITIES]),
        _select("check", "Check", sorted({row.finding.check_id for row in rows}, key=_registry_order)),
    ]
    if recorded:
        filters.append(_select("status", "Status", [status.value for status in Status]))
    lines.append(
        '<div class="filters"><label>Filter <input id="filter-text" type="search" '
        f'placeholder="any text: id, zone, principal..."></label>{"".join(filters)}'
        f'<span id="shown">{len(rows)} of {len(rows)} shown</span></div>'
    )
    columns = [("Severity", "number"), ("Check", "text"), ("Resource", "text"), ("VPC", "text")]
    if recorded:
        columns += [("Status", "text"), ("Last seen", "text")]
    heads = "".join(
        f'<th scope="col" aria-sort="none" data-type="{kind}"><button type="button">{label}</button></th>'
        for label, kind in columns
    )
    lines.append(f'<table id="findings-table"><thead><tr>{heads}<th scope="col">Detail</th></tr></thead><tbody>')
    lines.extend(_finding_row(row, readme_url, row.finding.vpc_id in gridded) for row in rows)
    lines.append("</tbody></table></section>")
    return "\n".join(lines)


def _select(key: str, label: str, values: Sequence[str]) -> str:
    options = "".join(f'<option value="{_text(value)}">{_text(value)}</option>' for value in values)
    return (
        f'<label>{label} <select id="filter-{key}" data-filter="{key}">'
        f'<option value="">all</option>{options}</select></label>'
    )


def _finding_row(row: _Row, readme_url: str | None, gridded: bool) -> str:
    finding, record = row.finding, row.recorded
    name = f"<br><small>{_text(row.name)}</small>" if row.name else ""
    vpc = f"<code>{_text(finding.vpc_id)}</code>"
    if gridded:
        vpc = f'<a href="#vpc-{_text(finding.vpc_id)}">{vpc}</a>'
    status = f' data-status="{record.status.value}"' if record else ""
    cells = [
        f'<td data-key="{finding.severity.rank}">{_severity(finding.severity)}</td>',
        f"<td><code>{_text(finding.check_id)}</code></td>",
        f"<td><code>{_text(finding.resource_id)}</code>{name}<br>"
        f"<small>{_service(finding.service_name) if finding.service_name else 'the VPC itself'}</small></td>",
        f"<td>{vpc}<br><small>{_text(finding.account_id)} {_text(finding.region)}</small></td>",
    ]
    if record:
        cells += [
            f"<td>{record.status.value}</td>",
            f'<td data-key="{_text(record.last_seen)}"><small>{_text(_minute(record.last_seen))}</small></td>',
        ]
    cells.append(f'<td class="detail">{_text(finding.detail)}{_more(finding, record, readme_url)}</td>')
    return (
        f'<tr id="f-{row.number}" data-severity="{finding.severity.value}" data-check="{_text(finding.check_id)}"'
        f"{status}>{''.join(cells)}</tr>"
    )


def _minute(timestamp: str) -> str:
    """A recorded time to the minute, in UTC; as recorded where it is not an ISO 8601 time."""
    try:
        return datetime.fromisoformat(timestamp).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return timestamp


def _more(finding: Finding, record: Recorded | None, readme_url: str | None) -> str:
    """The finding's evidence and remediation, and what its check finds, folded under the detail."""
    check = CHECKS.get(finding.check_id)
    where = (
        f'<a href="{_text(readme_url)}#{CHECKS_ANCHOR}" rel="noreferrer">README: What it finds, and why</a>'
        if readme_url
        else _text(README_SECTION)
    )
    why = f"{_text(check_summary(check))} " if check else ""
    seen = f"<dt>Seen</dt><dd>first {_text(record.first_seen)}, last {_text(record.last_seen)}</dd>" if record else ""
    evidence = json.dumps(finding.evidence, indent=2, sort_keys=True, ensure_ascii=False)
    return (
        "<details><summary>Evidence and remediation</summary><dl>"
        f"<dt>Remediation</dt><dd>{_text(finding.remediation.text)}</dd>"
        f"<dt>Why it matters</dt><dd>{why}{where}</dd>{seen}"
        f"<dt>Evidence</dt><dd><pre>{_text(evidence)}</pre></dd></dl></details>"
    )
