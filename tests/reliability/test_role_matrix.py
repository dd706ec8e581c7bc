"""The role matrix (issue #10): every role × object type × action, through the API, the pages
and the export, against one world of three communities built once for the module.

The expected outcome of every cell is written by hand in ``role_matrix.py``; this module only
knows how to ask each channel. A cell passes when every channel that offers the action agrees
with the table: allowed → done (2xx / page shown / row exported), refused → 403/404/405 (or the
row absent) and nothing changed.
"""
from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.reliability import role_matrix as matrix
from tests.reliability.role_matrix_world import build

REFUSED = (403, 404, 405)


# -- the world, built once ------------------------------------------------------------------

@pytest.fixture(scope="module")
def mworld(django_db_setup, django_db_blocker):
    """The world inside one transaction for the whole module, rolled back at the end; each test
    runs inside its own savepoint (pytest-django's ``db``), so writes never leak between cells."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build()
            # One signed-in client per role, for the whole module.
            world.clients = {}
            for role, name in matrix.USERS.items():
                world.clients[role] = Client()
                world.clients[role].force_login(world.users[name])
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(mworld, db):
    return mworld


def client_for(world, role: str) -> Client:
    return world.clients[role]


# -- how each object type is reached on each channel ------------------------------------------

def _url(name, *args):
    return lambda obj: reverse(name, args=[a(obj) if callable(a) else a for a in args])


PK = lambda obj: obj.pk  # noqa: E731


def post(url):
    """A page action that is a form button (POST), not a page of its own."""
    return ("post", url)
COMMUNITY = lambda obj: obj.community_id  # noqa: E731


def generic(app, model, add=True, edit=True, delete=True, reveal=False):
    ui = {"list": _url(f"{app}:{model}_list"), "read": _url(f"{app}:{model}_detail", PK)}
    if add:
        ui["create"] = _url(f"{app}:{model}_add")
    if edit:
        ui["update"] = _url(f"{app}:{model}_edit", PK)
    if delete:
        ui["delete"] = _url(f"{app}:{model}_delete", PK)
    if reveal:
        ui["reveal"] = _url(f"{app}:{model}_reveal", PK)
    return ui


# key: the world's object name (+ "_a"/"_b"/"_c" or a community tag); api: basename;
# ui: action → URL; export: a kind of ``resilience export`` or an action → URL of a file.
KINDS = {
    "community": dict(key="community_{t}", api="community", ui=generic("places", "community")),
    "grid": dict(key="grid_{t}1", api="grid", ui=generic("places", "grid"), export="grids"),
    "building": dict(key="building_{t}1", api="building", ui=generic("places", "building"),
                     export="buildings"),
    "facility": dict(key="shelter_{t}", api="facility", ui=generic("places", "facility"),
                     export="facilities"),
    "household": dict(key="household_{t}1", api="household",
                      ui=generic("people", "household", reveal=True), export="households"),
    "resident": dict(key="resident_{t}1", api="resident",
                     ui=generic("people", "resident", reveal=True), export="residents",
                     api_reveal=True),
    "volunteer": dict(key="volunteer_{t}", api="volunteer",
                      ui=generic("people", "volunteer", reveal=True), export="volunteers"),
    "pairing": dict(key="pairing_{t}", api="pairing", ui=generic("people", "pairing")),
    "organisation": dict(key="property_{t}", api="organisation",
                         ui=generic("people", "organisation")),
    "membership": dict(key="membership_{t}", api="membership", ui=generic("people", "membership")),
    "risksource": dict(key="risksource_{t}", api="risksource", ui=generic("risks", "risksource")),
    "hazard": dict(key="hazard_{t}", api="hazard", ui=generic("risks", "hazard")),
    "sensor": dict(key="sensor_{t}", api="sensor", ui=generic("monitoring", "sensor")),
    "alarm": dict(key="alarm_{t}", api="alarm", api_absent=("update", "delete"),
                  api_update=("post", "alarm-acknowledge"), ui={
                      **generic("monitoring", "alarm", add=False, edit=False),
                      "update": post(_url("monitoring:alarm_acknowledge", PK))}),
    "alert": dict(key="alert_{t}", api="alert", ui=generic("alerts", "alert")),
    "alertdraft": dict(key="alertdraft_{t}", api="alert", ui=generic("alerts", "alert")),
    "incident": dict(key="incident_{t}", api="incident", api_absent=("delete",),
                     ui=generic("response", "incident")),
    "plan": dict(key="plan_{t}", api="plan", ui=generic("response", "plan")),
    "shelter": dict(key="shelter_{t}_place", api="shelter", ui={
        "list": _url("shelters:shelter_list"), "read": _url("shelters:shelter_detail", PK),
        "update": _url("shelters:shelter_edit", PK)}),
    "needrequest": dict(key="needrequest_{t}", api="needrequest", api_absent=("delete",), ui={
        **generic("relief", "needrequest", add=False, edit=False),
        "create": _url("relief:request_new")}),
    "item": dict(key="item_{t}", api="supply-item", ui=generic("relief", "item")),
    "stocklot": dict(key="stocklot_{t}", api="supply-lot", ui={
        "list": _url("relief:stock_list"), "read": _url("relief:stock_lot", PK)}),
    "notice": dict(key="notice_{t}", api="notice", ui=generic("participation", "notice")),
    "report": dict(key="report_{t}", api="report", ui={
        **generic("participation", "report", add=False, edit=False),
        "create": _url("participation:report_new")}),
    "consultation": dict(key="consultation_{t}", api="consultation",
                         ui=generic("participation", "consultation")),
    "consultationdraft": dict(key="consultationdraft_{t}", api="consultation",
                              ui=generic("participation", "consultation")),
    "drill": dict(key="drill_{t}", api="drill", ui=generic("participation", "drill")),
    "healtharchive": dict(key="healtharchive_{t}", api="health-archive",
                          ui=generic("health", "healtharchive"),
                          files={"export": _url("health:archive_fhir", PK)}),
    "assessmentrun": dict(key="assessmentrun_{t}", api="assessment-run", ui={
        "list": lambda run: reverse("assessment:community", args=[run.community_id])
        + f"?index={run.index_id}", "read": _url("assessment:run_detail", PK),
        "create": post(_url("assessment:run_new", COMMUNITY))},
        files={"export": _url("assessment:run_csv", PK)}),
    "aidrequest": dict(key="aidrequest_{t}", api="aid-request",
                       api_patch={"status": "cancelled"}, ui={
        "list": _url("street:aid_board"), "read": _url("street:aid_detail", PK),
        "create": _url("street:aid_new"), "update": post(_url("street:aid_cancel", PK))}),
}


def obj_of(world, kind: str, tag: str = "a"):
    return world.objects[KINDS[kind]["key"].format(t=tag)]


def fresh(obj):
    return type(obj).objects.filter(pk=obj.pk).first()


# -- the channels ----------------------------------------------------------------------------

def api_ids(client, kind: str) -> tuple[int, set]:
    response = client.get(reverse(f"{KINDS[kind]['api']}-list"), {"page_size": 500})
    if response.status_code != 200:
        return response.status_code, set()
    data = response.json()
    rows = data.get("results", data.get("features", data)) if isinstance(data, dict) else data
    if isinstance(rows, dict):  # a GeoJSON collection inside "results"
        rows = rows.get("features", [])
    return 200, {row.get("id", row.get("properties", {}).get("id")) for row in rows}


def api_detail(kind: str, obj) -> str:
    return reverse(f"{KINDS[kind]['api']}-detail", args=[obj.pk])


UNIQUE = ("code", "identifier", "name", "title", "item_name", "note")


def create_payload(world, kind: str, obj) -> dict:
    """What the admin reads of the object, made unique: a payload every allowed role may post."""
    admin = client_for(world, "admin")
    data = admin.get(api_detail(kind, obj)).json()
    if "properties" in data:  # GeoJSON feature
        data = {**data["properties"], "geometry": data.get("geometry")}
    payload = {k: v for k, v in data.items() if k not in ("id", "url") and v is not None}
    for name in UNIQUE:
        if isinstance(payload.get(name), str):
            payload[name] = payload[name][:20] + "-new"
    fix = PAYLOAD_FIXES.get(kind)
    if fix:
        fix(world, payload)
    return payload


def _volunteer(world, payload):
    payload.pop("user", None)  # one volunteer record per account


def _risksource(world, payload):
    payload.update(method="matrix", inputs={"likelihood": 2, "consequence": 3})


def _pairing(world, payload):
    payload["resident"] = world.objects["resident_a1_second"].pk  # one pairing per couple


def _plan(world, payload):
    from resilience.response.models import Plan

    taken = Plan.objects.values_list("scenario", flat=True)
    payload["scenario"] = next(v for v, _ in Plan._meta.get_field("scenario").choices
                               if v not in taken)


def _report(world, payload):
    payload["building"] = world.objects["building_a1"].pk  # the grid follows the building


def _needrequest(world, payload):
    payload.pop("visit_reason", None)


def _consultation(world, payload):
    payload["options"] = [{"label": "yes"}, {"label": "no"}]


def _healtharchive(world, payload):
    payload["resident"] = world.objects["resident_a2"].pk  # one archive per resident


def _aidrequest(world, payload):
    payload.update(community=world.objects["community_a"].pk, unit="box", quantity="2")


PAYLOAD_FIXES = {"report": _report, "pairing": _pairing, "needrequest": _needrequest,
                 "volunteer": _volunteer, "risksource": _risksource, "plan": _plan,
                 "consultation": _consultation, "healtharchive": _healtharchive,
                 "aidrequest": _aidrequest}


def export_rows(world, role: str, kind: str, reveal: bool = False):
    """The export page's answer and the ``resilience export`` answer for the own community."""
    from resilience.people.transfer import exporting

    client = client_for(world, role)
    community = world.objects["community_a"]
    query = {"kind": kind, "format": "csv", "community": community.pk}
    if reveal:
        query["reveal"] = "on"
    page = client.get(reverse("people:export"), query)
    page_text = page.content.decode("utf-8-sig", "replace") if page.status_code == 200 else ""
    try:
        table = exporting.build_table(kind, user=world.users[matrix.USERS[role]],
                                      community=community, reveal=reveal)
    except exporting.ExportError:
        table = None
    buffer = io.BytesIO()
    if table is not None:
        exporting.write_table(table, "csv", buffer)
    cli_rows = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"))))
    return page.status_code, page_text, table, cli_rows


