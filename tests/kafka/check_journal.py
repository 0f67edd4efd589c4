#!/usr/bin/env python3
"""An independent checker of Kezek's journal topic (issue #13), written apart from the engine.

It shares no code with the engine: the client is PyPI's confluent-kafka (its own, newer
librdkafka), and the FlatBuffer JournalRecord (schemas/decisions.fbs) is parsed here by hand.

    check_journal.py --brokers HOST:PORT --prefix P [--partitions N] [--expect-inputs FILE]

For every partition K of P.journal, read from the beginning to its end with read_committed
(assigned, never joining a group, never committing), it checks:
  - each message value is a JournalRecord: file identifier "KZJR", a root table and vtable inside
    the message, the record's fields, vectors, strings and sub-tables inside the message;
  - sequences are 0, 1, 2, ... (a repeat is "a duplicate", a jump "a gap");
  - prev_sha256 is the SHA-256 of the previous message's value (32 zero bytes for the first);
  - input offsets never go back, and the inputs the journal folds are exactly the first inputs of
    P.actions partition K (read read_committed too): each input offset exists there, none is
    skipped before the last one folded, none is folded twice. Consecutive records may share an
    input offset (one input, several records); an input's records must be consecutive;
  - with --expect-inputs FILE (the JSON lines `kezek append --kafka` prints:
    {"line": N, "published": [{"partition": K, "offset": O}, ...]}), every published input has
    been folded.
It also reads each journal partition read_uncommitted and reports, for information, how many
messages are visible only there (aborted transactions, or one still open).

Exit status: 0 every partition passed; 1 a check failed (each failure names the topic, partition,
offset and what is wrong); 2 it could not check (no broker, no topic, a usage error).
"""

import argparse
import contextlib
import hashlib
import json
import struct
import sys
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

IDENTIFIER = b"KZJR"
ZERO_SHA256 = bytes(32)
OUTCOMES = {0: "Applied", 1: "Rejected", 2: "Duplicate"}

# JournalRecord's field ids: declaration order in schemas/decisions.fbs.
F_SCHEMA_VERSION, F_SEQUENCE, F_INPUT_OFFSET, F_ENGINE_TIME_MS, F_PREV_SHA256 = 0, 1, 2, 3, 4
F_OUTCOME, F_ACTION, F_RAW_INPUT, F_DUPLICATE_OF, F_REJECTION, F_DECISIONS = 5, 6, 7, 8, 9, 10
RECORD_FIELDS = ("schema_version", "sequence", "input_offset", "engine_time_ms", "prev_sha256", "outcome", "action",
                 "raw_input", "duplicate_of", "rejection", "decisions")


class NotARecord(Exception):
    """The bytes are not a well-formed JournalRecord; the message says where and why."""


class CannotCheck(Exception):
    """The topics cannot be read (exit 2), as opposed to a failed check (exit 1)."""


# --- FlatBuffers, minimally: https://flatbuffers.dev/internals/ ---------------------------------

