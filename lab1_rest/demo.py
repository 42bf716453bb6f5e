"""A guided tour of the API: ``python -m lab1_rest.demo [BASE_URL]`` prints each call and its answer.

It runs against a service that is already up (``python -m lab1_rest`` in another terminal);
``./run_all.sh`` starts the lab, runs this tour and stops it again.
"""

from __future__ import annotations

import json
import sys

import requests

from .settings import load


class Tour:
    """Sends requests and prints them with their answers, the way a student would read them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, body: object = None, expect: int = 200) -> requests.Response:
        print(f"\n> {method} {path}" + (f" {json.dumps(body)}" if body is not None else ""))
        response = self.http.request(method, self.base_url + path, json=body, timeout=10)
        print(f"< {response.status_code} {response.reason}")
        if response.content:
            print("  " + json.dumps(response.json(), indent=2).replace("\n", "\n  "))
        if response.status_code != expect:
            sys.exit(f"expected {expect}, got {response.status_code}")
        return response


def main() -> None:
    settings = load()
    tour = Tour(sys.argv[1] if len(sys.argv) > 1 else f"http://{settings.address(settings.http_port)}")
    ada = tour.call("POST", "/users", {"name": "Ada Lovelace", "email": "ada@example.com"}, 201).json()
    tour.call("POST", "/users", {"name": "Alan Turing", "email": "alan@example.com"}, 201)
    tour.call("GET", "/users")
    tour.call("GET", f"/users/{ada['id']}")
    tour.call("PUT", f"/users/{ada['id']}", {"name": "Ada King", "email": "ada@example.com"})
    print("\nMistakes get a problem+json answer that names the field:")
    tour.call("POST", "/users", {"name": "Copy", "email": "ADA@example.com"}, 409)
    tour.call("POST", "/users", {"name": "", "email": "not-an-email"}, 422)
    tour.call("DELETE", f"/users/{ada['id']}", expect=204)
    tour.call("GET", f"/users/{ada['id']}", expect=404)
    print("\nTour complete.")


if __name__ == "__main__":
    main()
