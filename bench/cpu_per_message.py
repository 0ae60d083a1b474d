"""Where a message's CPU goes on the scaled topology: milliseconds of CPU per answered message, by process.

Starts ``make run-scaled`` as bench/throughput.py does, sends ``--customers``
REST customers as fast as they are answered for ``--seconds``, and reads
each process's CPU time (``/proc/<pid>/stat``, user + system) before and
after: the supervised programs, and the machine's PostgreSQL, RabbitMQ and
Redis (every process of theirs, so anything else using them on this machine
counts too). Two cores give 2,000 ms of CPU a second: the total per message
is the ceiling on messages per second once the machine is busy, whatever the
number of processes; it is what to size machines by (docs/deploy.md).

    .venv/bin/python -m bench.cpu_per_message [--seconds 30] [--customers 20] [--port-base 6300]
"""
import argparse
import os
import subprocess
from typing import Dict, List

from bench.load import SERAMBI_MESSAGES, run_load, send
from bench.soak import PROGRAMS
from bench.throughput import WARM_UP_MESSAGES, scaled_stack, wait_for_answers

# The machine's services, by the name their processes run under.
SERVICES = {"postgresql": "postgres", "rabbitmq": "beam.smp", "redis": "redis-server"}
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def processes_named(name: str) -> List[int]:
    found = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, check=False).stdout
    return [int(pid) for pid in found.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--port-base", type=int, default=6300)
    args = parser.parse_args()
    with scaled_stack(args.port_base) as (rasa_url, stack):
        wait_for_answers(rasa_url, SERAMBI_MESSAGES[0])
        for n in range(WARM_UP_MESSAGES):
            send(f"{rasa_url}/webhooks/rest/webhook", f"warm-{n % 3}", SERAMBI_MESSAGES[n % len(SERAMBI_MESSAGES)])
        groups: Dict[str, List[int]] = {program: [stack.pid(program)] for program in PROGRAMS}
        groups.update({service: processes_named(name) for service, name in SERVICES.items()})
        before = {group: sum(map(cpu_s, pids)) for group, pids in groups.items()}
        result = run_load(rasa_url, args.customers, args.seconds)
        spent = {group: sum(map(cpu_s, pids)) - before[group] for group, pids in groups.items()}
    answered = len(result.latencies_ms)
    print(f"{args.customers} customers, {result.seconds:.0f} s: {answered} answered, "
          f"{result.messages_per_s:.1f} messages/s, errors {sum(result.errors.values())}")
    print(f"{'process':18} {'CPU s':>7} {'ms/message':>11}")
    for group, seconds in [*spent.items(), ("total", sum(spent.values()))]:
        print(f"{group:18} {seconds:7.1f} {1000 * seconds / max(answered, 1):11.1f}")
    total_ms = 1000 * sum(spent.values()) / max(answered, 1)
    print(f"ceiling on {os.cpu_count()} cores at this cost: {1000 * (os.cpu_count() or 1) / total_ms:.0f} messages/s")


if __name__ == "__main__":
    main()