MARKER = {"grid": "name", "building": "name", "facility": "name", "household": "code",
          "resident": "name", "volunteer": "name"}
CLEAR = {"resident": "phone", "volunteer": "phone"}


def page_status(client, ui, obj) -> int:
    """GET the page, or press the button (POST) for actions that have no page of their own."""
    if isinstance(ui, tuple):
        status = client.post(ui[1](obj)).status_code
        return 200 if status == 302 else status  # done, and sent on to the next page
    return client.get(ui(obj)).status_code


def in_rows(rows, text: str) -> bool:
    return any(text in cell for row in rows for cell in row)


def check_cell(world, role: str, kind: str, action: str) -> list[str]:
    """What differs from the table on each channel for one cell; empty when the cell holds."""
    allowed = {matrix.ACTIONS[a] for a in matrix.expected(role, kind)}
    ok = action in allowed
    spec, obj = KINDS[kind], obj_of(world, kind)
    client = client_for(world, role)
    ui = spec["ui"].get(action)
    problems = []

    absent = spec.get("api_absent", ())

    def expect_absent(channel, status):
        if status != 405:
            problems.append(f"{channel}: {status}, the API does not offer it (405 expected)")

    def expect(channel, status, allowed_statuses, refused_statuses=REFUSED):
        good = status in allowed_statuses if ok else status in refused_statuses
        if not good:
            should = "should be allowed" if ok else "should be refused"
            problems.append(f"{channel}: {status} ({should})")

    if action == "list":
        status, ids = api_ids(client, kind)
        if (obj.pk in ids) != ok:
            problems.append(f"API list: status {status}, "
                            f"{'missing' if ok else 'contains'} the object")
        page = client.get(ui(obj))
        shown = page.status_code == 200 and spec["ui"]["read"](obj).encode() in page.content
        if shown != ok:
            problems.append(f"page list: status {page.status_code}, "
                            f"{'missing' if ok else 'shows'} the object")
    elif action == "read":
        expect("API detail", client.get(api_detail(kind, obj)).status_code, (200,))
        expect("page detail", client.get(ui(obj)).status_code, (200,))
    elif action == "create":
        payload = create_payload(world, kind, obj)
        model = type(obj)
        before = model.objects.count()
        response = client.post(reverse(f"{spec['api']}-list"), payload,
                               content_type="application/json")
        expect("API create", response.status_code, (200, 201), REFUSED + (400,))
        if ok and response.status_code not in (200, 201):
            problems.append(f"API create answer: {response.content[:300]!r}")
        if not ok and model.objects.count() != before:
            problems.append("API create: refused but a row was written")
        if ui:
            expect("page add", page_status(client, ui, obj), (200,))
    elif action == "update":
        if "api_update" in spec:
            method, name = spec["api_update"]
            response = client.generic(method.upper(), reverse(name, args=[obj.pk]))
        else:
            response = client.patch(api_detail(kind, obj), spec.get("api_patch", {}),
                                    content_type="application/json")
        expect("API update", response.status_code, (200,))
        if "update" in absent:
            expect_absent("API update (PATCH)", client.patch(
                api_detail(kind, obj), {}, content_type="application/json").status_code)
        if ui:
            expect("page edit", page_status(client, ui, obj), (200,))
    elif action == "delete":
        if ui:
            expect("page delete", page_status(client, ui, obj), (200,))
        response = client.delete(api_detail(kind, obj))
        if "delete" in absent:
            expect_absent("API delete", response.status_code)
            return problems
        # A protected row (a community with grids) answers 400 "still referenced" — past the
        # permission check, which is what the cell is about.
        protected = response.status_code == 400 and b"Cannot delete" in response.content
        expect("API delete", 204 if protected else response.status_code, (204,))
        if not ok and fresh(obj) is None:
            problems.append("API delete: refused but the row is gone")
    elif action == "export":
        if "export" in spec:
            status, text, table, rows = export_rows(world, role, spec["export"])
            marker = getattr(obj, MARKER[kind])
            if (marker in text) != ok:
                problems.append(f"export page: status {status}, "
                                f"{'missing' if ok else 'has'} the row")
            if in_rows(rows, marker) != ok:
                problems.append(f"resilience export: {'missing' if ok else 'has'} the row")
            clear = CLEAR.get(kind) and getattr(obj, CLEAR[kind])
            if clear and (clear in text or in_rows(rows, clear)):
                problems.append("export without reveal shows personal data in clear")
        else:
            expect("file export", client.get(spec["files"]["export"](obj)).status_code, (200,))
    elif action == "reveal":
        if ui:
            expect("page reveal", client.post(ui(obj)).status_code, (200,))
        if spec.get("api_reveal"):
            url = reverse(f"{spec['api']}-reveal", args=[obj.pk])
            expect("API reveal", client.post(url).status_code, (200,))
        if "export" in spec:
            status, text, table, rows = export_rows(world, role, spec["export"], reveal=True)
            marker = getattr(obj, MARKER[kind])
            revealed = table is not None and table.revealed and in_rows(rows, marker)
            if revealed != ok:
                problems.append(f"export with reveal: {'refused' if ok else 'given'} "
                                f"(page {status})")
            clear = CLEAR.get(kind) and getattr(obj, CLEAR[kind])
            if clear and ok and clear not in text:
                problems.append("export page with reveal: personal data not in clear")
            if not ok and status == 200 and clear and clear in text:
                problems.append("export page with reveal: refused role got personal data")
    return problems


