/* Byte-vector tests of the Diameter codec on the messages the suite exchanges (RFC 6733 base,
 * TS 29.229 Cx): each vector is built with the API and must encode to exactly these bytes, decode
 * back to the same tree, and re-encode identically. The hex was produced by an independent
 * encoder and annotated per AVP; tests/component/test_diameter_tshark.py checks the same
 * messages with Wireshark's dissector. */
#include "unit.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "diameter/codec.h"
#include "diameter/cx.h"

#define E2E0 0x5a000000u
static const dia_node PCSCF = {"pcscf.ims.example.net", "ims.example.net"};
static const dia_node HSS = {"hss.ims.example.net", "ims.example.net"};
#define REALM "ims.example.net"
#define IMPI "wtpf1@ims.example.net"
#define IMPU "sip:+4930123450@ims.example.net"
#define SERVER "sip:pcscf.ims.example.net"
#define HA1 "9afdf161e871f5c93980489074fc30f9" /* MD5(IMPI:REALM:secret) */
#define USER_DATA                                                                                  \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><IMSSubscription><PrivateID>" IMPI "</PrivateID>"   \
    "<ServiceProfile><PublicIdentity><Identity>" IMPU "</Identity></PublicIdentity>"               \
    "</ServiceProfile></IMSSubscription>"

/* CER pcscf -> hss */
static const char CER_HEX[] =
    /* header: version 1, length 192, flags 0x80, command 257, app 0, hbh, e2e */
    "01 00 00 c0 80 00 01 01 00 00 00 00 00 00 00 01 5a 00 00 01"
    /* Origin-Host "pcscf.ims.example.net" */
    " 00 00 01 08 40 00 00 1d 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Host-IP-Address 192.0.2.10 */
    " 00 00 01 01 40 00 00 0e 00 01 c0 00 02 0a 00 00"
    /* Vendor-Id 0 */
    " 00 00 01 0a 40 00 00 0c 00 00 00 00"
    /* Product-Name "wtpf-suite" */
    " 00 00 01 0d 00 00 00 12 77 74 70 66 2d 73 75 69 74 65 00 00"
    /* Origin-State-Id 1700000000 */
    " 00 00 01 16 40 00 00 0c 65 53 f1 00"
    /* Supported-Vendor-Id 10415 */
    " 00 00 01 09 40 00 00 0c 00 00 28 af"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Firmware-Revision 100 */
    " 00 00 01 0b 00 00 00 0c 00 00 00 64";

/* CEA hss -> pcscf */
static const char CEA_HEX[] =
    /* header: version 1, length 196, flags 0x00, command 257, app 0, hbh, e2e */
    "01 00 00 c4 00 00 01 01 00 00 00 00 00 00 00 01 5a 00 00 01"
    /* Result-Code 2001 */
    " 00 00 01 0c 40 00 00 0c 00 00 07 d1"
    /* Origin-Host "hss.ims.example.net" */
    " 00 00 01 08 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Host-IP-Address 192.0.2.20 */
    " 00 00 01 01 40 00 00 0e 00 01 c0 00 02 14 00 00"
    /* Vendor-Id 0 */
    " 00 00 01 0a 40 00 00 0c 00 00 00 00"
    /* Product-Name "hss-stub" */
    " 00 00 01 0d 00 00 00 10 68 73 73 2d 73 74 75 62"
    /* Origin-State-Id 1700000000 */
    " 00 00 01 16 40 00 00 0c 65 53 f1 00"
    /* Supported-Vendor-Id 10415 */
    " 00 00 01 09 40 00 00 0c 00 00 28 af"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Firmware-Revision 100 */
    " 00 00 01 0b 00 00 00 0c 00 00 00 64";

/* DWR */
static const char DWR_HEX[] =
    /* header: version 1, length 88, flags 0x80, command 280, app 0, hbh, e2e */
    "01 00 00 58 80 00 01 18 00 00 00 00 00 00 00 02 5a 00 00 02"
    /* Origin-Host "pcscf.ims.example.net" */
    " 00 00 01 08 40 00 00 1d 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Origin-State-Id 1700000000 */
    " 00 00 01 16 40 00 00 0c 65 53 f1 00";

/* DWA */
static const char DWA_HEX[] =
    /* header: version 1, length 96, flags 0x00, command 280, app 0, hbh, e2e */
    "01 00 00 60 00 00 01 18 00 00 00 00 00 00 00 02 5a 00 00 02"
    /* Result-Code 2001 */
    " 00 00 01 0c 40 00 00 0c 00 00 07 d1"
    /* Origin-Host "hss.ims.example.net" */
    " 00 00 01 08 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Origin-State-Id 1700000000 */
    " 00 00 01 16 40 00 00 0c 65 53 f1 00";

