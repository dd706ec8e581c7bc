"""The role matrix, written by hand from the product rules (DESIGN §1, docs/roles.md).

Rows are object types, columns are roles; a cell lists what the role may do to the object of
its **own** community (community A: grid A1, household A1, property company A, the resident of
A1's own report and request, volunteer A's own record and pairing):

    L list   R read   C create   U update   D delete   X export   P reveal personal data

``OFFERED`` says which actions exist for the object type at all (an alarm is never created by
hand, only some types have an export or personal data); the admin may do all of them, the
outsider (signed in, no membership) none. ``REACH`` says which roles see the objects of the
other communities: B shares A's street, C lies in another street.

This table is not generated from the models' ``access``: a difference between the two is a
defect of one of them, and shows as a failing cell of ``test_role_matrix.py``.
"""

ROLES = ("admin", "office", "staff", "grid_worker", "property", "volunteer", "health_worker",
         "resident", "outsider")

USERS = {"admin": "admin", "office": "office", "staff": "staff_a", "grid_worker": "grid_worker_a1",
         "property": "property_a", "volunteer": "volunteer_a", "health_worker": "health_a",
         "resident": "resident_a1", "outsider": "outsider"}

ACTIONS = {"L": "list", "R": "read", "C": "create", "U": "update", "D": "delete", "X": "export",
           "P": "reveal"}

# What exists for each type (any channel).
OFFERED = {
    "community": "LRCUD",
    "grid": "LRCUDX",
    "building": "LRCUDX",
    "facility": "LRCUDX",
    "household": "LRCUDXP",
    "resident": "LRCUDXP",
    "volunteer": "LRCUDXP",
    "pairing": "LRCUD",
    "organisation": "LRCUD",
    "membership": "LRCUD",
    "risksource": "LRCUD",
    "hazard": "LRCUD",
    "sensor": "LRCUD",
    "alarm": "LRUD",
    "alert": "LR",
    "alertdraft": "LRCUD",
    "incident": "LRCUD",
    "plan": "LRCUD",
    "shelter": "LRU",
    "needrequest": "LRCD",
    "item": "LRCUD",
    "stocklot": "LR",
    "notice": "LRCUD",
    "report": "LRCD",
    "consultation": "LRC",
    "consultationdraft": "LRUD",
    "drill": "LRCUD",
    "healtharchive": "LRCUDXP",
    "assessmentrun": "LRCX",
    "aidrequest": "LRCU",
}

# Own community's object: one string per role, in the order of COLUMNS.
COLUMNS = ("office", "staff", "grid_worker", "property", "volunteer", "health_worker",
           "resident")
EXPECTED = {
    # An issued alert is changed by an update or cancel message, never edited: "alertdraft"
    # is the one staff edit, and only the editors see it before it is issued. The same for a
    # consultation once voting is open ("consultationdraft" is one not yet open).
    #                      office     staff      grid_w     property   volunteer  health     resident
    "community":         ("LRCUD",   "LRU",     "LR",      "LR",      "LR",      "LR",      "LR"),
    "grid":              ("LRX",     "LRCUDX",  "LRX",     "LRX",     "LRX",     "LRX",     "LRX"),
    "building":          ("LRX",     "LRCUDX",  "LRUX",    "LRUX",    "LRX",     "LRX",     "LRX"),
    "facility":          ("LRX",     "LRCUDX",  "LRX",     "LRUX",    "LRX",     "LRX",     "LRX"),
    "household":         ("LRX",     "LRCUDXP", "LRCUXP",  "",        "",        "LRX",     "LRXP"),
    "resident":          ("LRX",     "LRCUDXP", "LRCUXP",  "",        "",        "LRXP",    "LRXP"),
    "volunteer":         ("LRX",     "LRCUDXP", "LRX",     "",        "LRUXP",   "",        ""),
    "pairing":           ("LR",      "LRCUD",   "LRCU",    "",        "LR",      "LR",      ""),
    "organisation":      ("LR",      "LRCUD",   "LR",      "LRU",     "LR",      "LR",      "LR"),
    "membership":        ("LR",      "LRCUD",   "",        "",        "",        "",        "LR"),
    "risksource":        ("LR",      "LRCUD",   "LRCU",    "LRU",     "LR",      "LR",      "LR"),
    "hazard":            ("LR",      "LRCUD",   "LRCU",    "LRU",     "",        "",        ""),
    "sensor":            ("LR",      "LRCUD",   "LR",      "LRU",     "LR",      "LR",      "LR"),
    "alarm":             ("LR",      "LRU",     "LR",      "LRU",     "",        "",        ""),
    "alert":             ("LR",      "LR",      "LR",      "LR",      "LR",      "LR",      "LR"),
    "alertdraft":        ("LRCUD",   "LRCUD",   "",        "",        "",        "",        ""),
    "incident":          ("LR",      "LRCU",    "LR",      "LR",      "LR",      "LR",      ""),
    "plan":              ("LR",      "LRCUD",   "LR",      "LR",      "LR",      "LR",      ""),
    "shelter":           ("LR",      "LRU",     "LR",      "LRU",     "LR",      "LR",      "LR"),
    "needrequest":       ("LR",      "LRCD",    "LRC",     "",        "",        "LR",      "LRC"),
    "item":              ("LR",      "LRCUD",   "LR",      "",        "LR",      "LR",      ""),
    "stocklot":          ("LR",      "LR",      "LR",      "",        "LR",      "LR",      ""),
    "notice":            ("LR",      "LRCUD",   "LR",      "LR",      "LR",      "LR",      "LR"),
    "report":            ("LR",      "LRCD",    "LRC",     "C",       "C",       "C",       "LRC"),
    "consultation":      ("LR",      "LRC",     "LR",      "",        "",        "",        "LR"),
    "consultationdraft": ("LR",      "LRUD",    "",        "",        "",        "",        ""),
    "drill":             ("LR",      "LRCUD",   "LR",      "LR",      "LR",      "LR",      "LR"),
    "healtharchive":     ("",        "",        "",        "",        "",        "LRCUDXP", "LRX"),
    "assessmentrun":     ("LRCX",    "LRCX",    "LRX",     "",        "",        "",        ""),
    "aidrequest":        ("LRU",     "LRCU",    "",        "",        "",        "",        ""),
}

# Who reaches the objects of community B (same street as A) and C (another street).
REACH = {"b": ("admin", "office"), "c": ("admin",)}


# What the admin may not do either: a resident report is made by a member of the community
# ("Only people with a role in a community may report"); the admin, who holds no community
# role, triages reports but does not file them.
ADMIN_EXCEPT = {"report": "C"}


def expected(role: str, kind: str) -> str:
    """The actions ``role`` may take on ``kind`` in its own community."""
    if role == "admin":
        return "".join(a for a in OFFERED[kind] if a not in ADMIN_EXCEPT.get(kind, ""))
    if role == "outsider":
        return ""
    return EXPECTED[kind][COLUMNS.index(role)]


def cells() -> list[tuple[str, str, str]]:
    """Every (role, kind, action) the matrix checks."""
    return [(role, kind, ACTIONS[a]) for role in ROLES for kind in OFFERED for a in OFFERED[kind]]

