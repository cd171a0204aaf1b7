"""`flask claims check PATH [--json]`: findings with offsets into the file's text, exit 1 when one blocks."""

import json

from service.settings import REPO_ROOT


def _check(runner, path, *options):
    return runner.invoke(args=["claims", "check", str(path), *options])


def test_the_clinic_article_is_blocked_with_findings_as_json(runner, clinic_article_path):
    path = clinic_article_path
    result = _check(runner, path, "--json")
    assert result.exit_code == 1
    findings = json.loads(result.output)["findings"]
    assert {"research-overclaim", "superiority-claim", "safety-minimised"} <= {f["rule"] for f in findings}
    text = path.read_bytes().decode("utf-8")
    for finding in findings:
        assert set(finding) == {"rule", "severity", "start", "end", "text", "why", "suggestion"}
        assert text[finding["start"] : finding["end"]] == finding["text"]
        assert finding["severity"] in ("block", "warn") and finding["why"] and finding["suggestion"]
    assert any(f["severity"] == "block" for f in findings)


def test_clean_copy_passes(runner):
    result = _check(runner, REPO_ROOT / "campaigns" / "welcome-to-the-newsletter.md", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"findings": []}


def test_warnings_alone_do_not_fail(runner, tmp_path):
    path = tmp_path / "warn.txt"
    path.write_text("Ketamine is generally well tolerated in a monitored setting.\n", encoding="utf-8")
    result = _check(runner, path)
    assert result.exit_code == 0
    assert "warn safety-minimised" in result.output and "0 block, 1 warn" in result.output


def test_the_readable_list_gives_line_and_column(runner, tmp_path):
    path = tmp_path / "copy.md"
    path.write_bytes(b"# Title\r\n\r\nCalm rooms.\r\nMany people notice relief within hours.\r\n")
    result = _check(runner, path)
    assert result.exit_code == 1
    assert f"{path}:4:27: block speed-claim: \u201cwithin hours\u201d" in result.output
    assert "why:" in result.output and "instead:" in result.output

    finding = json.loads(_check(runner, path, "--json").output)["findings"][0]
    text = path.read_bytes().decode("utf-8")
    assert text[finding["start"] : finding["end"]] == "within hours", "offsets count the file's own line endings"


def test_a_file_that_is_not_utf8_is_an_error(runner, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9 au lait.".encode("latin-1"))
    result = _check(runner, path)
    assert result.exit_code == 2, "an unreadable file is not a clean pass nor a blocking finding"
    assert "not UTF-8" in result.output


def test_seed_library_then_a_library_wording_passes_with_its_claim(runner, tmp_path):
    seeded = runner.invoke(args=["claims", "seed-library"])
    assert seeded.exit_code == 0 and "3 library claim(s) added." in seeded.output
    assert "0 library claim(s) added." in runner.invoke(args=["claims", "seed-library"]).output
    path = tmp_path / "dakwar.txt"
    path.write_text(
        "In a randomised trial of 55 adults with cocaine use disorder, 48.2% of those given one ketamine infusion "
        "with mindfulness-based relapse prevention stayed abstinent over the last two weeks, compared with 10.7% "
        "given midazolam.\n",
        encoding="utf-8",
    )
    result = _check(runner, path, "--json")
    assert result.exit_code == 0, result.output
    [finding] = json.loads(result.output)["findings"]
    assert finding["severity"] == "block" and finding["rule"] == "success-rate-uncited"
    claim = finding["library_claim"]
    assert claim["exact"] is True and claim["version"] == 1
    assert "doi:10.1176/appi.ajp.2019.18101123" in claim["reference"]
    readable = _check(runner, path)
    assert "library claim" in readable.output and "exact match" in readable.output