class Table:
    """A FlatBuffers table at `pos` in `buf`, its vtable checked to lie inside the buffer."""

    def __init__(self, buf, pos, what, names=()):
        self.buf, self.pos, self.what, self.names = buf, pos, what, names
        n = len(buf)
        if pos % 4 or pos < 0 or pos + 4 > n:
            raise NotARecord(f"{what}: table at byte {pos} outside the {n}-byte message or misaligned")
        (soffset,) = struct.unpack_from("<i", buf, pos)
        vt = pos - soffset
        if vt % 2 or vt < 0 or vt + 4 > n:
            raise NotARecord(f"{what}: vtable at byte {vt} outside the {n}-byte message or misaligned")
        self.vsize, self.tsize = struct.unpack_from("<HH", buf, vt)
        if self.vsize < 4 or self.vsize % 2 or vt + self.vsize > n:
            raise NotARecord(f"{what}: vtable at byte {vt} of {self.vsize} bytes does not fit the {n}-byte message")
        if self.tsize < 4 or pos + self.tsize > n:
            raise NotARecord(f"{what}: table at byte {pos} of {self.tsize} bytes does not fit the {n}-byte message")
        self.vt = vt

    def name(self, field_id):
        return self.names[field_id] if field_id < len(self.names) else f"field {field_id}"

    def field_pos(self, field_id, size):
        """The absolute position of field `field_id` (`size` bytes), or None when absent."""
        entry = 4 + 2 * field_id
        if entry + 2 > self.vsize:
            return None
        (voffset,) = struct.unpack_from("<H", self.buf, self.vt + entry)
        if voffset == 0:
            return None
        if voffset < 4 or voffset + size > self.tsize or (self.pos + voffset) % size:
            raise NotARecord(f"{self.what}: {self.name(field_id)} at table byte {voffset} is outside the table "
                             f"({self.tsize} bytes) or misaligned")
        return self.pos + voffset

    def scalar(self, field_id, fmt, default=0):
        size = struct.calcsize(fmt)
        at = self.field_pos(field_id, size)
        return default if at is None else struct.unpack_from(fmt, self.buf, at)[0]

    def _target(self, field_id):
        at = self.field_pos(field_id, 4)
        if at is None:
            return None
        (uoffset,) = struct.unpack_from("<I", self.buf, at)
        target = at + uoffset
        if uoffset == 0 or uoffset >= 2**31 or target + 4 > len(self.buf):
            raise NotARecord(f"{self.what}: {self.name(field_id)} points to byte {target}, outside the "
                             f"{len(self.buf)}-byte message")
        return target

    def vector(self, field_id, elem_size):
        """(start, length) of a vector field's elements, or None when absent."""
        target = self._target(field_id)
        if target is None:
            return None
        if target % 4:
            raise NotARecord(f"{self.what}: {self.name(field_id)}'s vector at byte {target} is misaligned")
        (length,) = struct.unpack_from("<I", self.buf, target)
        start = target + 4
        if start + length * elem_size > len(self.buf):
            raise NotARecord(f"{self.what}: {self.name(field_id)}'s vector of {length} elements at byte {target} "
                             f"runs past the {len(self.buf)}-byte message")
        return start, length

    def string(self, field_id):
        v = self.vector(field_id, 1)
        if v is None:
            return None
        start, length = v
        if start + length >= len(self.buf) or self.buf[start + length] != 0:
            raise NotARecord(f"{self.what}: {self.name(field_id)}'s string at byte {start - 4} is not NUL-terminated")
        return bytes(self.buf[start:start + length])

    def table(self, field_id, what, names=()):
        target = self._target(field_id)
        return None if target is None else Table(self.buf, target, what, names)


class JournalRecord:
    """The fields of one JournalRecord message, with where they lie (for the fault injection)."""

    def __init__(self, buf):
        buf = bytes(buf)
        if len(buf) < 8:
            raise NotARecord(f"{len(buf)} bytes: too short for a FlatBuffer (root offset and identifier)")
        identifier = buf[4:8]
        if identifier != IDENTIFIER:
            raise NotARecord(f"file identifier {identifier!r}, not {IDENTIFIER!r}")
        (root,) = struct.unpack_from("<I", buf, 0)
        t = Table(buf, root, "the JournalRecord", RECORD_FIELDS)
        self.table = t
        self.schema_version = t.scalar(F_SCHEMA_VERSION, "<H")
        self.sequence = t.scalar(F_SEQUENCE, "<Q")
        self.input_offset = t.scalar(F_INPUT_OFFSET, "<Q")
        self.engine_time_ms = t.scalar(F_ENGINE_TIME_MS, "<q")
        self.outcome = t.scalar(F_OUTCOME, "<B")
        self.duplicate_of = t.scalar(F_DUPLICATE_OF, "<Q")
        prev = t.vector(F_PREV_SHA256, 1)
        if prev is None:
            raise NotARecord("no prev_sha256")
        if prev[1] != 32:
            raise NotARecord(f"prev_sha256 of {prev[1]} bytes, not 32")
        self.prev_sha256_at = prev[0]
        self.prev_sha256 = buf[prev[0]:prev[0] + 32]
        if self.outcome not in OUTCOMES:
            raise NotARecord(f"outcome {self.outcome}, none of {sorted(OUTCOMES)} ({', '.join(OUTCOMES.values())})")
        self.action = t.vector(F_ACTION, 1)
        if self.action is not None:
            # A nested FlatBuffer (an Action): its root table must lie inside it.
            start, length = self.action
            nested = buf[start:start + length]
            if len(nested) < 8:
                raise NotARecord(f"the nested action of {len(nested)} bytes is no FlatBuffer")
            Table(nested, struct.unpack_from("<I", nested, 0)[0], "the nested action")
        self.raw_input = t.vector(F_RAW_INPUT, 1)
        rejection = t.table(F_REJECTION, "the rejection", ("code", "reason"))
        if rejection is not None:
            rejection.scalar(0, "<H")  # code: RejectionCode (ushort)
            rejection.string(1)        # reason
        self.decisions = 0
        decisions = t.vector(F_DECISIONS, 4)
        if decisions is not None:
            start, length = decisions
            self.decisions = length
            for i in range(length):
                at = start + 4 * i
                d = Table(buf, at + struct.unpack_from("<I", buf, at)[0], f"decision {i}", ("body_type", "body"))
                if d.scalar(0, "<B") != 0:  # body_type; NONE = 0
                    if d.table(1, f"decision {i}'s body") is None:
                        raise NotARecord(f"decision {i} has a body type but no body")
        if self.outcome == 2 and self.duplicate_of >= self.sequence:
            raise NotARecord(f"a Duplicate of record {self.duplicate_of}, not before its own sequence {self.sequence}")

    def field_at(self, field_id, size):
        return self.table.field_pos(field_id, size)


