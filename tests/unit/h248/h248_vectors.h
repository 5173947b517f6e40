/* H.248 text test vectors shared by the unit tests and tests/tools/h248_vectors.c: the worked
 * example of SPECS.md §4.5 verbatim (profile placeholder replaced by lab_iq/1), then one message
 * per command/descriptor form the codec supports. Generated once; edit by hand. */
#ifndef H248_TEST_VECTORS_H
#define H248_TEST_VECTORS_H

typedef struct {
    const char *name;
    const char *text;
    int wireshark; /* 0: valid H.248 that tshark 4.0 mis-dissects (relations, value lists, escaped \} in SDP) */
} h248_test_vector;

static const h248_test_vector h248_test_vectors[] = {
    {"spec1_sc_restart",
     "MEGACO/3 [127.0.2.1]:2944\n"
     "Transaction = 1 {\n"
     "  Context = - {\n"
     "    ServiceChange = ROOT {\n"
     "      Services {\n"
     "        Method = Restart,\n"
     "        Reason = \"901 Cold Boot\",\n"
     "        Version = 3,\n"
     "        Profile = lab_iq/1\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"spec2_sc_reply",
     "MEGACO/3 [127.0.3.1]:2944\n"
     "Reply = 1 {\n"
     "  Context = - {\n"
     "    ServiceChange = ROOT {\n"
     "      Services {\n"
     "        Version = 3,\n"
     "        Profile = lab_iq/1\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"spec3_add_reserve",
     "MEGACO/3 [127.0.3.1]:2944\n"
     "Transaction = 1001 {\n"
     "  Context = $ {\n"
     "    Add = $ {\n"
     "      Media {\n"
     "        TerminationState { ipdc/realm = \"access\" },\n"
     "        Stream = 1 {\n"
     "          LocalControl { Mode = SendReceive },\n"
     "          Local {\n"
     "v=0\n"
     "o=- 0 0 IN IP4 $\n"
     "s=-\n"
     "t=0 0\n"
     "a=ice-lite\n"
     "m=audio $ UDP/TLS/RTP/SAVPF 0 126\n"
     "c=IN IP4 $\n"
     "a=rtcp-mux\n"
     "a=ice-ufrag:$\n"
     "a=ice-pwd:$\n"
     "a=fingerprint:sha-256 $\n"
     "a=setup:active\n"
     "a=rtpmap:0 PCMU/8000\n"
     "a=rtpmap:126 telephone-event/8000\n"
     "          },\n"
     "          Remote {\n"
     "v=0\n"
     "o=- 4611731400430051336 2 IN IP4 127.0.0.1\n"
     "s=-\n"
     "t=0 0\n"
     "m=audio 51234 UDP/TLS/RTP/SAVPF 111 0 8 126\n"
     "c=IN IP4 127.0.1.5\n"
     "a=rtcp-mux\n"
     "a=ice-ufrag:Bs+R\n"
     "a=ice-pwd:PawJZpTr+YgVYXBsI5apmBh8\n"
     "a=fingerprint:sha-256 D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:53:B1\n"
     "a=setup:actpass\n"
     "a=candidate:1 1 udp 2122260223 127.0.1.5 51234 typ host\n"
     "a=rtpmap:111 opus/48000/2\n"
     "a=rtpmap:0 PCMU/8000\n"
     "a=rtpmap:8 PCMA/8000\n"
     "a=rtpmap:126 telephone-event/8000\n"
     "          }\n"
     "        }\n"
     "      }\n"
     "    },\n"
     "    Add = $ {\n"
     "      Media {\n"
     "        TerminationState { ipdc/realm = \"core\" },\n"
     "        Stream = 1 {\n"
     "          LocalControl { Mode = ReceiveOnly },\n"
     "          Local {\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 0 101\n"
     "a=rtpmap:101 telephone-event/8000\n"
     "          }\n"
     "        }\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"spec4_add_reply",
     "MEGACO/3 [127.0.2.1]:2944\n"
     "Reply = 1001 {\n"
     "  Context = 17 {\n"
     "    Add = ip/access/1 {\n"
     "      Media {\n"
     "        Stream = 1 {\n"
     "          Local {\n"
     "v=0\n"
     "o=- 0 0 IN IP4 127.0.2.1\n"
     "s=-\n"
     "t=0 0\n"
     "a=ice-lite\n"
     "m=audio 40000 UDP/TLS/RTP/SAVPF 0 126\n"
     "c=IN IP4 127.0.2.1\n"
     "a=rtcp-mux\n"
     "a=ice-ufrag:aG7k\n"
     "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9rU3k\n"
     "a=fingerprint:sha-256 4A:1F:...:9C\n"
     "a=setup:active\n"
     "a=candidate:1 1 udp 2130706431 127.0.2.1 40000 typ host\n"
     "a=end-of-candidates\n"
     "a=rtpmap:0 PCMU/8000\n"
     "a=rtpmap:126 telephone-event/8000\n"
     "          }\n"
     "        }\n"
     "      }\n"
     "    },\n"
     "    Add = ip/core/2 {\n"
     "      Media {\n"
     "        Stream = 1 {\n"
     "          Local {\n"
     "v=0\n"
     "c=IN IP4 127.0.2.2\n"
     "m=audio 50000 RTP/AVP 0 101\n"
     "a=rtpmap:101 telephone-event/8000\n"
     "          }\n"
     "        }\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"spec5_modify_core",
     "MEGACO/3 [127.0.3.1]:2944\n"
     "Transaction = 1002 {\n"
     "  Context = 17 {\n"
     "    Modify = ip/core/2 {\n"
     "      Media {\n"
     "        Stream = 1 {\n"
     "          LocalControl { Mode = SendReceive },\n"
     "          Remote {\n"
     "v=0\n"
     "c=IN IP4 127.0.4.1\n"
     "m=audio 30000 RTP/AVP 0 101\n"
     "a=rtpmap:101 telephone-event/8000\n"
     "          }\n"
     "        }\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"spec5_modify_reply",
     "MEGACO/3 [127.0.2.1]:2944\n"
     "Reply = 1002 { Context = 17 { Modify = ip/core/2 } }\n",
     1},
    {"spec6_subtract_all",
     "MEGACO/3 [127.0.3.1]:2944\n"
     "Transaction = 1003 { Context = 17 { Subtract = * } }\n",
     1},
    {"spec6_subtract_reply",
     "MEGACO/3 [127.0.2.1]:2944\n"
     "Reply = 1003 {\n"
     "  Context = 17 {\n"
     "    Subtract = ip/access/1 { Statistics { rtp/ps = 1500, rtp/pr = 1498 } },\n"
     "    Subtract = ip/core/2 { Statistics { rtp/ps = 1498, rtp/pr = 1500 } }\n"
     "  }\n"
     "}\n",
     1},
    {"spec7_error_transaction",
     "MEGACO/3 [127.0.2.1]:2944\n"
     "Reply = 1004 { Error = 411 { \"The transaction refers to an unknown ContextId\" } }\n",
     1},
    {"spec7_error_command",
     "MEGACO/3 [127.0.2.1]:2944\n"
     "Reply = 1005 { Context = 17 { Modify = ip/core/9 { Error = 435 { \"Termination ID is not in specified Context\" } } } }\n",
     1},
    {"spec8_notify",
     "MEGACO/3 [127.0.2.1]:2944\n"
     "Transaction = 20 {\n"
     "  Context = 17 {\n"
     "    Notify = ip/access/1 { ObservedEvents = 7 { 20251124T10153000:hangterm/thb } }\n"
     "  }\n"
     "}\n",
     1},
    {"spec8_notify_reply",
     "MEGACO/3 [127.0.3.1]:2944\n"
     "Reply = 20 { Context = 17 { Notify = ip/access/1 } }\n",
     1},
    {"move",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 30 {\n"
     "  Context = 18 {\n"
     "    Move = ip/access/3 { Media { Stream = 1 { LocalControl { Mode = Inactive } } } }\n"
     "  }\n"
     "}\n",
     1},
    {"audit_value_root",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 40 { Context = - { AuditValue = ROOT { Audit { } } } }\n",
     1},
    {"audit_value_reply",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Reply = 40 {\n"
     "  Context = - {\n"
     "    AuditValue = ROOT {\n"
     "      Media { TerminationState { ServiceStates = InService } },\n"
     "      Packages { ipdc-1, hangterm-1, rtp-1 },\n"
     "      Statistics { rtp/ps = 0, rtp/pr = 0 }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"audit_cap",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 41 { Context = - { AuditCapability = ROOT { Audit { Media, Events, Signals, Statistics, Packages, ObservedEvents } } } }\n",
     1},
    {"audit_cap_reply",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Reply = 41 { Context = - { AuditCapability = ROOT { Error = 501 { \"Not Implemented\" } } } }\n",
     1},
    {"events_signals",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 50 {\n"
     "  Context = 17 {\n"
     "    Modify = ip/access/1 {\n"
     "      Events = 7 {\n"
     "        hangterm/thb { timerx = 30 },\n"
     "        ice/fail,\n"
     "        dtls/fail { Stream = 1, KeepActive }\n"
     "      },\n"
     "      Signals {\n"
     "        tls/est { SignalType = Brief, Duration = 100, NotifyCompletion = { TimeOut, IntByEvent } },\n"
     "        SignalList = 2 { g/rt, g/cg { Stream = 1, SignalType = TimeOut } }\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"context_props",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 60 {\n"
     "  Context = $ {\n"
     "    Priority = 3,\n"
     "    Emergency,\n"
     "    Add = $ {\n"
     "      Media {\n"
     "        TerminationState { ServiceStates = InService, Buffer = OFF, ipdc/realm = \"core\" },\n"
     "        LocalControl {\n"
     "          Mode = SendReceive,\n"
     "          ReservedValue = ON,\n"
     "          ReservedGroup = OFF,\n"
     "          tman/sdr = 64000,\n"
     "          ds/dscp = 46\n"
     "        },\n"
     "        Local {\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 0\n"
     "        }\n"
     "      },\n"
     "      Events = 8 { hangterm/thb }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"sc_forced",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Transaction = 2 {\n"
     "  Context = - {\n"
     "    ServiceChange = ROOT {\n"
     "      Services {\n"
     "        Method = Forced,\n"
     "        Reason = \"905 Termination taken out of service\",\n"
     "        Delay = 0,\n"
     "        ServiceChangeAddress = 2945,\n"
     "        Version = 3,\n"
     "        Profile = lab_iq/1,\n"
     "        20251124T10153000\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"sc_reply_mgcid",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Reply = 2 { Context = - { ServiceChange = ROOT { Services { MgcIdToTry = <mgc2.ims.lab>:2944 } } } }\n",
     1},
    {"sc_graceful_term",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Transaction = 3 { Context = - { ServiceChange = ip/access/* { Services { Method = Graceful, Reason = \"905\", Delay = 30 } } } }\n",
     1},
    {"pending",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Pending = 1001 { }\n",
     1},
    {"response_ack",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "TransactionResponseAck { 1001, 1003-1005 }\n",
     1},
    {"imm_ack_reply",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Reply = 1006 { ImmAckRequired, Context = 17 { Add = ip/access/1 } }\n",
     1},
    {"two_transactions",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 1007 { Context = 17 { Subtract = ip/access/1 } }\n"
     "Transaction = 1008 { Context = 18 { Subtract = ip/core/4 } }\n",
     1},
    {"sdp_brace_escape",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 1009 {\n"
     "  Context = 17 {\n"
     "    Modify = ip/access/1 {\n"
     "      Media {\n"
     "        Stream = 1 {\n"
     "          Remote {\n"
     "v=0\n"
     "o=- 1 1 IN IP4 127.0.1.5\n"
     "s={lab\\}\n"
     "t=0 0\n"
     "m=audio 51234 UDP/TLS/RTP/SAVPF 0\n"
     "c=IN IP4 127.0.1.5\n"
     "a=x-json:{\"k\":1\\}\n"
     "          }\n"
     "        }\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     0},
    {"message_error",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Error = 400 { \"Syntax error in message\" }\n",
     1},
    {"comments",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "; keep-alive audit from the MGC\n"
     "Transaction = 42 { ; the transaction\n"
     "  Context = - { AuditValue = ROOT { Audit { } } } ; done\n"
     "}\n",
     1},
    {"optional_wildcard",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 70 { Context = 17 { O-Subtract = ip/access/1, W-Subtract = ip/core/* } }\n",
     1},
    {"property_forms",
     "MEGACO/3 [127.0.10.2]:2944\n"
     "Transaction = 71 {\n"
     "  Context = 17 {\n"
     "    Modify = ip/core/2 {\n"
     "      Media {\n"
     "        LocalControl {\n"
     "          ds/dscp # 0,\n"
     "          tman/pol = [1, 2],\n"
     "          tman/mbs = [100:200],\n"
     "          tman/dvt = {3, 4},\n"
     "          tman/sdr > 100\n"
     "        }\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n",
     0},
    {"notify_params",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Transaction = 21 {\n"
     "  Context = 17 {\n"
     "    Notify = ip/access/1 {\n"
     "      ObservedEvents = 9 { 20251124T10160000:ice/fail { Stream = 1, cause = \"timeout\" }, dtls/fail }\n"
     "    }\n"
     "  }\n"
     "}\n",
     1},
    {"action_error",
     "MEGACO/3 [127.0.10.3]:2944\n"
     "Reply = 1010 { Context = 19 { Error = 411 { \"The transaction refers to an unknown ContextId\" } } }\n",
     1},
    {"short_tokens",
     "!/3 [127.0.10.2]:2944\n"
     "T=1011{C=${A=${M{TS{ipdc/realm=\"access\"},ST=1{O{MO=SR},L{\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 0\n"
     "},R{\n"
     "v=0\n"
     "c=IN IP4 127.0.4.1\n"
     "m=audio 30000 RTP/AVP 0\n"
     "}}}},A=${M{ST=1{O{MO=RC}}},E=7{hangterm/thb}}},C=17{MF=ip/core/2{SG{g/rt{SY=BR}}},S=ip/access/1{AT{M,SA}},N=ip/access/1{OE=7{hangterm/thb}}}}\n",
     1},
};
#define H248_N_TEST_VECTORS (sizeof(h248_test_vectors) / sizeof(h248_test_vectors[0]))
#endif
