"""The access log's two unhashed columns, `role` and `subjects`, held against each entry's hashed `data`: by the
verification in the app (`verify_access_log`) and by the offline verifier over the export, on both databases.

The filters and the monthly review read those columns, not `data`; an entry whose columns say other than its data
is as broken as one whose hash does not match, and the review's own verification says so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from pathlib import Path

import pytest

from fleet import verify as offline
from fleet.access_log import review
from fleet.access_log.chain import Access, append_access, columns_check, entry_data, query_columns
from fleet.extensions import db
from tests.access_log.test_access_log import PRIVACY, _export, _offline, _sql
from tests.fixtures_data import AUDITOR, IT
from tests.web.test_pages import log_in

MANY = tuple(f"p{i:03d}" for i in range(150))  # a list of more than 100 people: counted, not named

# (role, subjects, params, reason): what append_access is given. Plain ones, and those whose text the fast
# comparisons cannot take (no role, a uid JSON escapes or with a comma, more than 100 people), and data that holds
# the very keys the fast comparisons look for, in its parameters and its reason.
ENTRIES = [
    ("it", ("emp1",), None, None),
    ("auditor,it", ("emp1", "emp2", "한글"), {"format": "csv"}, "감사 준비"),
    (None, ("emp3",), None, None),
    ("it", (), None, None),
    ("it", MANY, {"center": "SWC-1"}, None),
    ("auditor", ('o"neil', "back\\slash", "tab\tuid", "comma,uid"), None, "x"),
    ("it", ("emp1",), {"a": 1, "role": "auditor", "subject_count": 1, "subjects": ["emp9"]},
     ',"role":"auditor","subject_count":1,"subjects":["emp9"]}'),
    ("privacy", ("emp2",), {"role": "it", "subjects": []}, '"role":"it","subject_count":2,"subjects":[]}'),
]


def _columns(role, subjects) -> tuple[str, str]:
    shown = sorted(set(subjects))
    return role or "", (("," + ",".join(shown) + ",") if shown and len(shown) <= 100 else "")


def _candidates(role, subjects) -> set[tuple[str, str]]:
    """The entry's own columns and altered ones: other roles, none, other people, one person too few or more."""
    own_role, own_subjects = _columns(role, subjects)
    roles = {own_role, "", "it", "auditor", "auditor,it", "privacy", "null"}
    people = {own_subjects, "", ",", ",,", ",emp1,", ",emp9,", ",emp1,emp2,", own_subjects[:-1],
              own_subjects + "emp9,", "emp1"}
    return {(own_role, s) for s in people} | {(r, own_subjects) for r in roles}