# --- Reading a partition -----------------------------------------------------------------------

class Reader:
    """Reads whole partitions, one consumer per isolation level, reused from topic to topic."""

    def __init__(self, brokers, timeout_s=120.0):
        self.brokers, self.timeout_s, self.consumers = brokers, timeout_s, {}

    def _consumer(self, isolation):
        if isolation not in self.consumers:
            self.consumers[isolation] = Consumer({
                "bootstrap.servers": self.brokers,
                # librdkafka wants a group id for a consumer; with assign() it is never joined nor
                # committed to.
                "group.id": f"check-journal-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": isolation,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                "check.crcs": True,
                # At the end a fetch waits this long for more before the end-of-partition event.
                "fetch.wait.max.ms": 100,
            })
        return self.consumers[isolation]

    def read(self, topic, partition, isolation):
        """Yields (offset, value) for every message of `topic` `partition` visible at `isolation`,
        from the beginning to its end (the end of the fetchable range: the last stable offset for
        read_committed, the high watermark for read_uncommitted), then returns."""
        consumer = self._consumer(isolation)
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
        try:
            deadline = time.monotonic() + self.timeout_s
            while True:
                if time.monotonic() > deadline:
                    raise CannotCheck(f"{topic} partition {partition}: no end reached within "
                                      f"{self.timeout_s:.0f} s ({isolation})")
                m = consumer.poll(1.0)
                if m is None:
                    continue
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        if m.topic() == topic and m.partition() == partition:
                            return
                        continue
                    if m.error().fatal() or not m.error().retriable():
                        raise CannotCheck(f"{topic} partition {partition} ({isolation}): {m.error()}")
                    continue
                if m.topic() != topic or m.partition() != partition:
                    continue  # left over from the partition read before
                yield m.offset(), m.value()
        finally:
            consumer.unassign()

    def close(self):
        for c in self.consumers.values():
            c.close()


def partition_count(brokers, topic):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"check-journal-{uuid.uuid4()}"})
    try:
        md = consumer.list_topics(topic, timeout=30)
    except KafkaException as e:
        raise CannotCheck(f"{topic}: no metadata: {e}") from e
    finally:
        consumer.close()
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        raise CannotCheck(f"{topic}: {t.error if t is not None else 'absent'}")
    return len(t.partitions)


# --- The checks --------------------------------------------------------------------------------

class Failure(Exception):
    pass


