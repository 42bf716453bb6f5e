"""Lab 4's exercises (lab4_websocket/README.md, "Exercises"), checked through the lab's WebSocket port.

Each check registers users of its own, logs them in and talks in a room of its own, as the grader's
WebSocket requirements do (their helpers are reused here), so it holds on a lab that already has
rooms and users. It judges only what a client receives: which frames, in which order, to whom.
"""

from __future__ import annotations

from common.grader import CheckFailed, Context, expect
from common.grader.checks.websocket import (
    Frame,
    as_json,
    chatter,
    field,
    first_frame,
    heard,
    join,
    new_room,
    next_message,
    send_all,
)
from common.grader.evidence import Exchange

from .registry import exercise

LAB = "lab4_websocket"


@exercise(
    LAB,
    1,
    title="a newcomer first receives the room's members: {type: members, room, members: [{sender, name}]}",
    hint="In Hub.join, before announcing the newcomer, offer it one text frame: a JSON object with type "
    "'members', the room, and a list of the other members already there, each as {sender: user id, name}. "
    "Join and leave notices then keep the newcomer's list up to date.",
)
def members(ctx: Context) -> None:
    room = new_room(ctx)
    ada, alan, grace = chatter(ctx, "Ada"), chatter(ctx, "Alan"), chatter(ctx, "Grace")
    with join(ctx, ada, room), join(ctx, alan, room), join(ctx, grace, room) as newcomer:
        sent = f"Grace joins room {room!r}, where Ada and Alan are"
        frame = first_frame(newcomer, ctx, sent, "waiting for the members of the room")
        data = as_json(frame)
        is_members = isinstance(data, dict) and data.get("type") == "members"
        expect(is_members, "the newcomer's first frame should list the members", heard(frame, sent))
        assert isinstance(data, dict)
        listed = data.get("members")
        expect(isinstance(listed, list), "'members' should be a list", heard(frame, sent))
        assert isinstance(listed, list)
        got = sorted((str(m.get("sender")), str(m.get("name"))) for m in listed if isinstance(m, dict))
        wanted = sorted([(ada.user_id, ada.name), (alan.user_id, alan.name)])
        expect(got == wanted, f"the members should be Ada and Alan, not Grace herself: {wanted}", heard(frame, sent))
        expect(data.get("room") == room, f"the members' room should be {room!r}", heard(frame, sent))


@exercise(
    LAB,
    2,
    title="a newcomer receives the room's last 20 text messages, oldest first, before anything new",
    hint="Keep a deque(maxlen=20) of framed text envelopes per room in the Hub (append in relay, for text "
    "only); in Hub.join offer each to the newcomer, oldest first, before it can receive anything else. "
    "Drop a room's history when its last member leaves.",
)
def history(ctx: Context) -> None:
    room = new_room(ctx)
    ada, alan = chatter(ctx, "Ada"), chatter(ctx, "Alan")
    texts = [f"message {i} of {ctx.token()}" for i in range(25)]
    with join(ctx, ada, room) as speaker, join(ctx, chatter(ctx, "Witness"), room) as witness:
        sent = f"Ada sends 25 texts to room {room!r}"
        for i in range(0, len(texts), 10):  # within the allowance of 20 a second, bursts of 40
            send_all(speaker, list(texts[i : i + 10]), ctx, sent)
        for _ in texts:  # all relayed before the newcomer joins
            next_message(witness, ctx, room, sent, "waiting for the texts to be relayed")
        with join(ctx, alan, room) as newcomer:
            got: list[Frame] = []
            arrival = f"Alan joins room {room!r} after 25 texts"
            for _ in range(20):
                got.append(next_message(newcomer, ctx, room, arrival, "waiting for the room's history"))
            seen = [field(frame, "text") for frame in got]
            expect(
                seen == texts[-20:],
                "the newcomer should receive the last 20 texts, oldest first",
                Exchange(arrival, f"texts: {seen[:3]}... ({len(seen)})"),
            )
            send_all(speaker, ["after the history"], ctx, sent)
            live = next_message(newcomer, ctx, room, arrival, "waiting for a new message after the history")
            expect(field(live, "text") == "after the history", "new messages follow the history", heard(live, arrival))


@exercise(
    LAB,
    3,
    title="'@<user id> text' goes only to that user's connections in the room, as type 'direct'",
    hint="In Hub.relay, before the usual fan-out: when a text starts with '@' and a user id followed by a space, "
    "frame an envelope of type 'direct' (the text without the '@id ' prefix, and 'to': the id) and offer it only to "
    "the members of the room with that user id; nobody else receives it.",
)
def direct(ctx: Context) -> None:
    room = new_room(ctx)
    ada, alan, grace = chatter(ctx, "Ada"), chatter(ctx, "Alan"), chatter(ctx, "Grace")
    with join(ctx, ada, room) as sender, join(ctx, alan, room) as bystander, join(ctx, grace, room) as recipient:
        sent = f"Ada sends '@{grace.user_id} psst' in room {room!r}"
        send_all(sender, [f"@{grace.user_id} psst", "for everyone"], ctx, sent)
        frame = next_message(recipient, ctx, room, sent, "waiting for the direct message")
        data = as_json(frame)
        expect(isinstance(data, dict), "a direct message should be a JSON envelope", heard(frame, sent))
        assert isinstance(data, dict)
        expect(data.get("type") == "direct", "its type should be 'direct'", heard(frame, sent))
        expect(data.get("text") == "psst", "its text should be the message without '@id '", heard(frame, sent))
        expect(data.get("sender") == ada.user_id, "its sender should be Ada's id", heard(frame, sent))
        other = next_message(bystander, ctx, room, sent, "waiting for the message to everyone")
        if field(other, "type") == "direct" or field(other, "text") == "psst":
            raise CheckFailed("a direct message reached someone it was not for", heard(other, sent))
        public = field(other, "text") == "for everyone"
        expect(public, "the bystander should receive only the public text", heard(other, sent))