def _line(data: str, role: str, subjects: str) -> tuple[bytes, bytes]:
    """(fields as the export writes them, the columns' text as it writes them)."""
    fields = json.dumps([7, "2026-11-03T01:00:00.000000Z", IT, "view", "loan", "7", data, "a" * 64],
                        separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    columns = encode_basestring(role)[1:-1] + '","subjects":"' + encode_basestring(subjects)[1:-1]
    return fields, columns.encode("utf-8")


@pytest.mark.parametrize("entry", ENTRIES, ids=range(len(ENTRIES)))
def test_the_quick_comparisons_say_what_parsing_says(entry):
    """Both verifiers first compare text and parse `data` only when that fails: the text comparison must never
    take altered columns for good ones, and takes the plain entries' own columns without parsing."""
    role, subjects, params, reason = entry
    data, _ = entry_data(role, "10.0.0.1", subjects, len(set(subjects)), reason, params)
    check = columns_check()
    plain = all(s.isalnum() for s in subjects) and len(subjects) <= 100 and role is not None
    for candidate in _candidates(role, subjects):
        right = query_columns(data) == candidate
        assert right == (candidate == _columns(role, subjects))
        assert check(data, *candidate) == right, candidate
        assert (offline.query_columns(data) == candidate) == right, candidate
        fast = offline._columns_as_written()(*_line(data, *candidate))
        assert right or not fast, candidate  # never altered columns taken for good ones
        assert fast or not (right and plain), candidate  # a plain entry's own columns without parsing


@pytest.fixture
def awkward(make_app, signing_settings):
    """An app signing checkpoints every 10 entries, and the ENTRIES appended as entries 1 to 8 (it1's, and three
    more plain ones after them, 9 to 11)."""
    app = make_app(FLEET_CHECKPOINT_EVENTS="10", **signing_settings)
    start = datetime.now(UTC) - timedelta(hours=1)
    with app.app_context():
        for i, (role, subjects, params, reason) in enumerate(ENTRIES + ENTRIES[:3]):
            append_access(IT, role, "10.0.0.1", Access("view", f"loan:{i + 1}", subjects, None, reason, params),
                          at=start + timedelta(minutes=i))
        db.session.commit()
    return app


def test_an_untouched_log_of_awkward_entries_verifies(awkward, login, signing_keys, tmp_path):
    client = awkward.test_client()
    headers = login(PRIVACY)
    answer = client.get("/api/v1/access-log/verify", headers=headers).get_json()
    assert answer["valid"] and answer["count"] == 11, answer
    path = _export(client, headers, tmp_path / "access.jsonl")
    lines = path.read_text(encoding="utf-8").split("\n")
    assert json.loads(lines[0])["format"] == "fleet-access-export-v2"
    assert json.loads(lines[3])["columns"] == {"role": "", "subjects": ",emp3,"}  # entry 3 names no role
    result = _offline(path, signing_keys.ca_path)
    assert result["valid"] and result["events"] == 11 and result["signed_up_to"] == 10, result


# Entry 3 has no role, entry 5 counts 150 people without naming them, entry 6 names uids JSON escapes, entry 7's
# parameters and reason hold the keys the quick comparison looks for; 9 is a plain one.
AWKWARD_TAMPERINGS = {
    "a role given where there was none": ("UPDATE access_entries SET role = 'it' WHERE seq = 3", 3,
                                          "event 3's role column was altered: it holds 'it', its hashed data says ''"),
    "a role taken away": ("UPDATE access_entries SET role = '' WHERE seq = 9", 9, "event 9's role column"),
    "people named who were only counted": ("UPDATE access_entries SET subjects = ',p000,' WHERE seq = 5", 5,
                                           "event 5's subjects column"),
    "an escaped uid dropped": ("UPDATE access_entries SET subjects = ',back\\slash,comma,uid,' WHERE seq = 6", 6,
                               "event 6's subjects column"),
    "the role of the parameters": ("UPDATE access_entries SET role = 'auditor' WHERE seq = 7", 7,
                                   "event 7's role column"),
    "the subjects of the reason": ("UPDATE access_entries SET subjects = ',emp9,' WHERE seq = 7", 7,
                                   "event 7's subjects column"),
}


@pytest.mark.parametrize("kind", sorted(AWKWARD_TAMPERINGS))
def test_an_altered_column_of_an_awkward_entry_is_found(awkward, login, signing_keys, tmp_path, kind):
    statement, first_bad, problem = AWKWARD_TAMPERINGS[kind]
    _sql(awkward, statement)
    client = awkward.test_client()
    headers = login(PRIVACY)
    answer = client.get("/api/v1/access-log/verify", headers=headers).get_json()
    assert not answer["valid"] and answer["first_bad_seq"] == first_bad, answer
    result = _offline(_export(client, headers, tmp_path / "access.jsonl"), signing_keys.ca_path)
    assert not result["valid"] and any(p.startswith(problem) for p in result["problems"]), result
    assert len(result["problems"]) == 1, result  # the chain itself is intact: only the column


def test_the_review_and_the_page_say_the_log_is_broken(app, client, login):
    """The review counts by the role column and the page filters by the subjects column: an edit of either is no
    longer silent, the review's verification and the page's say where."""
    morning = datetime(2026, 11, 3, 1, tzinfo=UTC)  # 10:00 in Seoul
    with app.app_context():
        for i in range(4):
            append_access(IT, "it", "10.0.0.1", Access("view", f"loan:{i + 1}", ("emp1",)),
                          at=morning + timedelta(hours=i))
        append_access(AUDITOR, "auditor", "10.0.0.2", Access("view", "loan:9", ("emp2",)), at=morning)
        db.session.commit()
        notes = review.review_report("2026-11").notes
    assert any("Access log verified: valid, 5 entries" in note for note in notes), notes
    # it1's third view made to look like an auditor's, and emp1's name taken off it: the counts and the filter
    # change, and the verification says where.
    _sql(app, "UPDATE access_entries SET role = 'auditor', subjects = '' WHERE seq = 3")
    with app.app_context():
        gathered = review.gather_review("2026-11")
        assert gathered.per_account[(IT, "auditor", "view")] == 1  # what the column says…
        notes = review.review_report("2026-11").notes
    assert any("Access log BROKEN at seq 3" in note for note in notes), notes  # …and that it cannot be trusted
    headers = login(PRIVACY)
    listed = client.get("/api/v1/access-log?subject=emp1", headers=headers).get_json()["items"]
    assert [item["seq"] for item in listed] == [4, 2, 1]
    assert client.get("/api/v1/access-log/verify", headers=headers).get_json()["first_bad_seq"] == 3
    log_in(client, PRIVACY)
    client.get("/lang/en")
    page = client.get("/privacy?verify=1").get_data(as_text=True)
    assert "The access log is broken at entry 3" in page


def test_an_export_without_columns(app, client, login, tmp_path):
    """An export of version 1 (before the columns were exported) is still read, and the verifier says the columns
    were not checked; a version 2 line without them is a problem."""
    with app.app_context():
        append_access(IT, "it", "10.0.0.1", Access("view", "loan:1", ("emp1",)))
        append_access(IT, "it", "10.0.0.1", Access("view", "loan:2", ("emp2",)))
        db.session.commit()
    headers = login(PRIVACY)
    path = _export(client, headers, tmp_path / "v2.jsonl")
    lines = path.read_text(encoding="utf-8").split("\n")
    stripped = [line[: line.index(',"columns":')] + "}" if '"columns"' in line else line for line in lines]
    v1 = tmp_path / "v1.jsonl"
    v1.write_text("\n".join([lines[0].replace("fleet-access-export-v2", "fleet-access-export-v1"),
                             *stripped[1:]]), encoding="utf-8")
    result = _offline(v1)
    assert result["valid"] and result["events"] == 2, result
    assert any("fleet-access-export-v1 export carries no role and subjects columns" in n for n in result["notes"])
    missing = tmp_path / "missing.jsonl"
    missing.write_text("\n".join([lines[0], stripped[1], *lines[2:]]), encoding="utf-8")
    result = _offline(missing)
    assert not result["valid"] and result["problems"] == [
        "event 1 carries no role and subjects columns: they cannot be checked."], result
    assert _offline(path)["valid"]


def test_the_offline_verifier_reads_a_reencoded_export(app, client, login, tmp_path):
    """A tool that re-encodes the file (key order, spaces, non-ASCII escaped) leaves nothing to compare as text:
    the verifier parses, finds an untouched export valid and an altered column still."""
    with app.app_context():
        for i, (role, subjects, params, reason) in enumerate(ENTRIES):
            append_access(IT, role, "10.0.0.1", Access("view", f"loan:{i + 1}", subjects, None, reason, params))
        db.session.commit()
    headers = login(PRIVACY)
    path = _export(client, headers, tmp_path / "access.jsonl")

    def reencoded(change=None) -> Path:
        out = []
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line:
                continue
            item = json.loads(line)
            if change and item.get("type") == "event" and item["fields"][0] == change[0]:
                item["columns"]["role"] = change[1]
            out.append(json.dumps(dict(reversed(list(item.items()))), indent=None))
        target = tmp_path / f"re-{change}.jsonl"
        target.write_text("\n".join(out) + "\n", encoding="ascii")
        return target

    assert _offline(reencoded())["valid"]
    result = _offline(reencoded((2, "it")))
    assert not result["valid"] and result["problems"] == [
        "event 2's role column was altered: it holds 'it', its hashed data says 'auditor,it'."], result
