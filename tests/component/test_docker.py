"""docker/ checked as far as a machine without a Docker engine allows: the compose file's
structure and addresses, every file the Dockerfile copies, the same install script and make
targets as the tests, and configurations that our own daemons accept."""
import pathlib
import re
import subprocess

import pytest
import yaml

from conftest import ROOT, binary

DOCKER = ROOT / "docker"
NODES = ["hss-stub", "eims-agw", "pcscf", "wtpf"]
BUILT = [n for n in NODES if (ROOT / n / "main.c").exists()]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


def test_compose_services_and_addresses(compose):
    svcs = compose["services"]
    assert set(svcs) == set(NODES) | {"phone"}
    subnet = compose["networks"]["lab"]["ipam"]["config"][0]["subnet"]
    assert subnet == "172.28.10.0/24"
    # The last byte of each service's address is the loopback lab's (DESIGN.md lab layout).
    lab = {"wtpf": 1, "pcscf": 2, "eims-agw": 3, "hss-stub": 4, "phone": 20}
    for name, last in lab.items():
        assert svcs[name]["networks"]["lab"]["ipv4_address"] == f"172.28.10.{last}"
    for n in NODES:
        cmd = svcs[n]["command"]
        assert cmd == [n, "-f", "-c", f"/etc/wtpf-suite/compose/{n}.conf"]
        assert svcs[n]["build"]["dockerfile"] == "docker/Dockerfile"
        assert svcs[n]["build"]["target"] == "runtime"
        assert "ALL" in svcs[n]["cap_drop"]
    assert svcs["phone"]["build"]["target"] == "phone"


def test_dockerfile_uses_the_test_scripts_and_existing_files():
    text = (DOCKER / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\S+)", text, re.M)
    assert [s[1] for s in stages] == ["build", "runtime", "phone"]
    assert all(s[0] in ("debian:12", "runtime") for s in stages)
    # Same dependency script and package list as make check, by section.
    assert "scripts/install-deps.sh build" in text
    assert "install-deps.sh runtime" in text
    assert "make BUILD=/build all" in text and "make BUILD=/build install" in text
    assert "scripts/docker-config.sh etc/lab" in text
    for src in re.findall(r"^COPY (?!--from)(\S+) ", text, re.M):
        assert (ROOT / src).exists(), src
    for sec in ("[build]", "[runtime]", "[test]"):
        assert sec in (ROOT / "scripts/debian-packages.txt").read_text()
    out = subprocess.run([str(ROOT / "scripts/install-deps.sh"), "runtime"], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr  # the runtime section names real, installed packages


def test_compose_configs_are_accepted(tmp_path):
    subprocess.run([str(ROOT / "scripts/docker-config.sh"), str(ROOT / "etc/lab"), str(tmp_path)],
                   check=True)
    for n in BUILT:
        conf = tmp_path / f"{n}.conf"
        text = conf.read_text()
        assert "127.0.10." not in text
        out = subprocess.run([binary(n), "--check-config", "-c", str(conf)], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr


def test_phone_account_targets_the_pcscf():
    acc = (DOCKER / "phone/accounts").read_text()
    assert "sip:+33150000201@ims.lab" in acc and "auth_pass=phone201-lab" in acc
    assert 'outbound="sip:172.28.10.2:5060;transport=udp"' in acc
    cfg = (DOCKER / "phone/config").read_text()
    assert "sip_listen\t\t172.28.10.20:5060" in cfg
