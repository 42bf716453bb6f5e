"""Which labs the grader knows, the protocols each offers, and where its gRPC stubs live.

A later lab is one more entry: its name, its protocols (each protocol brings its requirements)
and the package holding its generated users.v1 stubs.

Each address a lab is graded at is a *side*: one per protocol ("rest", "grpc"), and one per feature
that brings a service of its own (lab 5's "notifications": the notifier, at its own HTTP port).
A requirement may also need what the grader is given to run the service itself, rather than an
address: lab 7's configuration is graded by starting the service again and again, each time in an
environment of the check's own, so its side is the start command ("start", given by --start), and
the check that keeps users in PostgreSQL also needs a database ("database", --database-url).
"""

from __future__ import annotations

from dataclasses import dataclass

# Features that bring an address of their own, beside the protocols': lab 5's notifier (labs 6-7 keep it).
FEATURE_SIDES = {"notifications": "notifier"}
# Features whose checks start the service themselves (lab 7's configuration): their side is the start command.
FEATURE_NEEDS = {"config": "start"}
# Sides that are not addresses but what the grader is given to run the service with: the command that
# starts it (--start), and a PostgreSQL database its checks may have it store users in (--database-url).
RUN_SIDES = ("start", "database")


@dataclass(frozen=True)
class Lab:
    name: str
    protocols: tuple[str, ...]
    stubs_package: str | None = None  # import path of the package holding users/v1/*_pb2*.py
    # Features beyond the protocols, each bringing its own requirements: "auth" (lab 3) also makes
    # every other requirement call as a logged-in user (auth_clients.py); "websocket" (lab 4) is
    # the chat on the HTTP port, graded through the REST address; "notifications" (lab 5) is the
    # notifier, a second service graded through an address of its own (--notifier-url); "monitoring"
    # (lab 6) is the metrics and trace ids of both services, read at the addresses they already have;
    # "config" (lab 7) is the configuration from the environment and a .env file, graded by starting
    # the service with environments of the grader's own (--start), not at an address.
    features: tuple[str, ...] = ()

    @property
    def number(self) -> str:
        return self.name.split("_", 1)[0]

    @property
    def sides(self) -> tuple[str, ...]:
        """Every address the lab is graded at: its protocols', then its features' own (lab 5: "notifier")."""
        return self.protocols + tuple(FEATURE_SIDES[f] for f in self.features if f in FEATURE_SIDES)

    @property
    def needs(self) -> tuple[str, ...]:
        """What beyond its addresses the lab's requirements may need (lab 7: "start", "database"); see RUN_SIDES."""
        return RUN_SIDES if any(f in FEATURE_NEEDS for f in self.features) else ()


LABS = (
    Lab("lab1_rest", ("rest",)),
    Lab("lab2_grpc", ("rest", "grpc"), stubs_package="lab2_grpc"),
    Lab("lab3_jwt", ("rest", "grpc"), stubs_package="lab3_jwt", features=("auth",)),
    Lab("lab4_websocket", ("rest", "grpc"), stubs_package="lab4_websocket", features=("auth", "websocket")),
    Lab(
        "lab5_broker",
        ("rest", "grpc"),
        stubs_package="lab5_broker",
        features=("auth", "websocket", "notifications"),
    ),
    Lab(
        "lab6_monitoring",
        ("rest", "grpc"),
        stubs_package="lab6_monitoring",
        features=("auth", "websocket", "notifications", "monitoring"),
    ),
    Lab(
        "lab7_config",
        ("rest", "grpc"),
        stubs_package="lab7_config",
        features=("auth", "websocket", "notifications", "monitoring", "config"),
    ),
)


class UnknownLab(ValueError):
    pass


def resolve(wanted: str) -> Lab:
    """The lab called `wanted`: its folder name (lab2_grpc) or its number (lab2)."""
    key = wanted.strip().rstrip("/").lower()
    for lab in LABS:
        if key in (lab.name, lab.number):
            return lab
    names = ", ".join(f"{lab.number} ({lab.name})" for lab in LABS)
    raise UnknownLab(f"no lab called {wanted!r}; the grader knows {names}")