/* UAR */
static const char UAR_HEX[] =
    /* header: version 1, length 308, flags 0xc0, command 300, app 16777216, hbh, e2e */
    "01 00 01 34 c0 00 01 2c 01 00 00 00 00 00 00 03 5a 00 00 03"
    /* Session-Id "pcscf.ims.example.net;1700000000;1" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 31 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "pcscf.ims.example.net" */
    " 00 00 01 08 40 00 00 1d 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Destination-Realm "ims.example.net" */
    " 00 00 01 1b 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* User-Name "wtpf1@ims.example.net" */
    " 00 00 00 01 40 00 00 1d 77 74 70 66 31 40 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Public-Identity "sip:+4930123450@ims.example.net" */
    " 00 00 02 59 c0 00 00 2b 00 00 28 af 73 69 70 3a 2b 34 39 33 30 31 32 33"
    " 34 35 30 40 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Visited-Network-Identifier "ims.example.net" */
    " 00 00 02 58 c0 00 00 1b 00 00 28 af 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* User-Authorization-Type 0 */
    " 00 00 02 6f c0 00 00 10 00 00 28 af 00 00 00 00";

/* UAA */
static const char UAA_HEX[] =
    /* header: version 1, length 232, flags 0x40, command 300, app 16777216, hbh, e2e */
    "01 00 00 e8 40 00 01 2c 01 00 00 00 00 00 00 03 5a 00 00 03"
    /* Session-Id "pcscf.ims.example.net;1700000000;1" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 31 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Experimental-Result (297) grouped, len 32 */
    " 00 00 01 29 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Experimental-Result-Code 2001 */
    " 00 00 01 2a 40 00 00 0c 00 00 07 d1"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "hss.ims.example.net" */
    " 00 00 01 08 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Server-Name "sip:pcscf.ims.example.net" */
    " 00 00 02 5a c0 00 00 25 00 00 28 af 73 69 70 3a 70 63 73 63 66 2e 69 6d"
    " 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00 00 00";

/* MAR */
static const char MAR_HEX[] =
    /* header: version 1, length 384, flags 0xc0, command 303, app 16777216, hbh, e2e */
    "01 00 01 80 c0 00 01 2f 01 00 00 00 00 00 00 04 5a 00 00 04"
    /* Session-Id "pcscf.ims.example.net;1700000000;2" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 32 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "pcscf.ims.example.net" */
    " 00 00 01 08 40 00 00 1d 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Destination-Host "hss.ims.example.net" */
    " 00 00 01 25 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Destination-Realm "ims.example.net" */
    " 00 00 01 1b 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* User-Name "wtpf1@ims.example.net" */
    " 00 00 00 01 40 00 00 1d 77 74 70 66 31 40 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Public-Identity "sip:+4930123450@ims.example.net" */
    " 00 00 02 59 c0 00 00 2b 00 00 28 af 73 69 70 3a 2b 34 39 33 30 31 32 33"
    " 34 35 30 40 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* SIP-Auth-Data-Item (612) grouped, len 36 */
    " 00 00 02 64 c0 00 00 24 00 00 28 af"
    /*   SIP-Authentication-Scheme "SIP Digest" */
    " 00 00 02 60 c0 00 00 16 00 00 28 af 53 49 50 20 44 69 67 65 73 74 00 00"
    /* SIP-Number-Auth-Items 1 */
    " 00 00 02 5f c0 00 00 10 00 00 28 af 00 00 00 01"
    /* Server-Name "sip:pcscf.ims.example.net" */
    " 00 00 02 5a c0 00 00 25 00 00 28 af 73 69 70 3a 70 63 73 63 66 2e 69 6d"
    " 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00 00 00";

/* MAA */
static const char MAA_HEX[] =
    /* header: version 1, length 416, flags 0x40, command 303, app 16777216, hbh, e2e */
    "01 00 01 a0 40 00 01 2f 01 00 00 00 00 00 00 04 5a 00 00 04"
    /* Session-Id "pcscf.ims.example.net;1700000000;2" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 32 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Result-Code 2001 */
    " 00 00 01 0c 40 00 00 0c 00 00 07 d1"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "hss.ims.example.net" */
    " 00 00 01 08 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* User-Name "wtpf1@ims.example.net" */
    " 00 00 00 01 40 00 00 1d 77 74 70 66 31 40 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Public-Identity "sip:+4930123450@ims.example.net" */
    " 00 00 02 59 c0 00 00 2b 00 00 28 af 73 69 70 3a 2b 34 39 33 30 31 32 33"
    " 34 35 30 40 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* SIP-Number-Auth-Items 1 */
    " 00 00 02 5f c0 00 00 10 00 00 28 af 00 00 00 01"
    /* SIP-Auth-Data-Item (612) grouped, len 152 */
    " 00 00 02 64 c0 00 00 98 00 00 28 af"
    /*   SIP-Item-Number 1 */
    " 00 00 02 65 c0 00 00 10 00 00 28 af 00 00 00 01"
    /*   SIP-Authentication-Scheme "SIP Digest" */
    " 00 00 02 60 c0 00 00 16 00 00 28 af 53 49 50 20 44 69 67 65 73 74 00 00"
    /*   SIP-Digest-Authenticate (635) grouped, len 100 */
    " 00 00 02 7b 80 00 00 64 00 00 28 af"
    /*     Digest-Realm "ims.example.net" */
    " 00 00 00 68 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /*     Digest-Algorithm "MD5" */
    " 00 00 00 6f 40 00 00 0b 4d 44 35 00"
    /*     Digest-QoP "auth" */
    " 00 00 00 6e 40 00 00 0c 61 75 74 68"
    /*     Digest-HA1 "9afdf161e871f5c93980489074fc30f9" */
    " 00 00 00 79 40 00 00 28 39 61 66 64 66 31 36 31 65 38 37 31 66 35 63 39"
    " 33 39 38 30 34 38 39 30 37 34 66 63 33 30 66 39";