# Cells that fail because of a known defect not fixed yet: (role, kind, action) → the defect.
# (Empty: the one it found — draft alerts readable by the whole community — is fixed.)
XFAIL: dict[tuple[str, str, str], str] = {}


def _param(role, kind, action):
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[(role, kind, action)])] \
        if (role, kind, action) in XFAIL else []
    return pytest.param(role, kind, action, id=f"{role}-{kind}-{action}", marks=marks)


@pytest.mark.parametrize("role,kind,action", [_param(*cell) for cell in matrix.cells()])
def test_cell(world, role, kind, action):
    assert check_cell(world, role, kind, action) == []


def check_reach(world, role: str, kind: str, tag: str) -> list[str]:
    """Whether ``role`` reaches the object of community ``tag`` exactly as the table says."""
    spec, obj = KINDS[kind], obj_of(world, kind, tag)
    ok = role in matrix.REACH[tag] and "R" in matrix.expected(role, kind)
    client = client_for(world, role)
    problems = []
    status = client.get(api_detail(kind, obj)).status_code
    if (status == 200) != ok or status not in (200,) + REFUSED:
        problems.append(f"API detail: {status}")
    _, ids = api_ids(client, kind)
    if (obj.pk in ids) != ok:
        problems.append(f"API list {'misses' if ok else 'contains'} it")
    status = client.get(spec["ui"]["read"](obj)).status_code
    if (status == 200) != ok or status not in (200,) + REFUSED:
        problems.append(f"page detail: {status}")
    if "export" in spec:
        from resilience.people.transfer import exporting

        table = exporting.build_table(spec["export"], user=world.users[matrix.USERS[role]])
        buffer = io.BytesIO()
        exporting.write_table(table, "csv", buffer)
        if (getattr(obj, MARKER[kind]) in buffer.getvalue().decode("utf-8-sig")) != ok:
            problems.append(f"export {'misses' if ok else 'contains'} it")
    return problems


@pytest.mark.parametrize("role,kind,tag", [
    pytest.param(role, kind, tag, id=f"{role}-{kind}-other_{tag}")
    for role in matrix.ROLES for kind in matrix.OFFERED for tag in "bc"])
def test_other_community(world, role, kind, tag):
    assert check_reach(world, role, kind, tag) == []
