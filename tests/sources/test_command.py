"""Command sources, run as real child processes (``sys.executable -c ...``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from psabill.config.source_models import Source
from psabill.errors import SourceError
from psabill.sources import read_source

from .support import make_source, quantities

CSV_OUT = "print('customer_id,sku,quantity'); print('acme,CIXA,42'); print('beta,CIXA,7')"


def command(script: str, *args: str, **fields: Any) -> Source:
    argv = [sys.executable, "-c", script, *args]
    return make_source(**{"kind": "command", "name": "export", "argv": argv} | fields)


def run(source: Source, base_dir: Path, env: dict[str, str] | None = None) -> Any:
    return read_source(source, base_dir=base_dir, env=env or {})


def error_of(source: Source, base_dir: Path) -> SourceError:
    with pytest.raises(SourceError) as info:
        run(source, base_dir)
    return info.value


def test_csv_output_with_stdout_line_locations(tmp_path: Path) -> None:
    records = run(command(CSV_OUT), tmp_path)
    assert quantities(records) == {("acme", "CIXA"): "42", ("beta", "CIXA"): "7"}
    assert [r.location for r in records] == ["command export:2", "command export:3"]


def test_semicolon_csv_is_detected(tmp_path: Path) -> None:
    script = "print('customer_id;sku;quantity\\r\\nacme;CIXA;3', end='\\r\\n')"
    assert quantities(run(command(script), tmp_path)) == {("acme", "CIXA"): "3"}


def test_json_output(tmp_path: Path) -> None:
    usage = "{'usage': [{'customer_id': 'a', 'sku': 'S', 'quantity': '5'}]}"
    script = f"import json; print(json.dumps({usage}))"
    (record,) = run(command(script, format="json"), tmp_path)
    assert (record.customer, record.quantity, record.location) == (
        "a",
        5,
        "command export: usage[0]",
    )


def test_arguments_are_passed_literally_never_through_a_shell(tmp_path: Path) -> None:
    script = "import sys; print('customer_id,sku,quantity'); print(f'\"{sys.argv[1]}\",CIXA,1')"
    trap = "$(touch pwned); `touch pwned` | touch pwned & ; x"
    (record,) = run(command(script, trap), tmp_path)
    assert record.customer == trap
    assert not (tmp_path / "pwned").exists()


def test_runs_in_base_dir_with_the_given_environment(tmp_path: Path) -> None:
    (tmp_path / "export.py").write_text(
        "import os, pathlib\n"
        "print('customer_id,sku,quantity')\n"
        "print(f\"{os.environ.get('VENDOR_TENANT', 'none')},{pathlib.Path.cwd().name},1\")\n"
    )
    source = command("", argv=[sys.executable, "export.py"])
    (record,) = run(source, tmp_path, env={"VENDOR_TENANT": "t-17"})
    assert (record.customer, record.sku) == ("t-17", tmp_path.name)


def test_non_zero_exit_carries_the_tail_of_stderr(tmp_path: Path) -> None:
    script = (
        "import sys; print('customer_id,sku,quantity'); print('acme,CIXA,1');"
        "sys.stderr.write('x' * 10000 + '\\nconnecting\\n\\nAPI said: 401 Unauthorized\\n');"
        "sys.exit(3)"
    )
    error = error_of(command(script), tmp_path)
    assert error.message == (
        "command export: exited with status 3: connecting | API said: 401 Unauthorized"
    )
    one_long_line = "import sys; sys.stderr.write('y' * 100000 + 'END'); sys.exit(1)"
    message = error_of(command(one_long_line), tmp_path).message
    assert message.startswith("command export: exited with status 1: ...yyy")
    assert message.endswith("yyyEND")
    assert len(message) < 500


def test_silent_failure_and_signal(tmp_path: Path) -> None:
    assert error_of(command("raise SystemExit(2)"), tmp_path).message == (
        "command export: exited with status 2 (no error output)"
    )
    script = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    assert error_of(command(script), tmp_path).message == (
        "command export: was killed by SIGTERM (no error output)"
    )


def test_timeout_kills_the_program_and_its_children(tmp_path: Path) -> None:
    # The grandchild inherits stdout: unless the whole group is killed, reading would wait 60 s.
    script = (
        "import subprocess, sys, time; print('customer_id,sku,quantity', flush=True);"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    error = error_of(command(script, timeout=1), tmp_path)
    assert error.message == "command export: timed out after 1 s"
    assert error.hint is not None


def test_program_not_found_and_not_executable(tmp_path: Path) -> None:
    missing = command("", argv=["psabill-no-such-program-xyz", "--export"])
    error = error_of(missing, tmp_path)
    assert error.message == 'command export: program "psabill-no-such-program-xyz" not found'
    assert error.hint is not None
    assert "PATH" in error.hint
    script = tmp_path / "export.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    error = error_of(command("", argv=["./export.sh"]), tmp_path)
    assert (
        error.message == 'command export: program "./export.sh" cannot be run (permission denied)'
    )


def test_bad_output_fails_with_the_stdout_line(tmp_path: Path) -> None:
    script = "print('customer_id,sku,quantity'); print('acme,CIXA,1'); print('beta,CIXA,many')"
    assert error_of(command(script), tmp_path).message == (
        'command export:3: column "quantity": "many" is not a number'
    )


def test_non_utf8_output(tmp_path: Path) -> None:
    script = (
        "import sys; sys.stdout.buffer.write(b'customer_id,sku,quantity\\nM\\xfcller,CIXA,1\\n')"
    )
    error = error_of(command(script), tmp_path)
    assert error.message == "command export:2: is not UTF-8 (byte 0xFC at column 2)"
    assert error.hint == "make the program print UTF-8"


def test_empty_output_and_bad_json(tmp_path: Path) -> None:
    assert error_of(command("pass"), tmp_path).message == (
        "command export: no header row (the input is empty)"
    )
    assert error_of(command("print('{oops')", format="json"), tmp_path).message == (
        "command export:1:2: not valid JSON: Expecting property name enclosed in double quotes"
    )


def test_large_output_spills_to_disk_and_is_read_whole(tmp_path: Path) -> None:
    # About 9 MB: more than the 8 MiB spooled in memory, so the temporary file is used.
    script = (
        "import sys; w = sys.stdout.write; w('customer_id,sku,quantity\\n')\n"
        "for n in range(60000): w(f'customer-{n:08d}-{\"x\" * 130},CIXA,{n % 97}\\n')"
    )
    records = run(command(script), tmp_path)
    assert len(records) == 60000
    assert records[-1].location == "command export:60001"