/* SAR */
static const char SAR_HEX[] =
    /* header: version 1, length 364, flags 0xc0, command 301, app 16777216, hbh, e2e */
    "01 00 01 6c c0 00 01 2d 01 00 00 00 00 00 00 05 5a 00 00 05"
    /* Session-Id "pcscf.ims.example.net;1700000000;3" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 33 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "pcscf.ims.example.net" */
    " 00 00 01 08 40 00 00 1d 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Destination-Host "hss.ims.example.net" */
    " 00 00 01 25 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Destination-Realm "ims.example.net" */
    " 00 00 01 1b 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* User-Name "wtpf1@ims.example.net" */
    " 00 00 00 01 40 00 00 1d 77 74 70 66 31 40 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Public-Identity "sip:+4930123450@ims.example.net" */
    " 00 00 02 59 c0 00 00 2b 00 00 28 af 73 69 70 3a 2b 34 39 33 30 31 32 33"
    " 34 35 30 40 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Server-Name "sip:pcscf.ims.example.net" */
    " 00 00 02 5a c0 00 00 25 00 00 28 af 73 69 70 3a 70 63 73 63 66 2e 69 6d"
    " 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00 00 00"
    /* Server-Assignment-Type 1 */
    " 00 00 02 66 c0 00 00 10 00 00 28 af 00 00 00 01"
    /* User-Data-Already-Available 0 */
    " 00 00 02 70 c0 00 00 10 00 00 28 af 00 00 00 00";

/* SAA */
static const char SAA_HEX[] =
    /* header: version 1, length 452, flags 0x40, command 301, app 16777216, hbh, e2e */
    "01 00 01 c4 40 00 01 2d 01 00 00 00 00 00 00 05 5a 00 00 05"
    /* Session-Id "pcscf.ims.example.net;1700000000;3" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 33 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Result-Code 2001 */
    " 00 00 01 0c 40 00 00 0c 00 00 07 d1"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "hss.ims.example.net" */
    " 00 00 01 08 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* User-Name "wtpf1@ims.example.net" */
    " 00 00 00 01 40 00 00 1d 77 74 70 66 31 40 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* User-Data "<?xml version="1.0" encoding="UTF-8"?><IMSSub..." */
    " 00 00 02 5e c0 00 00 f7 00 00 28 af 3c 3f 78 6d 6c 20 76 65 72 73 69 6f"
    " 6e 3d 22 31 2e 30 22 20 65 6e 63 6f 64 69 6e 67 3d 22 55 54 46 2d 38 22"
    " 3f 3e 3c 49 4d 53 53 75 62 73 63 72 69 70 74 69 6f 6e 3e 3c 50 72 69 76"
    " 61 74 65 49 44 3e 77 74 70 66 31 40 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 3c 2f 50 72 69 76 61 74 65 49 44 3e 3c 53 65 72 76 69 63 65 50"
    " 72 6f 66 69 6c 65 3e 3c 50 75 62 6c 69 63 49 64 65 6e 74 69 74 79 3e 3c"
    " 49 64 65 6e 74 69 74 79 3e 73 69 70 3a 2b 34 39 33 30 31 32 33 34 35 30"
    " 40 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 3c 2f 49 64 65 6e 74 69"
    " 74 79 3e 3c 2f 50 75 62 6c 69 63 49 64 65 6e 74 69 74 79 3e 3c 2f 53 65"
    " 72 76 69 63 65 50 72 6f 66 69 6c 65 3e 3c 2f 49 4d 53 53 75 62 73 63 72"
    " 69 70 74 69 6f 6e 3e 00";

/* LIR */
static const char LIR_HEX[] =
    /* header: version 1, length 216, flags 0xc0, command 302, app 16777216, hbh, e2e */
    "01 00 00 d8 c0 00 01 2e 01 00 00 00 00 00 00 06 5a 00 00 06"
    /* Session-Id "pcscf.ims.example.net;1700000000;4" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 34 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "pcscf.ims.example.net" */
    " 00 00 01 08 40 00 00 1d 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Destination-Realm "ims.example.net" */
    " 00 00 01 1b 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Public-Identity "tel:+49301234517" */
    " 00 00 02 59 c0 00 00 1c 00 00 28 af 74 65 6c 3a 2b 34 39 33 30 31 32 33"
    " 34 35 31 37";

