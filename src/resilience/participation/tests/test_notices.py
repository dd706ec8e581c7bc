"""Notices: sanitised bodies, image checks, schedule and expiry, reads counted once, scope."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from resilience.participation import services
from resilience.participation.models import Notice, NoticeRead
from resilience.participation.sanitise import clean_html
from resilience.participation.uploads import MAX_IMAGE_BYTES, check_image
from resilience.participation.views.notices import reads_cell
from resilience.participation.vocab import NoticeState

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def notice(world, community="a", **kwargs) -> Notice:
    kwargs.setdefault("publish_at", NOW - dt.timedelta(hours=1))
    n = Notice(community=world.objects[f"community_{community}"], title=kwargs.pop("title", "N"),
               **kwargs)
    n.full_clean()
    n.save()
    return n


def test_sanitising_removes_scripts_event_handlers_and_javascript_links():
    html = clean_html('<p onclick="x()">Hi<script>alert(1)</script><style>p{}</style>'
                      '<img src=x onerror="alert(1)"><a href="javascript:alert(1)">bad</a>'
                      '<a href="https://example.org">ok</a><strong>b</strong></p>')
    assert "script" not in html and "alert" not in html and "onerror" not in html
    assert "onclick" not in html and "<img" not in html and "style" not in html
    assert "javascript:" not in html
    assert 'href="https://example.org"' in html and "<strong>b</strong>" in html


def test_a_saved_body_is_sanitised(world):
    n = notice(world, body='<h3>T</h3><p>x</p><script>bad()</script><div>kept text</div>')
    n.refresh_from_db()
    assert n.body == "<h3>T</h3><p>x</p>kept text"


def test_an_image_passes_and_other_files_are_refused(png):
    check_image(png())
    for bad in (SimpleUploadedFile("evil.png", b"<?php echo 1; ?>" * 4, "image/png"),
                SimpleUploadedFile("e.png", b"", "image/png")):
        with pytest.raises(ValidationError) as info:
            check_image(bad)
        assert "photo" in info.value.message_dict


def test_an_image_over_five_megabytes_is_refused(png):
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * MAX_IMAGE_BYTES, "image/png")
    with pytest.raises(ValidationError) as info:
        check_image(big, "file")
    assert "file" in info.value.message_dict


def test_jpeg_and_webp_pass_by_their_first_bytes(monkeypatch):
    from resilience.participation import uploads

    monkeypatch.setattr(uploads, "Image", None)
    check_image(SimpleUploadedFile("a.jpg", b"\xff\xd8\xff\xe0" + b"0" * 20, "image/jpeg"))
    check_image(SimpleUploadedFile("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"0" * 8))
    with pytest.raises(ValidationError):
        check_image(SimpleUploadedFile("a.gif", b"GIF89a" + b"0" * 20))


def test_states_follow_the_times(world):
    assert notice(world, publish_at=None).state() == NoticeState.DRAFT
    assert notice(world, publish_at=NOW + dt.timedelta(hours=1)).state() == NoticeState.SCHEDULED
    assert notice(world).state() == NoticeState.PUBLISHED
    assert notice(world, publish_at=NOW - dt.timedelta(days=2),
                  expires_at=NOW - dt.timedelta(days=1)).state() == NoticeState.EXPIRED


def test_expiry_before_publication_is_refused(world):
    with pytest.raises(ValidationError) as info:
        notice(world, expires_at=NOW - dt.timedelta(days=1))
    assert "expires_at" in info.value.message_dict


def test_residents_see_only_published_notices_pinned_first(world):
    draft = notice(world, title="draft", publish_at=None)
    later = notice(world, title="later", publish_at=NOW + dt.timedelta(hours=2))
    gone = notice(world, title="gone", publish_at=NOW - dt.timedelta(days=3),
                  expires_at=NOW - dt.timedelta(days=1))
    plain = notice(world, title="plain")
    pinned = notice(world, title="pinned", pinned=True, publish_at=NOW - dt.timedelta(days=1))
    seen = list(services.readable_notices(world.users["resident_a1"]))
    assert seen == [pinned, plain]
    staff_sees = set(services.readable_notices(world.staff_a))
    assert {draft, later, gone, plain, pinned} <= staff_sees
    # the scheduled notice appears once its time comes
    assert later in services.readable_notices(world.users["resident_a1"], now=NOW + dt.timedelta(hours=3))


def test_residents_see_notices_of_their_own_grid_and_building_only(world):
    mine = notice(world, title="mine", building=world.building_a1)
    other_building = notice(world, title="b2", building=world.building_a2)
    other_grid = notice(world, title="g2", grid=world.grid_a2)
    assert mine.grid == world.grid_a1  # derived from the building
    seen = set(services.readable_notices(world.users["resident_a1"]))
    assert mine in seen and other_building not in seen and other_grid not in seen
    assert {mine, other_building, other_grid} <= set(services.readable_notices(world.users["volunteer_a"]))


def test_a_resident_of_community_b_sees_nothing_of_a(world):
    from resilience.core.roles import Role
    from resilience.people.models import Membership
    from django.contrib.auth import get_user_model

    notice(world, title="A news")
    user = get_user_model().objects.create_user("resident_b1")
    Membership.objects.create(user=user, role=Role.RESIDENT, household=world.household_b1)
    assert not services.readable_notices(user).exists()
    assert not services.readable_notices(world.staff_b).exists()
    assert not services.readable_notices(world.outsider).exists()


def test_reads_are_counted_once_per_user(world):
    n = notice(world)
    assert services.mark_read(n, world.users["resident_a1"]) is True
    assert services.mark_read(n, world.users["resident_a1"]) is False
    services.mark_read(n, world.users["volunteer_a"])
    assert NoticeRead.objects.filter(notice=n).count() == 2
    assert services.audience_size(n) == 1  # resident_a1 is the one resident with an account


def test_opening_a_notice_page_counts_a_read_and_a_draft_is_not_found(world, client):
    n = notice(world, title="Water cut", body="<p>Tomorrow</p>")
    draft = notice(world, publish_at=None)
    client.force_login(world.users["resident_a1"])
    assert client.get("/participation/news/").status_code == 200
    for _ in range(2):
        response = client.get(f"/participation/news/{n.pk}/")
        assert response.status_code == 200 and b"<p>Tomorrow</p>" in response.content
    assert n.reads.count() == 1
    assert client.get(f"/participation/news/{draft.pk}/").status_code == 404
    assert client.get(f"/participation/notices/{draft.pk}/").status_code == 404


def test_staff_create_a_notice_and_see_read_counts(world, client):
    client.force_login(world.staff_a)
    response = client.post("/participation/notices/add/", {
        "community": world.community_a.pk, "title": "Drill", "body": "<p>Sat</p><script>x</script>",
        "publish_at": "2020-01-01T09:00"})
    assert response.status_code == 302, response.content
    n = Notice.objects.get(title="Drill")
    assert n.created_by == world.staff_a and n.body == "<p>Sat</p>"
    services.mark_read(n, world.users["resident_a1"])
    assert client.get("/participation/notices/").status_code == 200
    with translation.override("en"):
        assert reads_cell(Notice.objects.get(pk=n.pk)) == "1 of 1"


def test_staff_attach_an_image_and_a_non_image_is_refused(world, client, png):
    n = notice(world)
    client.force_login(world.staff_a)
    client.post(f"/participation/notices/{n.pk}/images/", {"file": png()})
    client.post(f"/participation/notices/{n.pk}/images/",
                {"file": SimpleUploadedFile("x.png", b"not an image at all", "image/png")})
    assert n.attachments.count() == 1
    image = n.attachments.get()
    client.force_login(world.users["resident_a1"])
    response = client.get(f"/participation/notices/{n.pk}/images/{image.pk}/")
    assert response.status_code == 200
    client.force_login(world.users["resident_a1"])
    assert client.post(f"/participation/notices/{n.pk}/images/", {"file": png()}).status_code == 403


def test_the_list_counts_reads_and_audience_in_one_query(world, django_assert_num_queries):
    whole = notice(world, title="whole")
    grid = notice(world, title="grid", grid=world.grid_a1)
    other = notice(world, title="b2", building=world.building_a2)
    services.mark_read(whole, world.users["resident_a1"])
    services.mark_read(whole, world.users["staff_a"])
    with django_assert_num_queries(1):
        rows = {n.title: n for n in services.with_read_counts(Notice.objects.all())}
    assert (rows["whole"].read_count, rows["whole"].audience) == (2, 1)
    assert (rows["grid"].read_count, rows["grid"].audience) == (0, 1)
    assert (rows["b2"].read_count, rows["b2"].audience) == (0, 0)
    for n in (whole, grid, other):
        assert rows[n.title].audience == services.audience_size(n)
