"""A small, independent Diameter encoder/decoder and TCP client for tests (RFC 6733).

Written separately from the C codec on purpose: the component tests drive hss-stub with it, so a
shared misunderstanding would have to be made twice.
"""
import socket
import struct

VENDOR_3GPP = 10415
APP_CX = 16777216
FLAG_R, FLAG_P, FLAG_E = 0x80, 0x40, 0x20
AVP_V, AVP_M = 0x80, 0x40

# (code, vendor) -> (name, type); type in {"u32", "str", "grouped", "addr", "octets"}
AVPS = {
    (1, 0): ("User-Name", "str"),
    (104, 0): ("Digest-Realm", "str"),
    (110, 0): ("Digest-QoP", "str"),
    (111, 0): ("Digest-Algorithm", "str"),
    (121, 0): ("Digest-HA1", "str"),
    (257, 0): ("Host-IP-Address", "addr"),
    (258, 0): ("Auth-Application-Id", "u32"),
    (260, 0): ("Vendor-Specific-Application-Id", "grouped"),
    (263, 0): ("Session-Id", "str"),
    (264, 0): ("Origin-Host", "str"),
    (265, 0): ("Supported-Vendor-Id", "u32"),
    (266, 0): ("Vendor-Id", "u32"),
    (268, 0): ("Result-Code", "u32"),
    (269, 0): ("Product-Name", "str"),
    (273, 0): ("Disconnect-Cause", "u32"),
    (277, 0): ("Auth-Session-State", "u32"),
    (278, 0): ("Origin-State-Id", "u32"),
    (279, 0): ("Failed-AVP", "grouped"),
    (281, 0): ("Error-Message", "str"),
    (283, 0): ("Destination-Realm", "str"),
    (293, 0): ("Destination-Host", "str"),
    (296, 0): ("Origin-Realm", "str"),
    (297, 0): ("Experimental-Result", "grouped"),
    (298, 0): ("Experimental-Result-Code", "u32"),
    (600, VENDOR_3GPP): ("Visited-Network-Identifier", "octets"),
    (601, VENDOR_3GPP): ("Public-Identity", "str"),
    (602, VENDOR_3GPP): ("Server-Name", "str"),
    (603, VENDOR_3GPP): ("Server-Capabilities", "grouped"),
    (606, VENDOR_3GPP): ("User-Data", "octets"),
    (607, VENDOR_3GPP): ("SIP-Number-Auth-Items", "u32"),
    (608, VENDOR_3GPP): ("SIP-Authentication-Scheme", "str"),
    (612, VENDOR_3GPP): ("SIP-Auth-Data-Item", "grouped"),
    (613, VENDOR_3GPP): ("SIP-Item-Number", "u32"),
    (614, VENDOR_3GPP): ("Server-Assignment-Type", "u32"),
    (623, VENDOR_3GPP): ("User-Authorization-Type", "u32"),
    (624, VENDOR_3GPP): ("User-Data-Already-Available", "u32"),
    (634, VENDOR_3GPP): ("Wildcarded-Public-Identity", "str"),
    (635, VENDOR_3GPP): ("SIP-Digest-Authenticate", "grouped"),
}
BY_NAME = {v[0]: (k, v[1]) for k, v in AVPS.items()}


def avp(name, value, flags=None):
    """Encode one AVP by dictionary name; value is int, str, bytes or a list of encoded AVPs."""
    (code, vendor), typ = BY_NAME[name]
    if typ == "u32":
        data = struct.pack("!I", value)
    elif typ == "grouped":
        data = b"".join(value)
    elif typ == "addr":
        data = struct.pack("!H", 1) + socket.inet_aton(value)
    elif isinstance(value, str):
        data = value.encode()
    else:
        data = value
    return raw_avp(code, vendor, data, flags)


def raw_avp(code, vendor, data, flags=None):
    if flags is None:
        flags = AVP_M | (AVP_V if vendor else 0)
    hdr_len = 12 if flags & AVP_V else 8
    length = hdr_len + len(data)
    out = struct.pack("!IB", code, flags) + length.to_bytes(3, "big")
    if flags & AVP_V:
        out += struct.pack("!I", vendor)
    return out + data + b"\0" * ((4 - len(data) % 4) % 4)


def message(cmd, app, flags, hbh, e2e, avps):
    body = b"".join(avps)
    length = 20 + len(body)
    return (bytes([1]) + length.to_bytes(3, "big") + bytes([flags]) + cmd.to_bytes(3, "big") +
            struct.pack("!III", app, hbh, e2e) + body)