/* LIA */
static const char LIA_HEX[] =
    /* header: version 1, length 248, flags 0x40, command 302, app 16777216, hbh, e2e */
    "01 00 00 f8 40 00 01 2e 01 00 00 00 00 00 00 06 5a 00 00 06"
    /* Session-Id "pcscf.ims.example.net;1700000000;4" */
    " 00 00 01 07 40 00 00 2a 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 3b 31 37 30 30 30 30 30 30 30 30 3b 34 00 00"
    /* Vendor-Specific-Application-Id (260) grouped, len 32 */
    " 00 00 01 04 40 00 00 20"
    /*   Vendor-Id 10415 */
    " 00 00 01 0a 40 00 00 0c 00 00 28 af"
    /*   Auth-Application-Id 16777216 */
    " 00 00 01 02 40 00 00 0c 01 00 00 00"
    /* Result-Code 2001 */
    " 00 00 01 0c 40 00 00 0c 00 00 07 d1"
    /* Auth-Session-State 1 */
    " 00 00 01 15 40 00 00 0c 00 00 00 01"
    /* Origin-Host "hss.ims.example.net" */
    " 00 00 01 08 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Server-Name "sip:pcscf.ims.example.net" */
    " 00 00 02 5a c0 00 00 25 00 00 28 af 73 69 70 3a 70 63 73 63 66 2e 69 6d"
    " 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00 00 00"
    /* Wildcarded-Public-Identity "tel:+4930123!45[0-9]{2}!" */
    " 00 00 02 7a 80 00 00 24 00 00 28 af 74 65 6c 3a 2b 34 39 33 30 31 32 33"
    " 21 34 35 5b 30 2d 39 5d 7b 32 7d 21";

/* DPR */
static const char DPR_HEX[] =
    /* header: version 1, length 88, flags 0x80, command 282, app 0, hbh, e2e */
    "01 00 00 58 80 00 01 1a 00 00 00 00 00 00 00 07 5a 00 00 07"
    /* Origin-Host "pcscf.ims.example.net" */
    " 00 00 01 08 40 00 00 1d 70 63 73 63 66 2e 69 6d 73 2e 65 78 61 6d 70 6c"
    " 65 2e 6e 65 74 00 00 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00"
    /* Disconnect-Cause 0 */
    " 00 00 01 11 40 00 00 0c 00 00 00 00";

/* DPA */
static const char DPA_HEX[] =
    /* header: version 1, length 84, flags 0x00, command 282, app 0, hbh, e2e */
    "01 00 00 54 00 00 01 1a 00 00 00 00 00 00 00 07 5a 00 00 07"
    /* Result-Code 2001 */
    " 00 00 01 0c 40 00 00 0c 00 00 07 d1"
    /* Origin-Host "hss.ims.example.net" */
    " 00 00 01 08 40 00 00 1b 68 73 73 2e 69 6d 73 2e 65 78 61 6d 70 6c 65 2e"
    " 6e 65 74 00"
    /* Origin-Realm "ims.example.net" */
    " 00 00 01 28 40 00 00 17 69 6d 73 2e 65 78 61 6d 70 6c 65 2e 6e 65 74 00";

/* ---- the same messages built with the API ---- */

static dia_cer_info cer_info(const uint8_t ip[4], const char *product)
{
    dia_cer_info i = {.family = AF_INET,
                      .host_ip = ip,
                      .vendor_id = 0,
                      .product = product,
                      .origin_state_id = 1700000000u,
                      .firmware = 100};
    return i;
}

static const uint8_t PCSCF_IP[4] = {192, 0, 2, 10}, HSS_IP[4] = {192, 0, 2, 20};

static dia_msg *build_cer(void)
{
    dia_cer_info i = cer_info(PCSCF_IP, "wtpf-suite");
    return dia_cer_new(&PCSCF, &i, 1, E2E0 + 1);
}

static dia_msg *build_cea(void)
{
    dia_msg *cer = build_cer();
    dia_cer_info i = cer_info(HSS_IP, "hss-stub");
    dia_msg *m = dia_cea_new(cer, &HSS, &i, DIA_RC_SUCCESS);
    dia_msg_free(cer);
    return m;
}

static dia_msg *build_dwr(void)
{
    return dia_dwr_new(&PCSCF, 1700000000u, 2, E2E0 + 2);
}

static dia_msg *build_dwa(void)
{
    dia_msg *dwr = build_dwr();
    dia_msg *m = dia_dwa_new(dwr, &HSS, 1700000000u);
    dia_msg_free(dwr);
    return m;
}

static dia_msg *cx_request(uint32_t cmd, uint32_t n, const char *dest_host, uint32_t id)
{
    char *sid = dia_session_id_new(PCSCF.host, 1700000000u, n, NULL);
    dia_msg *m = dia_cx_request_new(cmd, sid, &PCSCF, REALM, dest_host, id, E2E0 + id);
    g_free(sid);
    return m;
}

static dia_msg *build_uar(void)
{
    dia_msg *m = cx_request(DIA_CMD_UA, 1, NULL, 3);
    dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_add_str(m->avps, DIA_AVP_VISITED_NETWORK_IDENTIFIER, DIA_VENDOR_3GPP, REALM);
    dia_add_u32(m->avps, DIA_AVP_USER_AUTHORIZATION_TYPE, DIA_VENDOR_3GPP, DIA_UAT_REGISTRATION);
    return m;
}