def check_partition(reader, prefix, k, expected_inputs):
    """Checks partition k; returns a summary line, raises Failure naming what is wrong."""
    journal, actions = f"{prefix}.journal", f"{prefix}.actions"
    inputs = [o for o, _ in reader.read(actions, k, "read_committed")]
    index_of = {o: i for i, o in enumerate(inputs)}

    def where(offset):
        return f"{journal} partition {k} offset {offset}"

    next_sequence = 0
    previous = ZERO_SHA256
    folded = 0             # inputs[:folded] are the inputs folded so far
    last_input = None      # the input offset of the record before
    first_record = {}      # input offset -> (journal offset, sequence) of its first record
    multi = 0              # inputs that spanned more than one record
    committed = []
    records = reader.read(journal, k, "read_committed")
    with contextlib.closing(records):  # on a failure too, before the consumer reads elsewhere
        for offset, value in records:
            committed.append(offset)
            if value is None:
                raise Failure(f"{where(offset)}: an empty message (no value) where a JournalRecord belongs")
            try:
                r = JournalRecord(value)
            except NotARecord as e:
                raise Failure(f"{where(offset)}: not a JournalRecord: {e}") from None
            except struct.error as e:
                raise Failure(f"{where(offset)}: not a JournalRecord: {e}") from None
            if r.sequence != next_sequence:
                kind = "a duplicate" if r.sequence < next_sequence else "a gap"
                raise Failure(f"{where(offset)}: record sequence {r.sequence} where {next_sequence} was due: {kind}")
            if r.prev_sha256 != previous:
                raise Failure(f"{where(offset)}: record {r.sequence} does not chain to the record before: prev_sha256 "
                              f"{r.prev_sha256.hex()[:16]}… where {previous.hex()[:16]}… was due"
                              + (" (zeros, the first record)" if previous == ZERO_SHA256 else ""))
            i = r.input_offset
            if i == last_input:
                if first_record[i][1] == r.sequence - 1:
                    multi += 1
            elif last_input is not None and i < last_input:
                if i in first_record:
                    o, s = first_record[i]
                    raise Failure(f"{where(offset)}: record {r.sequence} folds input {i} again (first folded by "
                                  f"record {s} at offset {o}), after input {last_input}")
                raise Failure(f"{where(offset)}: record {r.sequence} is of input {i}, after input {last_input}: "
                              f"the input offset goes back")
            else:
                if i not in index_of:
                    end = f"its offsets are {inputs[0]}..{inputs[-1]}" if inputs else "it is empty"
                    raise Failure(f"{where(offset)}: record {r.sequence} is of input {i}, which is no offset of "
                                  f"{actions} partition {k} ({end})")
                if index_of[i] != folded:
                    skipped = index_of[i] - folded
                    raise Failure(f"{where(offset)}: record {r.sequence} is of input {i}, but input {inputs[folded]} "
                                  f"of {actions} partition {k} was due: {skipped} input(s) skipped "
                                  f"({inputs[folded]}..{inputs[index_of[i] - 1]})")
                folded += 1
                first_record[i] = (offset, r.sequence)
                last_input = i
            previous = hashlib.sha256(value).digest()
            next_sequence += 1

    for line, o in expected_inputs.get(k, []):
        if o not in index_of:
            raise Failure(f"{actions} partition {k}: input {o} (published for line {line}, --expect-inputs) "
                          f"is not in the topic")
        if index_of[o] >= folded:
            head = f"its last record is of input {last_input}" if last_input is not None else "it is empty"
            raise Failure(f"{journal} partition {k}: input {o} (published for line {line}, --expect-inputs) "
                          f"was never folded: {head}")

    uncommitted = [o for o, _ in reader.read(journal, k, "read_uncommitted")]
    seen = set(committed)
    hidden = sum(1 for o in uncommitted if o not in seen)
    visible = set(uncommitted)
    missing = [o for o in committed if o not in visible]
    if missing:
        raise Failure(f"{where(missing[0])}: visible read_committed but not read_uncommitted")
    return (f"{journal} partition {k}: {next_sequence} records, chain head "
            f"{previous.hex()[:16]}…; inputs folded {folded} of {len(inputs)} in {actions} partition {k}"
            + (f" (last {last_input})" if last_input is not None else "")
            + (f"; {multi} input(s) in several records" if multi else "")
            + f"; aborted or open (read_uncommitted only): {hidden}")


def load_expected(path):
    """{partition: [(line, offset), ...]} from `kezek append --kafka`'s JSON lines."""
    expected = {}
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                doc = json.loads(text)
                for p in doc["published"]:
                    expected.setdefault(int(p["partition"]), []).append((doc.get("line", n), int(p["offset"])))
            except (ValueError, KeyError, TypeError) as e:
                raise CannotCheck(f"{path} line {n}: not `kezek append --kafka` output ({e})") from e
    return expected


def main(argv=None):
    ap = argparse.ArgumentParser(description="Check a Kezek journal topic, apart from the engine.")
    ap.add_argument("--brokers", required=True, help="bootstrap servers, HOST:PORT[,...]")
    ap.add_argument("--prefix", required=True, help="topic prefix P: checks P.journal against P.actions")
    ap.add_argument("--partitions", type=int, help="partition count (default: P.journal's, from metadata)")
    ap.add_argument("--expect-inputs", metavar="FILE",
                    help="`kezek append --kafka` output: every input it published must be folded")
    args = ap.parse_args(argv)
    try:
        expected = load_expected(args.expect_inputs) if args.expect_inputs else {}
        journal, actions = f"{args.prefix}.journal", f"{args.prefix}.actions"
        n_journal, n_actions = partition_count(args.brokers, journal), partition_count(args.brokers, actions)
        n = args.partitions if args.partitions is not None else n_journal
        problems = []
        if n_journal != n or n_actions != n:
            problems.append(f"{journal} has {n_journal} partitions and {actions} {n_actions}, where {n} were due")
        for k in sorted(expected):
            if not 0 <= k < n:
                problems.append(f"--expect-inputs names partition {k}, outside 0..{n - 1}")
        reader = Reader(args.brokers)
        try:
            for k in range(min(n, n_journal, n_actions)):
                try:
                    print(check_partition(reader, args.prefix, k, expected), flush=True)
                except Failure as e:
                    problems.append(str(e))
        finally:
            reader.close()
    except CannotCheck as e:
        print(f"check_journal: ERROR: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(f"check_journal: FAIL: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_journal: OK: {n} partition(s) of {args.prefix}.journal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
