"""pcscf when the HSS cannot be reached: no connection (503), connection lost (503), an HSS
that never answers (504 within the configured Diameter timeout), always with Retry-After and
never a hang."""
import time

from pcscf_lab import PHONE1, PROXY, SilentHss, pcscf_conf, start_hss, start_pcscf
from sip_ua import UA, audio_sdp

P201 = ("sip:+33150000201@ims.lab", "phone201-lab")


def test_hss_unreachable(tmp_path):
    """No HSS: REGISTER and INVITE get 503 with Retry-After at once."""
    pcscf = start_pcscf(tmp_path, pcscf_conf(), wait_hss=False)
    ua = UA(P201[0], PHONE1, proxy=PROXY, password=P201[1], local_port=5060)
    try:
        t0 = time.time()
        _, r = ua.register()
        assert r.status == 503 and r.get("Retry-After") == "7"
        c = ua.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1))
        r = c.wait_final()
        assert r.status == 503 and r.get("Retry-After") == "7"
        assert time.time() - t0 < 3
        assert pcscf.metric("pcscf_cx_requests_total", 'command="UAR",result="no-peer"') == 1
    finally:
        ua.close()
        pcscf.stop()


def test_hss_stopped_then_silent(tmp_path):
    """The HSS goes away during service: 503; an HSS that never answers: 504 within the
    configured timeout (1 s), both with Retry-After."""
    hss = start_hss(tmp_path)
    pcscf = start_pcscf(tmp_path, pcscf_conf())
    ua = UA(P201[0], PHONE1, proxy=PROXY, password=P201[1], local_port=5060)
    try:
        _, r = ua.register()
        assert r.status == 200
        hss.stop()
        deadline = time.time() + 5
        while '"hss":true' in pcscf.http("/health") and time.time() < deadline:
            time.sleep(0.1)
        _, r = ua.register()
        assert r.status == 503 and r.get("Retry-After") == "7"
    finally:
        ua.close()
        pcscf.stop()
    silent = SilentHss(port=3869)
    pcscf = start_pcscf(tmp_path, pcscf_conf(hss_port=3869), wait_hss=False)
    ua = UA(P201[0], PHONE1, proxy=PROXY, password=P201[1], local_port=5060)
    try:
        deadline = time.time() + 5
        while '"hss":true' not in pcscf.http("/health") and time.time() < deadline:
            time.sleep(0.1)
        t0 = time.time()
        _, r = ua.register()
        took = time.time() - t0
        assert r.status == 504 and r.get("Retry-After") == "7"
        assert 0.9 <= took < 2.5, took
        c = ua.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1))
        assert c.wait_final().status == 504
    finally:
        ua.close()
        pcscf.stop()
        silent.close()
