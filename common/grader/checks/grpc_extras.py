"""gRPC, extras: the course's quality bar (field names, BadRequest details, paging, health, reflection...)."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_status import rpc_status

from ..context import Context
from ..evidence import CheckFailed, Exchange, expect
from ..grpc_client import SERVICE, GrpcReply
from ..registry import requirement
from .grpc_errors import expect_invalid_argument, invalid_creates
from .grpc_helpers import Code, create, expect_code, get, user_of
from .ids import unknown_id_like

MAX_MESSAGE = 64 * 1024


def bad_request_fields(reply: GrpcReply) -> list[str] | None:
    """The fields of a google.rpc.BadRequest found anywhere in the status details, or None without one."""
    if reply.error is None:
        return None
    status = rpc_status.from_call(reply.error)
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            return [violation.field for violation in bad_request.field_violations]
    return None


def rule_breaking_creates(ctx: Context) -> list[tuple[str, str, str]]:
    return [
        ("   ", ctx.email(), "name"),
        ("x" * 101, ctx.email(), "name"),
        ("Ada\nLovelace", ctx.email(), "name"),
        (f"Short Domain {ctx.token()}", "a@b", "email"),
        (f"Long Email {ctx.token()}", "x" * 250 + "@example.com", "email"),
    ]


@requirement(
    "GRPC-FIELD-NAMED",
    protocol="grpc",
    core=False,
    weight=1,
    title="Error messages name the field: name / email for INVALID_ARGUMENT and ALREADY_EXISTS, id for NOT_FOUND",
    hint='Put the field\'s name in the status message, e.g. "email: must be an email address".',
    depends_on=["GRPC-INVALID-ARGUMENT", "GRPC-CREATE-ALREADY-EXISTS", "GRPC-GET-NOT-FOUND"],
)
def messages_name_the_field(ctx: Context) -> None:
    for name, email, fields in invalid_creates(ctx):
        reply = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name=name, email=email))
        for field in fields:
            expect(field in reply.message, f"the message should name {field!r}", reply.exchange)
    user = create(ctx)
    taken = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="Copy", email=user.email))
    expect("email" in taken.message, "the ALREADY_EXISTS message should name 'email'", taken.exchange)
    missing = ctx.grpc.call("GetUser", ctx.grpc.pb.GetUserRequest(id=unknown_id_like(user.id)))
    expect("id" in missing.message, "the NOT_FOUND message should name 'id'", missing.exchange)


@requirement(
    "GRPC-BAD-REQUEST",
    protocol="grpc",
    core=False,
    weight=1,
    title="INVALID_ARGUMENT carries a google.rpc.BadRequest listing every bad field",
    hint="Attach a BadRequest with one FieldViolation per bad field to the status details (grpcio-status).",
    depends_on=["GRPC-INVALID-ARGUMENT"],
)
def bad_request_details(ctx: Context) -> None:
    for name, email, fields in invalid_creates(ctx):
        reply = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name=name, email=email))
        found = bad_request_fields(reply)
        expect(found is not None, "the status details should hold a google.rpc.BadRequest", reply.exchange)
        expect(sorted(found) == sorted(fields), f"the BadRequest should list {fields}, not {found}", reply.exchange)


@requirement(
    "GRPC-VALIDATION-RULES",
    protocol="grpc",
    core=False,
    weight=1,
    title="Names are 1-100 characters, not blank, without control characters; emails look like a@b.c, <= 254",
    hint="Apply the same rules as the REST side and end with INVALID_ARGUMENT naming the field.",
    depends_on=["GRPC-INVALID-ARGUMENT"],
)
def validation_rules(ctx: Context) -> None:
    for name, email, field in rule_breaking_creates(ctx):
        reply = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name=name, email=email))
        expect_invalid_argument(reply, f"a CreateUser whose {field} breaks the contract's rules")


@requirement(
    "GRPC-EMPTY-ID",
    protocol="grpc",
    core=False,
    weight=1,
    title="GetUser, UpdateUser and DeleteUser with an empty id end with INVALID_ARGUMENT naming id",
    hint="An empty id is a malformed request (INVALID_ARGUMENT), not an unknown user (NOT_FOUND).",
    depends_on=["GRPC-CREATE"],
)
def empty_id(ctx: Context) -> None:
    pb = ctx.grpc.pb
    for method, request in (
        ("GetUser", pb.GetUserRequest()),
        ("DeleteUser", pb.DeleteUserRequest()),
        ("UpdateUser", pb.UpdateUserRequest(name="Ada", email=ctx.email())),
    ):
        reply = ctx.grpc.call(method, request)
        expect_code(reply, Code.INVALID_ARGUMENT, "for an empty id")
        expect("id" in reply.message, "the message should name 'id'", reply.exchange)


@requirement(
    "GRPC-CREATE-EXISTS-CASE",
    protocol="grpc",
    core=False,
    weight=1,
    title="CreateUser with a registered email in another case ends with ALREADY_EXISTS",
    hint="Compare emails case-insensitively.",
    depends_on=["GRPC-CREATE-ALREADY-EXISTS"],
)
def create_taken_email_other_case(ctx: Context) -> None:
    email = ctx.email("case")
    create(ctx, "First", email)
    reply = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="Copy", email=email.upper()))
    expect_code(reply, Code.ALREADY_EXISTS, "for an email registered in another case")


@requirement(
    "GRPC-UPDATE-EXISTS-CASE",
    protocol="grpc",
    core=False,
    weight=1,
    title="UpdateUser to another user's email in another case ends with ALREADY_EXISTS",
    hint="Compare the new email with every other user's case-insensitively, as on create.",
    depends_on=["GRPC-UPDATE-ALREADY-EXISTS"],
)
def update_to_taken_email_other_case(ctx: Context) -> None:
    first, second = create(ctx, "First"), create(ctx, "Second")
    request = ctx.grpc.pb.UpdateUserRequest(id=second.id, name="Thief", email=first.email.upper())
    expect_code(ctx.grpc.call("UpdateUser", request), Code.ALREADY_EXISTS, "for another user's email in another case")


@requirement(
    "GRPC-TIMESTAMPS",
    protocol="grpc",
    core=False,
    weight=1,
    title="create_time is set and equals update_time until an update, which keeps create_time",
    hint="Set both timestamps on create; on update copy create_time and set update_time to now.",
    depends_on=["GRPC-UPDATE"],
)
def timestamps(ctx: Context) -> None:
    reply = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="Timed", email=ctx.email()))
    user = user_of(reply)
    expect(user.HasField("create_time") and user.create_time.seconds > 0, "create_time should be set", reply.exchange)
    expect(user.update_time == user.create_time, "update_time should equal create_time at first", reply.exchange)
    request = ctx.grpc.pb.UpdateUserRequest(id=user.id, name="Timed Again", email=ctx.email())
    updated_reply = ctx.grpc.call("UpdateUser", request)
    updated = user_of(updated_reply)
    expect(updated.create_time == user.create_time, "an update should keep create_time", updated_reply.exchange)
    expect(
        updated.update_time.ToDatetime() >= user.update_time.ToDatetime(),
        "update_time should not go back in time",
        updated_reply.exchange,
    )


@requirement(
    "GRPC-PAGING",
    protocol="grpc",
    core=False,
    weight=1,
    title="ListUsers pages: page_size bounds each page, tokens lead through every user once",
    hint="Answer at most page_size users (0: 50, above 1000: 1000) and a next_page_token while more remain.",
    depends_on=["GRPC-LIST"],
)
def paging(ctx: Context) -> None:
    made = [create(ctx, f"Pager {i} {ctx.token()}") for i in range(5)]
    seen, token = [], ""
    for _ in range(100_000):
        reply = ctx.grpc.call("ListUsers", ctx.grpc.pb.ListUsersRequest(page_size=2, page_token=token))
        expect(reply.ok, f"ListUsers should succeed, got {reply.code.name}", reply.exchange)
        expect(len(reply.response.users) <= 2, "a page should hold at most page_size users", reply.exchange)
        seen += [user.id for user in reply.response.users]
        token = reply.response.next_page_token
        if not token:
            break
    expect(len(seen) == len(set(seen)), "a user appeared on two pages", reply.exchange)
    positions = [seen.index(user.id) if user.id in seen else -1 for user in made]
    expect(
        -1 not in positions and positions == sorted(positions),
        "paging should reach every user, oldest first",
        reply.exchange,
    )
    default = ctx.grpc.call("ListUsers", ctx.grpc.pb.ListUsersRequest())
    expect(
        default.ok and default.response.users, "page_size 0 should use a default, not answer nothing", default.exchange
    )
    huge = ctx.grpc.call("ListUsers", ctx.grpc.pb.ListUsersRequest(page_size=2**31 - 1))
    expect(
        huge.ok and 0 < len(huge.response.users) <= 1000, "a huge page_size should be lowered to 1000", huge.exchange
    )


@requirement(
    "GRPC-PAGING-INVALID",
    protocol="grpc",
    core=False,
    weight=1,
    title="A negative page_size or a page_token the server did not hand out ends with INVALID_ARGUMENT",
    hint="Refuse page_size < 0 and tokens you cannot decode, naming page_size or page_token.",
)
def bad_paging(ctx: Context) -> None:
    for request, field in (
        (ctx.grpc.pb.ListUsersRequest(page_size=-1), "page_size"),
        (ctx.grpc.pb.ListUsersRequest(page_token="not a token"), "page_token"),
    ):
        reply = ctx.grpc.call("ListUsers", request)
        expect_code(reply, Code.INVALID_ARGUMENT, f"for a bad {field}")
        expect(field in reply.message, f"the message should name {field!r}", reply.exchange)


@requirement(
    "GRPC-CORRUPT-BYTES",
    protocol="grpc",
    core=False,
    weight=1,
    title="Bytes that are not a valid message end with INVALID_ARGUMENT, not INTERNAL",
    hint="Decode requests yourself (e.g. an interceptor) and answer INVALID_ARGUMENT when decoding fails.",
)
def corrupt_bytes(ctx: Context) -> None:
    for payload in (b"\xff\xff\xff", b"\x0a\x02\xff\xfe"):
        expect_code(ctx.grpc.raw_call("GetUser", payload), Code.INVALID_ARGUMENT, "for bytes that are not a message")


@requirement(
    "GRPC-MESSAGE-LIMIT",
    protocol="grpc",
    core=False,
    weight=1,
    title="A request over 64 KiB ends with RESOURCE_EXHAUSTED",
    hint="Set the server's maximum receive message length to 64 KiB.",
)
def message_limit(ctx: Context) -> None:
    request = ctx.grpc.pb.CreateUserRequest(name="x" * MAX_MESSAGE, email=ctx.email())
    expect_code(ctx.grpc.call("CreateUser", request), Code.RESOURCE_EXHAUSTED, "for a request over 64 KiB")


@requirement(
    "GRPC-HEALTH",
    protocol="grpc",
    core=False,
    weight=1,
    title="grpc.health.v1.Health/Check answers SERVING for the server as a whole",
    hint='Register the standard health service and set the status of "" to SERVING.',
)
def health(ctx: Context) -> None:
    sent = 'grpc.health.v1.Health/Check(service: "")'
    try:
        answer = health_pb2_grpc.HealthStub(ctx.grpc.channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=ctx.timeout
        )
    except grpc.RpcError as error:
        raise CheckFailed(
            "the health service should answer", Exchange(sent, f"{error.code().name}: {error.details()}")
        ) from None
    got = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    expect(answer.status == health_pb2.HealthCheckResponse.SERVING, "the status should be SERVING", Exchange(sent, got))


@requirement(
    "GRPC-REFLECTION",
    protocol="grpc",
    core=False,
    weight=1,
    title="Server reflection lists users.v1.UserService",
    hint="Register the server reflection service (v1 or v1alpha) with the full names of your services.",
)
def reflection(ctx: Context) -> None:
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    answers: list[str] = []
    for version in ("v1alpha", "v1"):
        method = f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo"
        call = ctx.grpc.channel.stream_stream(
            method,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,  # v1 is the same on the wire
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        try:
            responses = list(call(iter([request]), timeout=ctx.timeout))
        except grpc.RpcError as error:
            answers.append(f"{version}: {error.code().name}")
            continue
        names = {service.name for answer in responses for service in answer.list_services_response.service}
        expect(
            SERVICE in names,
            f"reflection should list {SERVICE}",
            Exchange(f"{method} list_services", str(sorted(names))),
        )
        return
    raise CheckFailed(
        "no reflection service answered", Exchange("ServerReflectionInfo list_services", "; ".join(answers))
    )


@requirement(
    "GRPC-SHARED-STORE",
    protocol="grpc",
    core=False,
    weight=1,
    title="REST and gRPC serve one store: a user made over one is seen, and its email taken, over the other",
    hint="Have the REST handlers and the gRPC servicer share one store object in one process.",
    depends_on=["GRPC-GET", "GRPC-CREATE-ALREADY-EXISTS", "REST-GET"],
)
def shared_store(ctx: Context) -> None:
    over_grpc = create(ctx, "Via gRPC")
    reply = ctx.rest.get(f"/users/{over_grpc.id}")
    expect(
        reply.status == 200,
        f"a user created over gRPC should be at GET /users/{{id}}, got {reply.status}",
        reply.exchange,
    )
    email = ctx.email("rest")
    made = ctx.rest.post("/users", {"name": "Via REST", "email": email})
    expect(200 <= made.status < 300, f"creating over REST should succeed, got {made.status}", made.exchange)
    rest_id = made.json().get("id") if isinstance(made.json(), dict) else None
    user, got = get(ctx, str(rest_id))
    expect(user.email == email, "GetUser should answer the user created over REST", got.exchange)
    copy = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="Copy", email=email))
    expect_code(copy, Code.ALREADY_EXISTS, "for an email registered over REST")
