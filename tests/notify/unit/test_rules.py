"""Quiet hours, the local day, the retry back-off, the digest hour and preference defaults."""
from datetime import datetime, timedelta, timezone

from services.notify.domain import rules

UTC = timezone.utc


def shanghai(hour, minute=0, day=5):
    """A moment given in Beijing time (UTC+8), as the UTC datetime the code stores."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_quiet_hours_wrap_midnight_in_beijing_time():
    for hour in (22, 23, 0, 3, 7):
        assert rules.in_quiet_hours(shanghai(hour), "22:00", "08:00"), hour
    assert rules.in_quiet_hours(shanghai(7, 59), "22:00", "08:00")
    for hour in (8, 12, 21):
        assert not rules.in_quiet_hours(shanghai(hour), "22:00", "08:00"), hour
    assert not rules.in_quiet_hours(shanghai(21, 59), "22:00", "08:00")


def test_quiet_hours_within_a_day_and_disabled():
    assert rules.in_quiet_hours(shanghai(13), "12:00", "14:00")
    assert not rules.in_quiet_hours(shanghai(14), "12:00", "14:00")
    assert not rules.in_quiet_hours(shanghai(23), None, None)


def test_a_deferred_sms_goes_out_when_quiet_hours_end():
    assert rules.quiet_hours_end(shanghai(23, 30), "22:00", "08:00") == shanghai(8, day=6)
    assert rules.quiet_hours_end(shanghai(2), "22:00", "08:00") == shanghai(8)
    assert rules.quiet_hours_end(shanghai(10), "22:00", "08:00") == shanghai(10)
    assert rules.quiet_hours_end(shanghai(12, 30), "12:00", "14:00") == shanghai(14)


def test_local_day_follows_beijing_not_utc():
    late_utc = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)  # 01:00 on 6 March in Beijing
    assert rules.local_day(late_utc) == "2026-03-06"
    assert rules.local_day(late_utc.replace(tzinfo=None)) == "2026-03-06"  # SQLite's naive UTC


def test_back_off_doubles_and_is_capped():
    assert rules.backoff_schedule(5, base=30, factor=2, maximum=3600) == [30, 60, 120, 240]
    assert rules.backoff_schedule(10, base=30, factor=2, maximum=600)[-3:] == [600, 600, 600]
    assert rules.retry_delay(1, base=0.2, factor=2, maximum=10) == timedelta(seconds=0.2)
    assert rules.retry_delay(3, base=0.2, factor=2, maximum=10) == timedelta(seconds=0.8)


def test_digest_goes_out_after_the_digest_hour():
    assert rules.digest_due(shanghai(19, 59), 20) == (False, "2026-03-05")
    assert rules.digest_due(shanghai(20, 0), 20) == (True, "2026-03-05")


def test_default_preferences_keep_push_off_sms_and_never_block_account_mail():
    prefs = rules.Preferences()
    assert prefs.allows("interview", "sms") and prefs.allows("interview", "email")
    assert prefs.allows("push", "email") and not prefs.allows("push", "sms")
    muted = rules.Preferences(categories={"interview": set()})
    assert not muted.allows("interview", "email")
    assert muted.allows("account", "email") and muted.allows("interview", "sms", secret=True)
    assert muted.allows("some_new_category", "sms")
