"""Deliveries cut into batches, as a scheduler would receive them, for the refresh tests.

A generated delivery (every table as JSON lines) is dealt line by line into batches: records
arrive days late, some lines are delivered twice (in two batches), and after the data come a
batch that renames a room, moves another to another event app and renames an attendee, and a
batch that holds only malformed records.
"""

import gzip
import json
import random
from pathlib import Path

REDELIVERED_EVERY = 40  # every 40th line is delivered again, in the batch after its own


def delivery_lines(delivery: Path) -> dict[str, list[str]]:
    """Each table's lines (malformed ones included) of a delivery of .jsonl.gz files."""
    lines: dict[str, list[str]] = {}
    for path in sorted(delivery.rglob("*.jsonl.gz")):
        table = path.relative_to(delivery).parts[0].removesuffix(".jsonl.gz")
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            lines.setdefault(table, []).extend(line for line in handle if line.strip())
    return lines


def split_delivery(delivery: Path, target: Path, data_batches: int, seed: int) -> list[Path]:
    """`data_batches` batches of the delivery's lines dealt at random, then the updates batch
    and the rejects-only batch: the folders, in the order to load them."""
    rng = random.Random(seed)
    lines = delivery_lines(delivery)
    dealt: list[dict[str, list[str]]] = [{} for _ in range(data_batches)]
    for table, table_lines in lines.items():
        for number, line in enumerate(table_lines):
            batch = rng.randrange(data_batches)
            dealt[batch].setdefault(table, []).append(line)
            if number % REDELIVERED_EVERY == 0:
                dealt[(batch + 1) % data_batches].setdefault(table, []).append(line)
    folders = []
    for number, tables in enumerate([*dealt, updates(lines), REJECTS_ONLY]):
        folder = target / f"batch-{number}"
        for table, table_lines in tables.items():
            file = folder / table / f"part-{seed}-{number}.jsonl"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text("".join(table_lines), encoding="utf-8")
        folders.append(folder)
    return folders


def updates(lines: dict[str, list[str]]) -> dict[str, list[str]]:
    """A later delivery: a room renamed, another moved to another event app, an attendee
    renamed (each with a later updated_at, so that it wins)."""
    rooms = [json.loads(line) for line in lines["rooms"] if line.startswith('{"room_id"')]
    attendees = [json.loads(line) for line in lines["attendees"] if line.startswith('{"event_id"')]
    later = "2027-01-01T00:00:00Z"
    renamed = rooms[0] | {"room_name": "Renamed Hall", "updated_at": later}
    others = sorted({room["event_id"] for room in rooms} - {rooms[1]["event_id"]})
    moved = rooms[1] | {"event_id": others[0], "updated_at": later}
    person = attendees[0] | {"first_name": "Renamed", "updated_at": later}
    return {
        "rooms": [json.dumps(renamed) + "\n", json.dumps(moved) + "\n"],
        "attendees": [json.dumps(person) + "\n"],
    }


REJECTS_ONLY = {
    "room_joins": ["{not json\n", '{"event_uuid": "only-a-uuid"}\n'],
    "teleports": ['{"event_uuid": "t", "event_id": "E", "room_id": "r", "user_id": "u"}\n'],
}
