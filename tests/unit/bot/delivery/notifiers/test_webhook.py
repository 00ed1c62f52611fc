"""Standard Webhooks signing and verifying, checked against the specification's own example."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from bot.delivery.notifiers.webhook import decode_secret, sign, verify

# The example in the Standard Webhooks specification and its reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
AT = datetime.fromtimestamp(SPEC_TIMESTAMP, UTC)


def headers(signature=SPEC_SIGNATURE, timestamp=SPEC_TIMESTAMP, message_id=SPEC_ID):
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def test_the_signature_matches_the_specifications_example():
    key = decode_secret(SPEC_SECRET)
    assert sign(key, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    assert verify(key, headers(), SPEC_BODY, now=AT) == SPEC_ID


def test_the_prefix_is_optional():
    assert decode_secret(SPEC_SECRET) == decode_secret(SPEC_SECRET.removeprefix("whsec_"))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"body": SPEC_BODY + b" "}, "no signature matches"),
        ({"headers": headers(message_id="msg_other")}, "no signature matches"),
        ({"now": AT + timedelta(minutes=6)}, "too far from now"),
        ({"headers": headers(timestamp="soon")}, "not an integer"),
    ],
)
def test_a_changed_request_is_refused(change, why):
    key = decode_secret(SPEC_SECRET)
    args = {"headers": headers(), "body": SPEC_BODY, "now": AT} | change
    with pytest.raises(ValueError, match=why):
        verify(key, args["headers"], args["body"], now=args["now"])


def test_one_matching_signature_among_several_is_enough():
    key = decode_secret(SPEC_SECRET)
    several = "v1,bm90IGl0 " + SPEC_SIGNATURE
    assert verify(key, headers(several), SPEC_BODY, now=AT) == SPEC_ID


@pytest.mark.parametrize("secret", ["whsec_not base64!", base64.b64encode(b"short").decode()])
def test_an_unusable_secret_is_refused(secret):
    with pytest.raises(ValueError):
        decode_secret(secret)


class At:
    def now(self):
        return AT


def test_the_verify_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TB_HOOK_SECRET", SPEC_SECRET)
    body = tmp_path / "body.json"
    body.write_bytes(SPEC_BODY)
    args = ["webhook", "verify", "--secret-env", "TB_HOOK_SECRET", "--id", SPEC_ID]
    args += ["--timestamp", str(SPEC_TIMESTAMP)]
    out = io.StringIO()
    code = main([*args, "--signature", SPEC_SIGNATURE, str(body)], clock=At(), stdout=out)
    assert code == 0 and out.getvalue() == f"genuine: {SPEC_ID}\n"
    out = io.StringIO()
    code = main([*args, "--signature", "v1,AAAA", str(body)], clock=At(), stdout=out)
    assert code == 1 and out.getvalue().startswith("not genuine")
    monkeypatch.delenv("TB_HOOK_SECRET")
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    assert main([*args, "--signature", SPEC_SIGNATURE, str(body)], clock=At()) == 2
    assert "environment variable TB_HOOK_SECRET is not set" in err.getvalue()