class Avp:
    def __init__(self, code, flags, vendor, data):
        self.code, self.flags, self.vendor, self.data = code, flags, vendor, data
        self.name, self.type = AVPS.get((code, vendor), (f"AVP-{code}", "octets"))

    @property
    def value(self):
        if self.type == "u32":
            return struct.unpack("!I", self.data)[0]
        if self.type == "str":
            return self.data.decode()
        if self.type == "grouped":
            return parse_avps(self.data)
        return self.data

    def find(self, name):
        return next((a for a in self.value if a.name == name), None)


def parse_avps(buf):
    out, off = [], 0
    while off < len(buf):
        code, flags = struct.unpack_from("!IB", buf, off)
        length = int.from_bytes(buf[off + 5:off + 8], "big")
        vendor, hl = 0, 8
        if flags & AVP_V:
            vendor, hl = struct.unpack_from("!I", buf, off + 8)[0], 12
        assert hl <= length <= len(buf) - off, "AVP overruns its container"
        out.append(Avp(code, flags, vendor, buf[off + hl:off + length]))
        off += (length + 3) & ~3
    return out


class Msg:
    def __init__(self, raw):
        assert raw[0] == 1
        self.raw = raw
        self.length = int.from_bytes(raw[1:4], "big")
        self.flags = raw[4]
        self.cmd = int.from_bytes(raw[5:8], "big")
        self.app, self.hbh, self.e2e = struct.unpack_from("!III", raw, 8)
        self.avps = parse_avps(raw[20:self.length])

    def find(self, name):
        return next((a for a in self.avps if a.name == name), None)

    def get(self, name):
        a = self.find(name)
        return a.value if a else None

    @property
    def result(self):
        """('rc', code) for Result-Code, ('exp', code) for Experimental-Result, or None."""
        if self.find("Result-Code"):
            return ("rc", self.get("Result-Code"))
        er = self.find("Experimental-Result")
        if er:
            assert er.find("Vendor-Id").value == VENDOR_3GPP
            return ("exp", er.find("Experimental-Result-Code").value)
        return None


class Client:
    """A Diameter client on TCP: CER on connect, request/answer by Hop-by-Hop id."""

    def __init__(self, host, port, origin_host="test.ims.lab", realm="ims.lab", src="127.0.0.1",
                 cer=True, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(src, 0))
        self.origin_host, self.realm, self.src = origin_host, realm, src
        self.hbh, self.e2e, self.buf = 0x1000, 0x5000, b""
        if cer:
            cea = self.request(257, 0, self.cer_avps(), proxiable=False)
            assert cea.result == ("rc", 2001), cea.result

    def cer_avps(self):
        return [avp("Origin-Host", self.origin_host), avp("Origin-Realm", self.realm),
                avp("Host-IP-Address", self.src), avp("Vendor-Id", 0),
                avp("Product-Name", "pytest", flags=0), avp("Supported-Vendor-Id", VENDOR_3GPP),
                avp("Vendor-Specific-Application-Id",
                    [avp("Vendor-Id", VENDOR_3GPP), avp("Auth-Application-Id", APP_CX)])]

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv(self):
        while True:
            if len(self.buf) >= 4:
                n = int.from_bytes(self.buf[1:4], "big")
                if len(self.buf) >= n:
                    raw, self.buf = self.buf[:n], self.buf[n:]
                    return Msg(raw)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk

    def request(self, cmd, app, avps, proxiable=True):
        self.hbh += 1
        self.e2e += 1
        self.send_raw(message(cmd, app, FLAG_R | (FLAG_P if proxiable else 0), self.hbh,
                              self.e2e, avps))
        while True:
            m = self.recv()
            if m.flags & FLAG_R:  # a DWR from the server: answer it
                self.answer_dwr(m)
                continue
            assert m.hbh == self.hbh and m.e2e == self.e2e and m.cmd == cmd
            return m

    def answer_dwr(self, m):
        self.send_raw(message(280, 0, 0, m.hbh, m.e2e,
                              [avp("Result-Code", 2001), avp("Origin-Host", self.origin_host),
                               avp("Origin-Realm", self.realm)]))

    def cx(self, cmd, avps, session="test.ims.lab;1;1", dest_realm="ims.lab"):
        base = [avp("Session-Id", session),
                avp("Vendor-Specific-Application-Id",
                    [avp("Vendor-Id", VENDOR_3GPP), avp("Auth-Application-Id", APP_CX)]),
                avp("Auth-Session-State", 1), avp("Origin-Host", self.origin_host),
                avp("Origin-Realm", self.realm), avp("Destination-Realm", dest_realm)]
        return self.request(cmd, APP_CX, base + avps)

    def close(self):
        self.sock.close()