static dia_msg *build_uaa(void)
{
    dia_msg *req = build_uar();
    dia_msg *m = dia_cx_answer_new(req, &HSS);
    dia_set_experimental_result(m, DIA_VENDOR_3GPP, DIA_EXP_FIRST_REGISTRATION);
    dia_add_str(m->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_msg_free(req);
    return m;
}

static dia_msg *build_mar(void)
{
    dia_msg *m = cx_request(DIA_CMD_MA, 2, HSS.host, 4);
    dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_cx_auth_item it = {.scheme = "SIP Digest"};
    dia_cx_add_auth_item(m->avps, &it);
    dia_add_u32(m->avps, DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_VENDOR_3GPP, 1);
    dia_add_str(m->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    return m;
}

static dia_msg *build_maa(void)
{
    dia_msg *req = build_mar();
    dia_msg *m = dia_cx_answer_new(req, &HSS);
    dia_set_result_code(m, DIA_RC_SUCCESS);
    dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_add_u32(m->avps, DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_VENDOR_3GPP, 1);
    dia_cx_auth_item it = {.item_number = 1,
                           .scheme = "SIP Digest",
                           .realm = REALM,
                           .algorithm = "MD5",
                           .qop = "auth",
                           .ha1 = HA1};
    dia_cx_add_auth_item(m->avps, &it);
    dia_msg_free(req);
    return m;
}

static dia_msg *build_sar(void)
{
    dia_msg *m = cx_request(DIA_CMD_SA, 3, HSS.host, 5);
    dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_add_str(m->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_add_u32(m->avps, DIA_AVP_SERVER_ASSIGNMENT_TYPE, DIA_VENDOR_3GPP, DIA_SAT_REGISTRATION);
    dia_add_u32(m->avps, DIA_AVP_USER_DATA_ALREADY_AVAILABLE, DIA_VENDOR_3GPP,
                DIA_UDAA_NOT_AVAILABLE);
    return m;
}

static dia_msg *build_saa(void)
{
    dia_msg *req = build_sar();
    dia_msg *m = dia_cx_answer_new(req, &HSS);
    dia_set_result_code(m, DIA_RC_SUCCESS);
    dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(m->avps, DIA_AVP_USER_DATA, DIA_VENDOR_3GPP, USER_DATA);
    dia_msg_free(req);
    return m;
}

static dia_msg *build_lir(void)
{
    dia_msg *m = cx_request(DIA_CMD_LI, 4, NULL, 6);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, "tel:+49301234517");
    return m;
}

static dia_msg *build_lia(void)
{
    dia_msg *req = build_lir();
    dia_msg *m = dia_cx_answer_new(req, &HSS);
    dia_set_result_code(m, DIA_RC_SUCCESS);
    dia_add_str(m->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_add_str(m->avps, DIA_AVP_WILDCARDED_PUBLIC_IDENTITY, DIA_VENDOR_3GPP,
                "tel:+4930123!45[0-9]{2}!");
    dia_msg_free(req);
    return m;
}

static dia_msg *build_dpr(void)
{
    return dia_dpr_new(&PCSCF, DIA_DISCONNECT_REBOOTING, 7, E2E0 + 7);
}

static dia_msg *build_dpa(void)
{
    dia_msg *req = build_dpr();
    dia_msg *m = dia_dpa_new(req, &HSS);
    dia_msg_free(req);
    return m;
}

/* Encode the built message, compare with the vector; decode the vector, compare with the built
 * tree; re-encode the decoded tree. Returns the decoded message for field checks. */
static dia_msg *check_vector(const char *hex, dia_msg *built)
{
    static unsigned char want[4096];
    size_t n = unit_hex(hex, want, sizeof want);
    CHECK(n >= DIA_HDR_LEN && n % 4 == 0);
    GByteArray *enc = dia_msg_encode(built);
    CHECK(enc != NULL);
    if (enc) {
        CHECK_INT(enc->len, n);
        if (enc->len == n) CHECK_MEM(enc->data, want, n);
        for (size_t i = 0; i < n && i < enc->len; i++) {
            if (enc->data[i] != want[i]) {
                fprintf(stderr, "  first difference at byte %zu: %02x, expected %02x\n", i,
                        enc->data[i], want[i]);
                break;
            }
        }
        g_byte_array_unref(enc);
    }
    dia_error err = DIA_ERROR_INIT;
    dia_msg *dec = dia_msg_decode(want, n, NULL, &err);
    CHECK_INT(err.status, DIA_OK);
    CHECK(err.partial == NULL);
    CHECK(dia_msg_equal(dec, built));
    if (dec) {
        GByteArray *again = dia_msg_encode(dec);
        CHECK(again && again->len == n && memcmp(again->data, want, n) == 0);
        if (again) g_byte_array_unref(again);
    }
    dia_error_clear(&err);
    dia_msg_free(built);
    return dec;
}

static void check_header(const dia_msg *m, uint8_t flags, uint32_t cmd, uint32_t app, uint32_t id)
{
    CHECK_INT(m->version, 1);
    CHECK_INT(m->flags, flags);
    CHECK_INT(m->cmd, cmd);
    CHECK_INT(m->app_id, app);
    CHECK_INT(m->hbh, id);
    CHECK_INT(m->e2e, E2E0 + id);
}

static void check_str(const dia_msg *m, uint32_t code, uint32_t vendor, const char *want)
{
    char *s = dia_msg_get_str(m, code, vendor);
    CHECK_STR(s, want);
    g_free(s);
}

static void check_u32(const dia_msg *m, uint32_t code, uint32_t vendor, uint32_t want)
{
    uint32_t v = 0xdeadbeef;
    CHECK(dia_msg_get_u32(m, code, vendor, &v));
    CHECK_INT(v, want);
}

static void check_cx_boilerplate(const dia_msg *m, const char *sid)
{
    const dia_avp *first = g_ptr_array_index(m->avps, 0);
    CHECK_INT(first->code, DIA_AVP_SESSION_ID); /* RFC 6733 §8.8: Session-Id first */
    check_str(m, DIA_AVP_SESSION_ID, 0, sid);
    const dia_key vid[] = {{DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0}, {DIA_AVP_VENDOR_ID, 0}};
    const dia_key app[] = {{DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0},
                           {DIA_AVP_AUTH_APPLICATION_ID, 0}};
    uint32_t v = 0;
    CHECK(dia_avp_get_u32(dia_find_path(m->avps, vid, 2), &v) && v == DIA_VENDOR_3GPP);
    CHECK(dia_avp_get_u32(dia_find_path(m->avps, app, 2), &v) && v == DIA_APP_CX);
    check_u32(m, DIA_AVP_AUTH_SESSION_STATE, 0, DIA_AUTH_SESSION_NO_STATE_MAINTAINED);
}

TEST(vector_cer)
{
    dia_msg *m = check_vector(CER_HEX, build_cer());
    if (!m) return;
    check_header(m, DIA_FLAG_R, DIA_CMD_CE, 0, 1);
    check_str(m, DIA_AVP_ORIGIN_HOST, 0, "pcscf.ims.example.net");
    check_str(m, DIA_AVP_ORIGIN_REALM, 0, "ims.example.net");
    check_str(m, DIA_AVP_PRODUCT_NAME, 0, "wtpf-suite");
    check_u32(m, DIA_AVP_SUPPORTED_VENDOR_ID, 0, DIA_VENDOR_3GPP);
    check_u32(m, DIA_AVP_ORIGIN_STATE_ID, 0, 1700000000u);
    int fam = 0;
    uint8_t ip[16];
    CHECK(dia_avp_get_addr(dia_msg_find(m, DIA_AVP_HOST_IP_ADDRESS, 0), &fam, ip));
    CHECK_INT(fam, AF_INET);
    CHECK_MEM(ip, PCSCF_IP, 4);
    /* Product-Name and Firmware-Revision must not carry M (RFC 6733 §4.5). */
    CHECK_INT(dia_msg_find(m, DIA_AVP_PRODUCT_NAME, 0)->flags, 0);
    CHECK_INT(dia_msg_find(m, DIA_AVP_FIRMWARE_REVISION, 0)->flags, 0);
    dia_msg_free(m);
}

TEST(vector_cea)
{
    dia_msg *m = check_vector(CEA_HEX, build_cea());
    if (!m) return;
    check_header(m, 0, DIA_CMD_CE, 0, 1);
    dia_result r;
    CHECK(dia_get_result(m, &r) && !r.experimental && r.code == DIA_RC_SUCCESS);
    CHECK_STR(dia_result_name(&r), "DIAMETER_SUCCESS");
    check_str(m, DIA_AVP_ORIGIN_HOST, 0, "hss.ims.example.net");
    check_str(m, DIA_AVP_PRODUCT_NAME, 0, "hss-stub");
    dia_msg_free(m);
}

TEST(vector_dwr_dwa)
{
    dia_msg *m = check_vector(DWR_HEX, build_dwr());
    if (m) {
        check_header(m, DIA_FLAG_R, DIA_CMD_DW, 0, 2);
        check_u32(m, DIA_AVP_ORIGIN_STATE_ID, 0, 1700000000u);
        CHECK_INT(m->avps->len, 3);
        dia_msg_free(m);
    }
    m = check_vector(DWA_HEX, build_dwa());
    if (m) {
        check_header(m, 0, DIA_CMD_DW, 0, 2);
        check_u32(m, DIA_AVP_RESULT_CODE, 0, DIA_RC_SUCCESS);
        dia_msg_free(m);
    }
}

TEST(vector_uar)
{
    dia_msg *m = check_vector(UAR_HEX, build_uar());
    if (!m) return;
    check_header(m, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_UA, DIA_APP_CX, 3);
    check_cx_boilerplate(m, "pcscf.ims.example.net;1700000000;1");
    check_str(m, DIA_AVP_DESTINATION_REALM, 0, REALM);
    CHECK(dia_msg_find(m, DIA_AVP_DESTINATION_HOST, 0) == NULL);
    check_str(m, DIA_AVP_USER_NAME, 0, IMPI);
    check_str(m, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    check_str(m, DIA_AVP_VISITED_NETWORK_IDENTIFIER, DIA_VENDOR_3GPP, REALM);
    check_u32(m, DIA_AVP_USER_AUTHORIZATION_TYPE, DIA_VENDOR_3GPP, 0);
    /* A Cx AVP looked up without its vendor is another AVP. */
    CHECK(dia_msg_find(m, DIA_AVP_PUBLIC_IDENTITY, 0) == NULL);
    dia_msg_free(m);
}

TEST(vector_uaa)
{
    dia_msg *m = check_vector(UAA_HEX, build_uaa());
    if (!m) return;
    check_header(m, DIA_FLAG_P, DIA_CMD_UA, DIA_APP_CX, 3);
    check_cx_boilerplate(m, "pcscf.ims.example.net;1700000000;1");
    dia_result r;
    CHECK(dia_get_result(m, &r));
    CHECK(r.experimental);
    CHECK_INT(r.vendor, DIA_VENDOR_3GPP);
    CHECK_INT(r.code, DIA_EXP_FIRST_REGISTRATION);
    CHECK_STR(dia_result_name(&r), "DIAMETER_FIRST_REGISTRATION");
    CHECK(dia_result_is_success(&r));
    check_str(m, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_msg_free(m);
}

TEST(vector_mar)
{
    dia_msg *m = check_vector(MAR_HEX, build_mar());
    if (!m) return;
    check_header(m, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_MA, DIA_APP_CX, 4);
    check_cx_boilerplate(m, "pcscf.ims.example.net;1700000000;2");
    check_str(m, DIA_AVP_DESTINATION_HOST, 0, "hss.ims.example.net");
    check_u32(m, DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_VENDOR_3GPP, 1);
    dia_cx_auth_info info;
    CHECK(
        dia_cx_read_auth_item(dia_msg_find(m, DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP), &info));
    CHECK_STR(info.scheme, "SIP Digest");
    CHECK(!info.has_digest);
    CHECK_INT(info.item_number, 0);
    dia_cx_auth_info_clear(&info);
    dia_msg_free(m);
}

TEST(vector_maa_digest)
{
    dia_msg *m = check_vector(MAA_HEX, build_maa());
    if (!m) return;
    check_header(m, DIA_FLAG_P, DIA_CMD_MA, DIA_APP_CX, 4);
    check_cx_boilerplate(m, "pcscf.ims.example.net;1700000000;2");
    dia_result r;
    CHECK(dia_get_result(m, &r) && !r.experimental && r.code == DIA_RC_SUCCESS);
    const dia_avp *item = dia_msg_find(m, DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP);
    CHECK(dia_avp_is_grouped(item));
    dia_cx_auth_info info;
    CHECK(dia_cx_read_auth_item(item, &info));
    CHECK_INT(info.item_number, 1);
    CHECK_STR(info.scheme, "SIP Digest");
    CHECK(info.has_digest);
    CHECK_STR(info.realm, REALM);
    CHECK_STR(info.algorithm, "MD5");
    CHECK_STR(info.qop, "auth");
    CHECK_STR(info.ha1, HA1);
    dia_cx_auth_info_clear(&info);
    /* The same through a path lookup; SIP-Digest-Authenticate is V without M (TS 29.229). */
    const dia_key path[] = {{DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP},
                            {DIA_AVP_SIP_DIGEST_AUTHENTICATE, DIA_VENDOR_3GPP},
                            {DIA_AVP_DIGEST_HA1, 0}};
    char *ha1 = dia_avp_get_str(dia_find_path(m->avps, path, 3));
    CHECK_STR(ha1, HA1);
    g_free(ha1);
    CHECK_INT(dia_find_path(m->avps, path, 2)->flags, DIA_AVP_FLAG_V);
    dia_msg_free(m);
}

TEST(vector_sar)
{
    dia_msg *m = check_vector(SAR_HEX, build_sar());
    if (!m) return;
    check_header(m, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_SA, DIA_APP_CX, 5);
    check_cx_boilerplate(m, "pcscf.ims.example.net;1700000000;3");
    check_u32(m, DIA_AVP_SERVER_ASSIGNMENT_TYPE, DIA_VENDOR_3GPP, DIA_SAT_REGISTRATION);
    check_u32(m, DIA_AVP_USER_DATA_ALREADY_AVAILABLE, DIA_VENDOR_3GPP, 0);
    check_str(m, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_msg_free(m);
}

TEST(vector_saa_user_data)
{
    dia_msg *m = check_vector(SAA_HEX, build_saa());
    if (!m) return;
    check_header(m, DIA_FLAG_P, DIA_CMD_SA, DIA_APP_CX, 5);
    size_t n = 0;
    const uint8_t *p = dia_avp_data(dia_msg_find(m, DIA_AVP_USER_DATA, DIA_VENDOR_3GPP), &n);
    CHECK_INT(n, strlen(USER_DATA));
    CHECK(p && memcmp(p, USER_DATA, n) == 0);
    dia_msg_free(m);
}

TEST(vector_lir_lia)
{
    dia_msg *m = check_vector(LIR_HEX, build_lir());
    if (m) {
        check_header(m, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_LI, DIA_APP_CX, 6);
        check_cx_boilerplate(m, "pcscf.ims.example.net;1700000000;4");
        check_str(m, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, "tel:+49301234517");
        dia_msg_free(m);
    }
    m = check_vector(LIA_HEX, build_lia());
    if (m) {
        check_header(m, DIA_FLAG_P, DIA_CMD_LI, DIA_APP_CX, 6);
        check_str(m, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
        check_str(m, DIA_AVP_WILDCARDED_PUBLIC_IDENTITY, DIA_VENDOR_3GPP,
                  "tel:+4930123!45[0-9]{2}!");
        CHECK_INT(dia_msg_find(m, DIA_AVP_WILDCARDED_PUBLIC_IDENTITY, DIA_VENDOR_3GPP)->flags,
                  DIA_AVP_FLAG_V);
        dia_msg_free(m);
    }
}

TEST(vector_dpr_dpa)
{
    dia_msg *m = check_vector(DPR_HEX, build_dpr());
    if (m) {
        check_header(m, DIA_FLAG_R, DIA_CMD_DP, 0, 7);
        check_u32(m, DIA_AVP_DISCONNECT_CAUSE, 0, DIA_DISCONNECT_REBOOTING);
        dia_msg_free(m);
    }
    m = check_vector(DPA_HEX, build_dpa());
    if (m) {
        check_header(m, 0, DIA_CMD_DP, 0, 7);
        dia_msg_free(m);
    }
}

/* Framing over a TCP byte stream: two messages back to back, delivered in pieces. */
TEST(framing_stream)
{
    unsigned char a[1024], b[1024];
    size_t na = unit_hex(DWR_HEX, a, sizeof a), nb = unit_hex(DPR_HEX, b, sizeof b);
    GByteArray *stream = g_byte_array_new();
    g_byte_array_append(stream, a, (guint)na);
    g_byte_array_append(stream, b, (guint)nb);
    size_t need = 0;
    CHECK_INT(dia_frame_length(stream->data, 3, 0, &need), DIA_ERR_TRUNCATED);
    CHECK_INT(dia_frame_length(stream->data, 4, 0, &need), DIA_OK);
    CHECK_INT(need, na);
    dia_msg *m = dia_msg_decode(stream->data, need, NULL, NULL);
    CHECK(m && m->cmd == DIA_CMD_DW);
    dia_msg_free(m);
    CHECK_INT(dia_frame_length(stream->data + na, stream->len - na, 0, &need), DIA_OK);
    CHECK_INT(need, nb);
    m = dia_msg_decode(stream->data + na, need, NULL, NULL);
    CHECK(m && m->cmd == DIA_CMD_DP);
    dia_msg_free(m);
    g_byte_array_unref(stream);
}

TEST(framing_rejects_absurd_lengths)
{
    const uint8_t small[4] = {1, 0, 0, 19}, big[4] = {1, 0x10, 0, 4},
                  http[4] = {'G', 'E', 'T', ' '};
    size_t need = 0;
    CHECK_INT(dia_frame_length(small, 4, 0, &need), DIA_ERR_MSG_LENGTH);
    CHECK_INT(dia_frame_length(big, 4, 0, &need), DIA_ERR_TOO_BIG); /* 1 MiB + 4 */
    CHECK_INT(dia_frame_length(big, 4, 2u << 20, &need), DIA_OK);
    CHECK_INT(need, 0x100004);
    CHECK_INT(dia_frame_length(big, 4, 4096, &need), DIA_ERR_TOO_BIG);
    CHECK_INT(dia_frame_length(http, 4, 0, &need), DIA_ERR_TOO_BIG);
    /* A bad version or an odd length still frames; the decoder answers it. */
    const uint8_t v2[4] = {2, 0, 0, 20}, odd[4] = {1, 0, 0, 22};
    CHECK_INT(dia_frame_length(v2, 4, 0, &need), DIA_OK);
    CHECK_INT(dia_frame_length(odd, 4, 0, &need), DIA_OK);
    CHECK_INT(need, 22);
}

TEST(dump_names_avps)
{
    unsigned char buf[1024];
    size_t n = unit_hex(MAA_HEX, buf, sizeof buf);
    dia_msg *m = dia_msg_decode(buf, n, NULL, NULL);
    char *txt = dia_msg_to_string(m);
    CHECK(strstr(txt, "MAA(303) -P--") != NULL);
    CHECK(strstr(txt, "Result-Code(268) -M- 2001 DIAMETER_SUCCESS") != NULL);
    CHECK(strstr(txt, "    SIP-Digest-Authenticate(635,10415) V--:") != NULL);
    CHECK(strstr(txt, "      Digest-HA1(121) -M- \"" HA1 "\"") != NULL);
    CHECK(strstr(txt, "Auth-Session-State(277) -M- 1 NO_STATE_MAINTAINED") != NULL);
    g_free(txt);
    dia_msg_free(m);
}

int main(void)
{
    RUN(vector_cer);
    RUN(vector_cea);
    RUN(vector_dwr_dwa);
    RUN(vector_uar);
    RUN(vector_uaa);
    RUN(vector_mar);
    RUN(vector_maa_digest);
    RUN(vector_sar);
    RUN(vector_saa_user_data);
    RUN(vector_lir_lia);
    RUN(vector_dpr_dpa);
    RUN(framing_stream);
    RUN(framing_rejects_absurd_lengths);
    RUN(dump_names_avps);
    UNIT_END("diameter/codec");
}
